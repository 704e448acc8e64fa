"""A private PostgreSQL server for fault tests: its own data folder and port, so stopping
it (to see the service lose its database and recover) disturbs nobody else.

Uses the PostgreSQL binaries of the machine (``initdb``, ``pg_ctl``); as root it runs them
as the ``postgres`` user, which PostgreSQL requires.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.support.app import free_port


def binaries() -> Path | None:
    """The folder holding ``pg_ctl`` and ``initdb`` (newest version), if installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    on_path = shutil.which("pg_ctl")
    return Path(on_path).parent if on_path else None


class PrivateCluster:
    """``initdb`` into a temporary folder, then start/stop at will; :meth:`remove` at the end."""

    def __init__(self) -> None:
        folder = binaries()
        if folder is None:
            raise RuntimeError("PostgreSQL's pg_ctl and initdb are not installed")
        self.bin = folder
        self.port = free_port()
        self.root = Path(tempfile.mkdtemp(prefix="redbench-pg-"))
        self.data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin / program), *args]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "server.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """Stop at once (``-m fast``: open connections are cut, as when a server goes away)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # it was not running
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
