"""The service commands: ``db upgrade``, ``user add``, ``demo`` loading and ``serve``."""

from __future__ import annotations

import ipaddress
import os
import ssl
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from service.cli import main
from service.demo.loader import load_demo
from service.settings import Settings
from tests.support.app import free_port

EXE = Path(sys.executable).parent / "redbench"


def test_db_upgrade_and_user_add(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # the messages in Chinese
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
    assert "已创建账号 li（主持人）" in capsys.readouterr().out
    again = main(
        ["user", "add", "li", "--role", "admin", "--password", "long enough", "--database", url]
    )
    err = capsys.readouterr().err
    assert again == 1
    assert err.count("\n") == 1
    assert "用户名 li 已被使用" in err


def test_a_street_account_needs_its_street(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # the messages in Chinese
    url = f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}"
    argv = ["user", "add", "wang", "--role", "street", "--password", "long enough"]
    assert main([*argv, "--database", url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "街道工作人员账号必须指定所属街道" in err
    assert main([*argv, "--street", "7", "--database", url]) == 1
    assert "没有编号为 7 的街道" in capsys.readouterr().err


def test_short_password_is_refused(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # the messages in Chinese
    url = f"sqlite+aiosqlite:///{tmp_path / 'b.sqlite3'}"
    code = main(["user", "add", "li", "--role", "admin", "--password", "short", "--database", url])
    assert code == 1
    assert "密码至少要有 8 个字符" in capsys.readouterr().err


def test_an_invisible_display_name_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("LC_ALL", "zh_CN.UTF-8")  # the messages in Chinese
    url = f"sqlite+aiosqlite:///{tmp_path / 'c.sqlite3'}"
    argv = ["user", "add", "li", "--name", "\u200b", "--role", "admin", "--password", "long enough"]
    code = main([*argv, "--database", url])
    err = capsys.readouterr().err
    assert code == 1
    assert err.count("\n") == 1
    assert "显示名称不能为空" in err


def test_demo_story_is_loaded_once(tmp_path):
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'demo.sqlite3'}",
        secret_key="demo-test-secret-of-32-characters!",
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
        budget = client.get("/api/v1/rounds/2/result").json()
        assert (budget["ballots"], budget["result"]["winners"]) == (
            40,
            ["健身器材", "儿童游乐设施"],
        )
        assert client.get("/api/v1/rounds/3/result").status_code == 409  # cancelled, no result

        # the pocket park went the whole loop: on the public board, closed
        board = client.get("/api/v1/communities/1/board").json()
        park = next(p for p in board["processes"] if p["title"] == "口袋公园建设方案")
        assert park["phase"] == "closed"
        assert [d["number"] for d in park["decisions"]] == [1, 2]
        assert [t["status"] for t in park["tasks"]] == ["done", "done"]
        photos = [p for t in park["tasks"] for n in t["notes"] for p in n["photos"]]
        assert len(photos) == 1
        assert client.get(photos[0]["url"]).headers["content-type"] == "image/jpeg"
        assert len(park["feedback"]) == 2
        assert [c["action"] for c in park["close_outs"]] == ["closed", "reopened", "closed"]

        # the waterlogged path is voting: its codes are for the tablets; the public API is
        # voting from home, and the demo opens no phone window
        cast = client.post(
            "/api/v1/rounds/4/ballots",
            json={
                "code": codes[0],
                "key": "demo-key-0123456789",
                "ballot": {"kind": "approval", "approved": ["疏通雨水管道并加装雨水篦子"]},
            },
        )
        assert cast.status_code == 409, cast.text
        assert cast.json()["code"] == "phone-window-closed"
        voting = client.get("/api/v1/rounds/4/result")
        assert voting.status_code != 404


@pytest.mark.slow
def test_serve_starts_migrates_and_answers(tmp_path):
    port = free_port()
    env = {
        **os.environ,
        "REDBENCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 's.sqlite3'}",
        "REDBENCH_SECRET": "serve-test-secret-of-32-characters",
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


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 and its key, as PEM files in ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "红板凳议事会")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert, private = folder / "bench.crt", folder / "bench.key"
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    private.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, private


def test_serve_speaks_https_with_a_certificate(tmp_path):
    """Nobody on the meeting's Wi-Fi reads a ballot on its way: with a certificate the
    service speaks only HTTPS, and the session cookie is Secure."""
    cert, key = self_signed(tmp_path)
    port = free_port()
    env = {
        **os.environ,
        "REDBENCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 't.sqlite3'}",
        "REDBENCH_SECRET": "tls-test-secret-of-32-characters!!",
    }
    assert main(["user", "add", "zhao", "--role", "admin", "--password", "long enough!",
                 "--database", env["REDBENCH_DATABASE_URL"]]) == 0  # fmt: skip
    command = [str(EXE), "serve", "--port", str(port), "--tls-cert", str(cert)]
    server = subprocess.Popen(
        [*command, "--tls-key", str(key)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        trusted = ssl.create_default_context(cafile=str(cert))
        with httpx.Client(verify=trusted, base_url=f"https://127.0.0.1:{port}") as client:
            for _ in range(100):
                try:
                    response = client.get("/api/v1/ping")
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            else:
                pytest.fail("the server did not answer over HTTPS within 10 s")
            assert response.json() == {"ok": True}
            login = client.post(
                "/api/v1/auth/login", json={"username": "zhao", "password": "long enough!"}
            )
            assert login.status_code == 200, login.text
            assert "secure" in login.headers["set-cookie"].lower()
        with pytest.raises(httpx.TransportError):
            httpx.get(f"http://127.0.0.1:{port}/api/v1/ping", timeout=2)
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=10)
    assert f"https://127.0.0.1:{port}/console" in out


@pytest.mark.parametrize(
    ("extra", "said"),
    [
        (["--tls-cert", "bench.crt"], "give both --tls-cert and --tls-key"),
        (["--tls-cert", "missing.crt", "--tls-key", "missing.key"], "no such file"),
    ],
)
def test_serve_refuses_half_a_tls_setting(tmp_path, extra, said):
    self_signed(tmp_path)
    env = {
        **os.environ,
        "REDBENCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'u.db'}",
        "LC_ALL": "en_US.UTF-8",
    }
    done = subprocess.run(
        [str(EXE), "serve", *extra], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert said in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_short_secret_is_refused_in_one_line(tmp_path):
    """A secret short enough to guess offline (from one printed code and the database) is
    refused before anything starts; the one the service makes is long enough."""
    env = {
        **os.environ,
        "REDBENCH_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'v.db'}",
        "REDBENCH_SECRET": "password123",
        "LC_ALL": "en_US.UTF-8",
    }
    done = subprocess.run([str(EXE), "serve"], env=env, capture_output=True, text=True)
    assert done.returncode != 0
    assert "has 11 characters; use at least 32" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
    made = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'w.db'}").with_secret()
    assert len(made.secret_key) >= 32
    with pytest.raises(ValueError, match="use at least 32"):
        Settings(secret_key="x" * 31).with_secret()
