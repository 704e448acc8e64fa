"""Which proxies' ``X-Forwarded-For`` uvicorn honours: only those named in the settings
(``REDBENCH_TRUSTED_PROXIES``, ``--trusted-proxy``), and with none, no proxy header at all.
Against a real server: tests/load/test_forwarded.py."""

from __future__ import annotations

import os
from typing import Any

import pytest

from service import cli
from service.commands import server
from service.settings import Settings, trusted_proxies


def test_proxies_come_from_the_environment_in_canonical_form() -> None:
    env = {"REDBENCH_TRUSTED_PROXIES": " 10.0.0.2, 10.1.2.3/16 ,::1,"}
    settings = Settings.from_env(env)
    assert settings.trusted_proxies == ("10.0.0.2", "10.1.0.0/16", "::1")
    assert Settings.from_env({}).trusted_proxies == ()


@pytest.mark.parametrize("value", ["*", "proxy.example", "10.0.0.300", "10.0.0.0/40"])
def test_anything_but_an_address_or_network_is_refused(value: str) -> None:
    with pytest.raises(ValueError, match="is not an IP address or network"):
        trusted_proxies([value])


def test_without_trusted_proxies_uvicorn_reads_no_proxy_header() -> None:
    assert server.proxy_options(Settings()) == {"proxy_headers": False}
    named = Settings(trusted_proxies=("10.0.0.2", "192.168.1.0/24"))
    assert server.proxy_options(named) == {
        "proxy_headers": True,
        "forwarded_allow_ips": ["10.0.0.2", "192.168.1.0/24"],
    }


def test_serve_passes_the_repeated_option_to_uvicorn_and_its_workers(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    ran: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: ran.update(kwargs))
    for name in ("DATABASE_URL", "SECRET", "EVENTS", "REDIS_URL", "TRUSTED_PROXIES"):
        monkeypatch.setenv(f"REDBENCH_{name}", "")  # restored after the test
    monkeypatch.setenv("REDBENCH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'p.sqlite3'}")
    monkeypatch.setenv("REDBENCH_SECRET", "proxy-test-secret-of-32-characters")
    argv = ["serve", "--trusted-proxy", "10.0.0.2", "--trusted-proxy", "172.16.0.0/12"]
    assert cli.main(argv) == 0
    assert ran["proxy_headers"] is True
    assert ran["forwarded_allow_ips"] == ["10.0.0.2", "172.16.0.0/12"]
    assert os.environ["REDBENCH_TRUSTED_PROXIES"] == "10.0.0.2,172.16.0.0/12"  # for workers
    ran.clear()
    monkeypatch.setenv("REDBENCH_TRUSTED_PROXIES", "")
    assert cli.main(["serve"]) == 0
    assert ran["proxy_headers"] is False


def test_a_bad_proxy_is_an_option_error(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["serve", "--trusted-proxy", "everyone"])
    assert exited.value.code == 2
    assert "is not an IP address or network" in capsys.readouterr().err
    monkeypatch.setenv("REDBENCH_TRUSTED_PROXIES", "*")
    assert cli.main(["serve"]) == 2
    assert "受信任的代理“*”不是 IP 地址或网段" in capsys.readouterr().err
