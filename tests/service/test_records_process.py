"""A process's whole record, on every database: the PDF, the XLSX workbook and the JSON
bundle hold the whole loop — the counted rounds, a round cancelled before voting, the tasks
with their notes and the photo (printed in the PDF, listed by digest in the tables), the
residents' feedback, the close-out, the re-opening and the close-out again — with the
signature lines to file it and post it; a record made before the loop says so."""

from __future__ import annotations

import hashlib
import io
import subprocess
from urllib.parse import quote

import msgspec
import pytest
from openpyxl import load_workbook
from PIL import Image

from ballots.bundle import LOOP_VERSION, VERSION, decode
from ballots.verify import verify
from service.demo.loader import PHOTO
from service.records.loop_pages import PHOTO_HEIGHT, PHOTO_PIXELS, PHOTO_WIDTH, printable, scaled
from tests.support.documents import pdf_text
from tests.support.records_demo import build_demo

PHOTO_DIGEST = hashlib.sha256(PHOTO.read_bytes()).hexdigest()


def flat(text: str) -> str:
    """The text without the spaces and line breaks the layout puts in."""
    return "".join(text.split())


async def export(client, staff, process_id: int, fmt: str, lang: str = "zh") -> bytes:
    response = await client.get(
        f"/api/v1/processes/{process_id}/exports/{fmt}?lang={lang}", headers=staff["secretary"]
    )
    assert response.status_code == 200, response.text
    named = {"pdf": "全过程记录.pdf", "xlsx": "全过程记录.xlsx", "json": "决定包.json"}[fmt]
    if lang == "zh":
        disposition = response.headers["content-disposition"]
        assert f"filename*=UTF-8''{quote('口袋公园建设方案-' + named)}" in disposition
    return response.content


async def test_the_pdf_holds_the_whole_loop_to_file_and_post(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db, whole_loop=True)
    pdf = await export(client, staff, demo.process_id, "pdf")
    text = flat(pdf_text(pdf, tmp_path, layout=True))
    for words in (
        "红板凳议事会议事全过程记录",
        "当前阶段已销号2026-07-1609:00（北京时间）",
        # the rounds, then the round cancelled before voting, its number said once
        "第1轮：设施排序",
        "第2轮：预算分配",
        "开始投票前取消的轮次",
        "第3轮2026-05-1509:10（北京时间）误建：预算分配已在第2轮完成，这一轮不需要",
        # 落实: the tasks, their notes (with the status and progress they set)
        "落实情况",
        "任务1：采购并安装滑梯和秋千",
        "落实的方案儿童游乐设施",
        "2026-05-1909:00（北京时间）secretary测试：已与供应商签订合同，设备下周到货。（状态：进行中，进度20%）",
        "已更换秋千链条，并复查全部设施，无其他问题。",
        "任务2：安装适老健身器材",
        f"照片口袋公园游乐区完工.jpg摘要{PHOTO_DIGEST}",
        # 反馈
        "居民反馈",
        "2026年7月5日议事会现场测评318392.9%",
        "公示栏收集365197.6%",
        # 销号, the re-opening and the second close-out
        "两项任务均已完成并验收，居民满意率92.9%，同意销号。",
        "重新打开居民反映秋千链条松动，检修后再销号。",
        "秋千已检修，居民反馈良好，同意销号。",
        # signed and posted
        "主持人（签字）",
        "社区党支部书记（签字）",
        "公示张贴（经办人）",
    ):
        assert flat(words) in text, words
    assert "第3轮：第3轮" not in text
    bundle = decode(await export(client, staff, demo.process_id, "json"))
    assert bundle.digest in text

    # the photo is embedded once, scaled for print (the demo's is 800 × 600)
    (tmp_path / "record.pdf").write_bytes(pdf)
    images = subprocess.run(
        ["pdfimages", "-list", str(tmp_path / "record.pdf")],
        capture_output=True,
        check=True,
        text=True,
    ).stdout.splitlines()[2:]
    assert len(images) == 1
    width, height = (int(v) for v in images[0].split()[3:5])
    assert (width, height) == (800, 600)
    assert images[0].split()[8] == "jpeg"


async def test_the_english_record_says_the_same(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db, whole_loop=True)
    text = pdf_text(
        await export(client, staff, demo.process_id, "pdf", "en"), tmp_path, layout=True
    )
    for words in (
        "Red bench council: record of the whole process",
        "Rounds cancelled before voting",
        "Implementation",
        "Task 1: 采购并安装滑梯和秋千",
        "Residents' feedback",
        "Close-out",
        "re-opened",
        "Posted on the board (by)",
    ):
        assert words in text, words


