"""Run every check the project has: system packages, lint, format, types, tests.
Exit non-zero if any fails.

Usage (from the repository root, inside the project's virtual environment):
    python tools/check.py            # everything
    python tools/check.py -- -k irv  # extra arguments go to pytest
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def run(name: str, command: list[str]) -> bool:
    print(f"\n==> {name}: {' '.join(command)}", flush=True)
    started = time.monotonic()
    code = subprocess.call(command, cwd=ROOT)
    print(
        f"<== {name}: {'ok' if code == 0 else f'FAILED (exit {code})'} "
        f"in {time.monotonic() - started:.1f} s",
        flush=True,
    )
    return code == 0


def main(argv: list[str]) -> int:
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    steps = [
        ("system", [sys.executable, str(ROOT / "tools" / "system.py")]),
        ("lint", [str(BIN / "ruff"), "check", "."]),
        ("format", [str(BIN / "ruff"), "format", "--check", "."]),
        ("types", [sys.executable, "-m", "mypy"]),
        ("tests", [sys.executable, "-m", "pytest", "-q", *extra]),
    ]
    failed = [name for name, cmd in steps if not run(name, cmd)]
    if failed:
        print(f"\nFAILED: {', '.join(failed)}", flush=True)
        return 1
    print("\nall checks passed", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
