"""Downloading the decision record over HTTP, on every database: the PDF (read back as text
and as an image), the XLSX workbook, the ballot files for outside tools (read back, they
count the same), who may download what and when, the audit trail, and code slips."""

from __future__ import annotations

import io
import re
import subprocess
from urllib.parse import quote

import msgspec
import numpy
from openpyxl import load_workbook
from PIL import Image
from sqlalchemy import select

from ballots.formats import read_ballots
from ballots.formats.pabulib import NAME_KEY
from engine import tally
from service.db.models import AuditEvent
from tests.support.app import ok
from tests.support.documents import pdf_text
from tests.support.records_demo import build_demo
from tests.support.rounds import ensure_phone_window

CHINESE_TITLE = "红板凳议事会决定记录"


async def test_the_pdf_record_reads_back_as_text_and_renders(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    response = await client.get(f"/api/v1/rounds/{demo.round1}/exports/pdf", headers=secretary)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF-")
    bundle = msgspec.json.decode(
        (await client.get(f"/api/v1/rounds/{demo.round1}/bundle", headers=secretary)).content
    )
    text = pdf_text(pdf, tmp_path, layout=True)
    assert CHINESE_TITLE in text
    assert "杜集社区" in text
    assert "口袋公园建设方案" in text
    assert re.search(r"当选方案：\s*儿童游乐设施", text)
    assert bundle["digest"] in text  # the package digest
    assert bundle["rounds"][0]["ballot_box_digest"] in text
    for words in (
        "计票过程",
        "每一步发生了什么",
        "不再计入的票",
        "平局及处理",
        "计票方法比较",
        "主持人（签字）",
        "社区党支部书记（签字）",
    ):
        assert words in text
    assert "72" in text
    assert "即时决选" in text

    # the CJK font is embedded (a subset), so any viewer shows the 汉字
    fonts = subprocess.run(
        ["pdffonts", str(tmp_path / "record.pdf")], capture_output=True, check=True, text=True
    ).stdout
    cjk = [line for line in fonts.splitlines() if "RedBenchCJK" in line or "WenQuanYi" in line]
    assert cjk, fonts
    assert all(" yes " in line for line in cjk), fonts  # emb column
    assert "STSong" not in fonts

    # rendered: the title line is drawn in red ink, not blank or boxes of nothing
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-png",
            str(tmp_path / "record.pdf"),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("RGB")
    width, height = page.size
    title = page.crop((0, int(height * 0.05), width, int(height * 0.12)))
    pixels = numpy.asarray(title).astype(int)
    red = (pixels[..., 0] > 150) & (pixels[..., 1] < 110) & (pixels[..., 2] < 110)
    assert int(red.sum()) > 200


async def test_the_process_record_has_every_round(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    response = await client.get(
        f"/api/v1/processes/{demo.process_id}/exports/pdf?lang=en", headers=secretary
    )
    text = pdf_text(response.content, tmp_path, layout=True)
    assert "Red bench council: record of the whole process" in text
    assert "Round 1: 设施排序" in text
    assert "Round 2: 预算分配" in text
    assert re.search(r"Funded:\s*健身器材, 儿童游乐设施", text)

    workbook = await client.get(
        f"/api/v1/processes/{demo.process_id}/exports/xlsx", headers=secretary
    )
    assert workbook.status_code == 200
    book = load_workbook(io.BytesIO(workbook.content))
    assert book.sheetnames[0] == "概况"
    assert "第2轮 立项" in book.sheetnames
    ballots = book["第1轮 选票"]
    # sealed receipts: each distinct ballot once with its count, no tracker, no line hash
    assert [c.value for c in ballots[1]][:4] == ["轮次", "张数", "选票", "儿童游乐设施"]
    counts = [ballots.cell(row=r, column=2).value for r in range(2, ballots.max_row + 1)]
    assert sum(counts) == 72
    assert len(counts) < 72
    count = book["第1轮 计票"]
    assert [c.value for c in count[1]] == ["轮次", "计票步骤", "选项", "票数", "本步转入", "说明"]
    assert "第1轮 计票说明" in book.sheetnames
    steps = [row[1].value for row in book["第1轮 计票说明"].iter_rows(min_row=2, max_row=6)]
    assert steps[4] == "儿童游乐设施 得 44 票，超过仍在计数的 68 票的一半，当选。"
    decisions = book["第2轮 立项"]
    assert [decisions.cell(row=r, column=2).value for r in (2, 3)] == ["健身器材", "儿童游乐设施"]
    assert decisions["C2"].value == 28  # numbers stay numbers


async def test_ballot_files_for_outside_tools_count_the_same(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    result = (await ok(await client.get(f"/api/v1/rounds/{demo.round1}/result")))["result"]
    for fmt, suffix in (("blt", ".blt"), ("preflib", ".soi")):
        response = await client.get(
            f"/api/v1/rounds/{demo.round1}/exports/{fmt}", headers=secretary
        )
        assert response.status_code == 200, response.text
        assert (
            f"ballots{suffix}" in response.headers["content-disposition"]
            or suffix in (response.headers["content-disposition"])
        )
        path = tmp_path / f"round1{suffix}"
        path.write_bytes(response.content)
        box = read_ballots(path)
        again = tally("irv", box.profile, seed=result["seed"])
        assert list(again.winners) == result["winners"] == ["儿童游乐设施"]
        assert msgspec.json.decode(msgspec.json.encode(again.rounds)) == result["rounds"]

    funded = (await ok(await client.get(f"/api/v1/rounds/{demo.round2}/result")))["result"]
    response = await client.get(f"/api/v1/rounds/{demo.round2}/exports/pabulib", headers=secretary)
    path = tmp_path / "round2.pb"
    path.write_bytes(response.content)
    box = read_ballots(path)
    assert box.meta[NAME_KEY.format("1")] == "儿童游乐设施"  # numbered in the file ...
    assert box.profile.candidates[0] == "儿童游乐设施"  # ... counted under their names
    assert box.published is not None
    again = tally("equal-shares", box.profile, seed=box.published.lot_seed)
    assert list(again.winners) == funded["winners"] == ["健身器材", "儿童游乐设施"]


async def test_who_may_download_what_and_when(client, staff, db):
    demo = await build_demo(client, staff, db)
    r1 = demo.round1
    # the published bundle is public; the other exports are the secretary's (and admin's)
    public = await client.get(f"/api/v1/rounds/{r1}/bundle")
    assert public.status_code == 200
    assert public.headers["content-type"] == "application/json"
    disposition = public.headers["content-disposition"]
    assert 'filename="redbench-round-1-bundle.json"' in disposition
    assert f"filename*=UTF-8''{quote('口袋公园建设方案-第1轮-决定包.json')}" in disposition
    assert (await client.get(f"/api/v1/rounds/{r1}/exports/pdf")).status_code == 401
    denied = await client.get(f"/api/v1/rounds/{r1}/exports/pdf", headers=staff["facilitator"])
    assert denied.status_code == 403
    admin = await client.get(f"/api/v1/rounds/{r1}/exports/comments-csv", headers=staff["admin"])
    assert admin.status_code == 200

    # formats that do not fit are refused with the ones that do
    wrong = await client.get(
        f"/api/v1/rounds/{demo.round2}/exports/blt", headers=staff["secretary"]
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "export-not-applicable"
    assert "pabulib" in wrong.json()["message_en"]
    unknown = await client.get(f"/api/v1/rounds/{r1}/exports/docx", headers=staff["secretary"])
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "unknown-export"
    per_round = await client.get(
        f"/api/v1/processes/{demo.process_id}/exports/ballots-csv", headers=staff["secretary"]
    )
    assert per_round.status_code == 422
    assert per_round.json()["code"] == "export-per-round"

    formats = await ok(await client.get("/api/v1/exports", headers=staff["secretary"]))
    assert [f["name"] for f in formats][:3] == ["json", "pdf", "xlsx"]

    # every download is in the audit log with the digest it carried
    rows = (
        await db.execute(
            select(AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.action == "record.exported"
            )
        )
    ).all()
    shown = {(actor, detail["format"]) for actor, detail in rows}
    assert ("resident", "json") in shown
    assert ("admin 测试", "comments-csv") in shown
    bundle = msgspec.json.decode(public.content)
    assert any(detail["package_digest"] == bundle["digest"] for _, detail in rows)


async def test_no_record_before_the_round_is_closed(client, staff, db):
    demo = await build_demo(client, staff, db)
    facilitator = staff["facilitator"]
    third = await ok(
        await client.post(
            f"/api/v1/processes/{demo.process_id}/rounds",
            json={"title": "补充", "method": "irv", "proposal_ids": demo.proposal_ids[:3]},
            headers=facilitator,
        ),
        409,
    )
    assert third["code"] == "process-not-open"  # a decided process takes no new round

    # a second process whose round is still open for voting
    process = await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/processes",
            json={"title": "积水路段改造"},
            headers=facilitator,
        ),
        201,
    )
    ids = []
    for title in ("加装排水管", "抬高路面"):
        made = await ok(
            await client.post(
                f"/api/v1/processes/{process['id']}/proposals",
                json={"title": title},
                headers=facilitator,
            ),
            201,
        )
        ids.append(made["id"])
    open_round = await ok(
        await client.post(
            f"/api/v1/processes/{process['id']}/rounds",
            json={"title": "选择方案", "method": "irv", "proposal_ids": ids},
            headers=facilitator,
        ),
        201,
    )
    rid = open_round["id"]
    await ok(
        await client.post(f"/api/v1/rounds/{rid}/phase", json={"to": "voting"}, headers=facilitator)
    )
    await ensure_phone_window(client, facilitator, rid)  # the API casts from home
    for headers in (staff["secretary"], None):
        hidden = await client.get(f"/api/v1/rounds/{rid}/bundle", headers=headers)
        assert hidden.status_code == 409
        assert hidden.json()["code"] == "results-hidden"
    hidden = await client.get(f"/api/v1/rounds/{rid}/exports/pdf", headers=staff["secretary"])
    assert hidden.status_code == 409
    nothing = await client.get(
        f"/api/v1/processes/{process['id']}/exports/pdf", headers=staff["secretary"]
    )
    assert nothing.status_code == 409
    assert nothing.json()["code"] == "results-hidden"

    # closed but not yet published: staff may download, the public may not
    await ok(
        await client.post(f"/api/v1/rounds/{rid}/phase", json={"to": "closed"}, headers=facilitator)
    )
    assert (await client.get(f"/api/v1/rounds/{rid}/bundle")).status_code == 409
    staff_copy = await client.get(f"/api/v1/rounds/{rid}/bundle", headers=staff["secretary"])
    assert staff_copy.status_code == 200


async def test_code_slips_carry_codes_that_vote(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)
    facilitator = staff["facilitator"]
    process = await ok(
        await client.post(
            f"/api/v1/communities/{demo.community_id}/processes",
            json={"title": "楼道灯更换"},
            headers=facilitator,
        ),
        201,
    )
    ids = []
    for title in ("感应灯", "常亮灯"):
        made = await ok(
            await client.post(
                f"/api/v1/processes/{process['id']}/proposals",
                json={"title": title},
                headers=facilitator,
            ),
            201,
        )
        ids.append(made["id"])
    made = await ok(
        await client.post(
            f"/api/v1/processes/{process['id']}/rounds",
            json={"title": "选灯", "method": "plurality", "proposal_ids": ids},
            headers=facilitator,
        ),
        201,
    )
    rid = made["id"]
    await ok(
        await client.post(f"/api/v1/rounds/{rid}/phase", json={"to": "voting"}, headers=facilitator)
    )
    await ensure_phone_window(client, facilitator, rid)  # the API casts from home
    denied = await client.post(
        f"/api/v1/rounds/{rid}/code-slips", json={"count": 3}, headers=staff["secretary"]
    )
    assert denied.status_code == 403
    response = await client.post(
        f"/api/v1/rounds/{rid}/code-slips", json={"count": 12}, headers=facilitator
    )
    assert response.status_code == 201, response.text
    assert response.headers["content-type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path, layout=True)
    codes = re.findall(r"\b[0-9A-Z]{5}-[0-9A-Z]{5}\b", text)
    assert len(set(codes)) == 12
    assert "红板凳议事会投票码" in text
    assert "楼道灯更换" in text
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "record.pdf")], capture_output=True, text=True
    ).stdout
    assert len(images.strip().splitlines()) == 2  # header lines only: QR codes are vectors
    turnout = await ok(await client.get(f"/api/v1/rounds/{rid}/turnout", headers=facilitator))
    assert turnout["codes_issued"] == 12
    receipt = await client.post(
        f"/api/v1/rounds/{rid}/ballots",
        json={
            "code": codes[0],
            "key": "slip-test-key-0001",
            "ballot": {"kind": "ranked", "ranking": [["感应灯"]]},
        },
    )
    assert receipt.status_code == 201, receipt.text
    actions = set((await db.scalars(select(AuditEvent.action))).all())
    assert "codes.slips_printed" in actions


def test_a_round_of_no_decision_says_so_in_the_pdf_and_the_tables(tmp_path):
    from ballots.bundle import Package, ProcessRecord, seal
    from ballots.recount import round_from_box
    from service.records.document import decision_pdf
    from service.records.tables import summary_rows

    path = tmp_path / "blank.toi"
    path.write_text("# ALTERNATIVE NAME 1: 文化墙\n# ALTERNATIVE NAME 2: 健身器材\n4:\n", "utf-8")
    record = round_from_box(read_ballots(path), "irv")
    bundle = seal(Package(process=ProcessRecord(title="空白票"), rounds=(record,)))
    shown = pdf_text(decision_pdf(bundle, "zh"), tmp_path, layout=True)
    assert "无结果：没有有效选票" in shown
    rows = summary_rows(bundle, "en")
    assert any(
        str(cell).startswith("No decision: no valid ballots") for row in rows for cell in row
    )
