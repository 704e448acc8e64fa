"""The service commands: ``db upgrade``, ``user add``, ``demo`` loading and ``serve``."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from service.cli import main
from service.demo.loader import load_demo
from service.settings import Settings

EXE = Path(sys.executable).parent / "redbench"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_db_upgrade_and_user_add(tmp_path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'a.sqlite3'}"
    assert main(["db", "upgrade", "--database", url]) == 0
    assert "数据库已是最新结构" in capsys.readouterr().out
    code = main(
        [
            "user",
            "add",
            "li",
            "--role",
            "facilitator",
            "--password",
            "long enough",
            "--database",
            url,
        ]
    )
    assert code == 0
    assert "已创建账号 li（facilitator）" in capsys.readouterr().out
    again = main(
        ["user", "add", "li", "--role", "admin", "--password", "long enough", "--database", url]
    )
    err = capsys.readouterr().err
    assert again == 1
    assert err.count("\n") == 1
    assert "the username 'li' is taken" in err


def test_short_password_is_refused(tmp_path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}"
    code = main(["user", "add", "li", "--role", "admin", "--password", "short", "--database", url])
    assert code == 1
    assert "at least 8 characters" in capsys.readouterr().err


def test_an_invisible_display_name_is_refused_in_one_line(tmp_path, capsys):
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}"
    argv = ["user", "add", "li", "--name", "\u200b", "--role", "admin", "--password", "long enough"]
    code = main([*argv, "--database", url])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "display_name: write something" in err


def test_demo_story_is_loaded_once(tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}", secret_key="demo-test"
    )
    from service.db.migrate import upgrade

    upgrade(settings.database_url)
    lines = load_demo(settings)
    assert lines[0].startswith("已载入示例")
    codes = [line.strip() for line in lines if len(line.strip()) == 11 and "-" in line]
    assert len(codes) == 5
    again = load_demo(settings)
    assert again == ["示例数据已存在，直接启动。 / Demo data already loaded."]

    from litestar.testing import TestClient

    from service.app import create_app

    with TestClient(app=create_app(settings)) as client:
        result = client.get("/api/v1/rounds/1/result").json()  # published: public
        assert result["result"]["winners"] == ["儿童游乐设施"]
        assert result["ballots"] == 72
        second = client.post(
            "/api/v1/rounds/2/ballots",
            json={
                "code": codes[0],
                "key": "demo-key-0123456789",
                "ballot": {"kind": "budget", "approved": ["儿童游乐设施"]},
            },
        )
        assert second.status_code == 201, second.text


@pytest.mark.slow
def test_serve_starts_migrates_and_answers(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "REDBENCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}",
        "REDBENCH_SECRET": "serve-test",
    }
    server = subprocess.Popen(
        [str(EXE), "serve", "--port", str(port)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        for _ in range(100):
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/api/v1/ping")
                break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("the server did not answer within 10 s")
        assert response.json() == {"ok": True}
        schema = httpx.get(f"http://127.0.0.1:{port}/api/v1/schema/openapi.json")
        assert schema.status_code == 200
        assert (tmp_path / "s.sqlite3").exists()
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert "红板凳议事会已启动" in out
