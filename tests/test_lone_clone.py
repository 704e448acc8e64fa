"""The repository stands alone: nothing refers to a folder beside it, every file the tests
read is committed, and a clone into an empty folder reads its real elections from itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.paths import ELECTIONS, ROOT

SKIPPED_FOLDERS = {".venv", ".git", "__pycache__", ".mypy_cache", ".ruff_cache", ".pytest_cache"}
SIBLING = "sha" + "red"  # spelt in two, so this file does not name the folder it forbids
OUTSIDE = (f"../{SIBLING}", f"{SIBLING}/data/elections", f"{SIBLING}/DESIGN.md")


def project_texts() -> list[Path]:
    """The project's own text files (the real elections' data excepted: written by others)."""
    found = []
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [
            s for s in subfolders if s not in SKIPPED_FOLDERS and not s.endswith(".egg-info")
        ]
        here = Path(folder)
        if here == ELECTIONS or ELECTIONS in here.parents:
            continue
        for name in files:
            if name.endswith((".py", ".md", ".toml", ".html", ".cfg", ".txt", ".j2", ".js")):
                found.append(here / name)
    found += [ROOT / ".ci" / "run"]
    return found


def test_nothing_refers_to_a_folder_outside_the_repository():
    texts = project_texts()
    assert len(texts) > 100
    offending = [
        f"{path.relative_to(ROOT)}: {needle}"
        for path in texts
        for needle in OUTSIDE
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offending == []


def test_the_real_elections_are_inside_the_repository():
    assert ROOT in ELECTIONS.parents
    assert (ELECTIONS / "README.md").is_file()
    assert len(list(ELECTIONS.rglob("*"))) > 20


def git(*args: str, cwd: Path = ROOT) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout


needs_git = pytest.mark.skipif(
    not (ROOT / ".git").exists(), reason="not a git checkout: nothing to clone"
)


@needs_git
def test_every_election_file_on_disk_is_committed():
    on_disk = sorted(str(p.relative_to(ROOT)) for p in ELECTIONS.rglob("*") if p.is_file())
    tracked = sorted(git("ls-files", str(ELECTIONS.relative_to(ROOT))).split())
    assert on_disk == tracked


@needs_git
def test_a_clone_in_an_empty_folder_counts_its_real_elections(tmp_path: Path):
    """The committed tree (HEAD), cloned with nothing beside it, finds its data and gives
    the official outcomes of a few real elections."""
    lone = tmp_path / "empty" / "redbench"
    git("clone", "--quiet", "--no-hardlinks", str(ROOT), str(lone), cwd=tmp_path)
    assert sorted(p.name for p in lone.parent.iterdir()) == ["redbench"]
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "tests/elections/test_ranked_elections.py",
            "-k",
            "debian or burlington",
        ],
        cwd=lone,
        env={**os.environ, "PYTHONPATH": str(lone)},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    assert " passed" in run.stdout
    assert "missing" not in run.stdout
