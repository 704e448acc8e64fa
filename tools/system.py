"""Make sure the programs the tests drive are on this machine: Chromium (browser tests),
a CJK font (Chinese in screenshots and PDFs) and poppler (PDF to text and images).

Installs what is missing from the distribution's packages (Debian/Ubuntu ``apt-get``, as
root); elsewhere it says what to install and exits non-zero.

    python tools/system.py          # check, install what is missing
    python tools/system.py --check  # check only
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
"""Any one of these gives Chromium and the PDF records their 汉字."""

NEEDS = {
    "chromium": lambda: shutil.which("chromium") is not None,
    "fonts-wqy-microhei": lambda: any(path.exists() for path in CJK_FONTS),
    "poppler-utils": lambda: (
        shutil.which("pdftotext") is not None and shutil.which("pdftoppm") is not None
    ),
}
"""Debian package → how to tell it is there."""


def missing() -> list[str]:
    return [package for package, present in NEEDS.items() if not present()]


def main(argv: list[str]) -> int:
    wanted = missing()
    if not wanted:
        print("system packages: all present", flush=True)
        return 0
    if "--check" in argv:
        print(f"system packages missing: {' '.join(wanted)}", flush=True)
        return 1
    if shutil.which("apt-get") is None or os.geteuid() != 0:
        print(
            f"missing system packages: {' '.join(wanted)} — install them with your package "
            "manager (as root: apt-get install -y " + " ".join(wanted) + ")",
            flush=True,
        )
        return 1
    print(f"installing system packages: {' '.join(wanted)}", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-q"],
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *wanted],
    ):
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
    still = missing()
    if still:
        print(f"still missing after install: {' '.join(still)}", flush=True)
        return 1
    print("system packages: installed", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
