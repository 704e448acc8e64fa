"""Every download has a Chinese file name, on every database: each route that answers with
a file (the public bundle, every export of each round, the process's records, the
secretary's page downloads, the result poster) carries a ``Content-Disposition`` with the
name in Chinese as UTF-8 (``filename*``) and an ASCII fallback (``filename``), the export's
extension on both; and ``redbench export`` without ``-o`` writes the file under the same
Chinese name. (The code-slip PDF is named elsewhere.)"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import unquote

from service.cli import main
from service.records.exports import FORMATS
from tests.support.pages import use_session
from tests.support.records_demo import build_demo

TITLE = "口袋公园建设方案"
CHINESE = re.compile(r"[\u4e00-\u9fff]")


def names(disposition: str) -> tuple[str, str]:
    """The Chinese file name and the ASCII fallback of a ``Content-Disposition``."""
    assert disposition.startswith("attachment;"), disposition
    utf8 = re.search(r"filename\*=UTF-8''(\S+)", disposition)
    plain = re.search(r'filename="([^"]+)"', disposition)
    assert utf8, disposition
    assert plain, disposition
    return unquote(utf8.group(1)), plain.group(1)


def chinese_named(disposition: str, extension: str) -> str:
    """The Chinese name, checked: the process's title first, a Chinese word for what it
    holds, the extension; the fallback plain ASCII with the same extension."""
    name, fallback = names(disposition)
    assert name.startswith(f"{TITLE}-"), name
    assert CHINESE.search(name.removeprefix(TITLE)), name  # what it holds, in Chinese
    assert name.endswith(f".{extension}"), name
    assert fallback.isascii(), fallback
    assert fallback.startswith("redbench-"), fallback
    assert fallback.endswith(f".{extension}"), fallback
    return name


async def test_every_api_download_has_a_chinese_file_name(client, staff, db):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    bundle = await client.get(f"/api/v1/rounds/{demo.round1}/bundle")
    assert bundle.status_code == 200
    assert chinese_named(bundle.headers["content-disposition"], "json") == (
        "口袋公园建设方案-第1轮-决定包.json"
    )
    seen: dict[tuple[int, str], str] = {}
    for round_id, kind in ((demo.round1, "ranked"), (demo.round2, "budget")):
        for fmt, spec in FORMATS.items():
            if spec.kinds and kind not in spec.kinds:
                continue
            got = await client.get(f"/api/v1/rounds/{round_id}/exports/{fmt}", headers=secretary)
            assert got.status_code == 200, (fmt, got.text)
            disposition = got.headers["content-disposition"]
            extension = names(disposition)[1].rsplit(".", 1)[1]  # PrefLib's says its kind
            seen[(round_id, fmt)] = chinese_named(disposition, extension)
    assert seen[(demo.round1, "blt")] == "口袋公园建设方案-第1轮-选票.blt"
    assert seen[(demo.round1, "pdf")] == "口袋公园建设方案-第1轮-决定记录.pdf"
    assert seen[(demo.round1, "rounds-csv")] == "口袋公园建设方案-第1轮-计票过程.csv"
    assert seen[(demo.round2, "pabulib")] == "口袋公园建设方案-第2轮-选票.pb"
    assert seen[(demo.round2, "decisions-csv")] == "口袋公园建设方案-第2轮-立项.csv"
    for fmt in ("json", "pdf", "xlsx"):
        got = await client.get(
            f"/api/v1/processes/{demo.process_id}/exports/{fmt}", headers=secretary
        )
        assert got.status_code == 200, got.text
        name = chinese_named(got.headers["content-disposition"], fmt)
        assert "第" not in name  # the whole process: no round in its name
    poster = await client.get(f"/api/v1/rounds/{demo.round1}/poster", params={"size": "A3"})
    assert chinese_named(poster.headers["content-disposition"], "pdf") == (
        "口袋公园建设方案-第1轮结果海报-A3.pdf"
    )


async def test_every_page_download_has_a_chinese_file_name(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["secretary"])
    for fmt, extension in (("pdf", "pdf"), ("xlsx", "xlsx"), ("blt", "blt")):
        got = await client.get(f"/secretary/rounds/{demo.round1}/exports/{fmt}")
        assert got.status_code == 200, got.text
        chinese_named(got.headers["content-disposition"], extension)
    got = await client.get(f"/secretary/processes/{demo.process_id}/exports/pdf")
    assert got.status_code == 200
    assert chinese_named(got.headers["content-disposition"], "pdf") == (
        "口袋公园建设方案-全过程记录.pdf"
    )
    client.cookies.clear()
    poster = await client.get(f"/board/rounds/{demo.round2}/poster")
    assert chinese_named(poster.headers["content-disposition"], "pdf") == (
        "口袋公园建设方案-第2轮结果海报-A4.pdf"
    )


async def test_the_command_line_writes_an_export_under_its_chinese_name(
    client, staff, db, settings, tmp_path, capsys, monkeypatch
):
    demo = await build_demo(client, staff, db)
    monkeypatch.chdir(tmp_path)
    database = ["--database", settings.database_url, "--lang", "zh"]
    for argv, expected in (
        (["export", str(demo.round1), "--format", "blt"], "口袋公园建设方案-第1轮-选票.blt"),
        (["export", str(demo.round2), "--format", "pdf"], "口袋公园建设方案-第2轮-决定记录.pdf"),
        (
            ["export", str(demo.process_id), "--process", "--format", "xlsx"],
            "口袋公园建设方案-全过程记录.xlsx",
        ),
    ):
        assert await asyncio.to_thread(main, [*argv, *database]) == 0
        assert (tmp_path / expected).stat().st_size > 0
        assert expected in capsys.readouterr().out