async def test_the_workbook_lists_tasks_notes_photos_feedback_and_close_outs(client, staff, db):
    demo = await build_demo(client, staff, db, whole_loop=True)
    book = load_workbook(io.BytesIO(await export(client, staff, demo.process_id, "xlsx")))
    assert book.sheetnames[-6:] == [
        "已取消轮次",
        "落实任务",
        "进展记录",
        "照片",
        "居民反馈",
        "销号记录",
    ]
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(values_only=True) if row[0]}
    assert summary["红板凳议事会议事全过程记录"] is None
    assert summary["当前阶段"] == "已销号"
    assert summary["销号时间"] == "2026-07-16 09:00（北京时间）"

    def rows(name: str) -> list[tuple[object, ...]]:
        return list(book[name].iter_rows(values_only=True))

    assert rows("已取消轮次")[1] == (
        "第3轮",
        "2026-05-15 09:10（北京时间）",
        "误建：预算分配已在第2轮完成，这一轮不需要",
    )
    tasks = rows("落实任务")
    assert tasks[0][:7] == ("序号", "任务", "落实的方案", "负责人", "期限", "状态", "进度")
    assert tasks[1][:7] == (
        1,
        "采购并安装滑梯和秋千",
        "儿童游乐设施",
        "社区居委会 王主任",
        "2026-06-30",
        "已完成",
        100,
    )
    notes = rows("进展记录")
    assert len(notes) == 5  # the header and four notes
    assert notes[2][4:] == (
        "滑梯和秋千安装完毕，塑胶地面已铺好，验收合格。",
        "已完成",
        100,
        "口袋公园游乐区完工.jpg",
    )
    photos = rows("照片")
    assert photos[1][3:] == (
        "口袋公园游乐区完工.jpg",
        "image/jpeg",
        PHOTO.stat().st_size,
        PHOTO_DIGEST,
    )
    feedback = rows("居民反馈")
    assert feedback[1][:7] == ("2026-07-05", "议事会现场测评", 31, 8, 3, 42, "92.9%")
    assert [r[1] for r in rows("销号记录")[1:]] == ["销号", "重新打开", "销号"]


async def test_the_json_record_holds_the_loop_and_verifies(client, staff, db):
    demo = await build_demo(client, staff, db, whole_loop=True)
    data = await export(client, staff, demo.process_id, "json")
    bundle = decode(data)
    assert bundle.version == LOOP_VERSION
    loop = bundle.loop
    assert not isinstance(loop, msgspec.UnsetType)
    assert loop.phase == "closed"
    assert [c.number for c in loop.cancelled_rounds] == [3]
    assert [r.number for r in bundle.rounds] == [1, 2]
    assert [t.title for t in loop.tasks] == ["采购并安装滑梯和秋千", "安装适老健身器材"]
    [photo] = [p for t in loop.tasks for n in t.notes for p in n.photos]
    assert (photo.sha256, photo.size) == (PHOTO_DIGEST, PHOTO.stat().st_size)
    assert [c.action for c in loop.close_outs] == ["closed", "reopened", "closed"]
    assert verify(data).verified

    # the loop is under the package digest: a changed count is found
    forged = data.replace(b'"satisfied":31', b'"satisfied":41')
    assert forged != data
    report = verify(forged)
    assert not report.verified
    assert [f.check for f in report.findings] == ["package-digest"]

    # a round's bundle has no loop and stays version 1
    round_bundle = decode(
        (
            await client.get(f"/api/v1/rounds/{demo.round1}/bundle", headers=staff["secretary"])
        ).content
    )
    assert round_bundle.version == VERSION
    assert isinstance(round_bundle.loop, msgspec.UnsetType)


async def test_a_record_made_before_the_loop_says_so(client, staff, db, tmp_path):
    demo = await build_demo(client, staff, db)  # decided, nothing carried out yet
    text = flat(
        pdf_text(await export(client, staff, demo.process_id, "pdf"), tmp_path, layout=True)
    )
    for words in ("当前阶段已决定", "尚未安排落实任务。", "尚无居民反馈记录。", "尚未销号。"):
        assert words in text, words
    assert "开始投票前取消的轮次" not in text
    book = load_workbook(io.BytesIO(await export(client, staff, demo.process_id, "xlsx")))
    assert "已取消轮次" not in book.sheetnames
    assert book["落实任务"].max_row == 1  # the header only


def image(kind: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    colour = (200, 30, 30, 0) if mode == "RGBA" else (200, 30, 30)  # RGBA: all transparent
    Image.new(mode, size, colour).save(out, kind)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "pixels"),
    [
        (image("JPEG", (4000, 3000)), (PHOTO_PIXELS, 900)),
        (image("PNG", (600, 1800), "RGBA"), (400, PHOTO_PIXELS)),
        (image("WEBP", (300, 200)), (300, 200)),
    ],
)
def test_a_photo_is_scaled_for_print_and_kept_on_its_page(data, pixels):
    ready = scaled(data)
    assert ready is not None
    jpeg, width, height = ready
    assert (width, height) == pixels
    assert Image.open(io.BytesIO(jpeg)).format == "JPEG"
    printed = printable(data)
    assert printed is not None
    assert printed.drawWidth <= PHOTO_WIDTH + 0.01
    assert printed.drawHeight <= PHOTO_HEIGHT + 0.01
    assert abs(printed.drawWidth / printed.drawHeight - width / height) < 0.01


def test_a_transparent_photo_is_printed_on_white():
    ready = scaled(image("PNG", (50, 50), "RGBA"))
    assert ready is not None
    assert min(Image.open(io.BytesIO(ready[0])).getpixel((25, 25))) > 245


def test_a_photo_taken_sideways_is_printed_upright():
    out = io.BytesIO()
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: turn 90° clockwise to view
    Image.new("RGB", (400, 200), "white").save(out, "JPEG", exif=exif)
    ready = scaled(out.getvalue())
    assert ready is not None
    assert ready[1:] == (200, 400)


def test_a_photo_that_cannot_be_read_is_not_printed():
    assert scaled(b"\xff\xd8\xff" + b"not really a jpeg") is None
    assert printable(b"") is None
