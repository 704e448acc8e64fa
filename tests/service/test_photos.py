"""Photos from any phone, on every database: a 12 兆 phone photo is taken, stored shrunk
and upright with its GPS position and every other piece of metadata gone, and the photo
API, the loop and the record describe the stored bytes; an iPhone's HEIC is taken; a clean
small JPEG is kept as sent; refusals say sizes in 兆 and keep nothing — not even the note
sent with them."""

from __future__ import annotations

import hashlib
import io
from typing import Any

from PIL import Image
from pillow_heif import register_heif_opener
from sqlalchemy import func, select

from service.db.models import TaskNote, TaskPhoto
from service.demo.loader import PHOTO
from service.loop.photos import MAX_PHOTO_BYTES, UPLOAD_LIMIT
from service.loop.shrink import LONG_SIDE
from service.sizes import MEGABYTE, megabytes
from tests.support.app import ok
from tests.support.pages import token_from, use_session
from tests.support.phone_photos import metadata_left, phone_photo, red_side
from tests.support.records_demo import build_demo

register_heif_opener()


async def a_note(client: Any, staff: dict[str, dict[str, str]], db: Any) -> tuple[int, int]:
    """A task and a progress note on the demo's decided process: (task id, note id)."""
    demo = await build_demo(client, staff, db)
    secretary = staff["secretary"]
    task = await ok(
        await client.post(
            f"/api/v1/processes/{demo.process_id}/tasks",
            json={"title": "楼道扶手", "owner": "物业公司", "due_on": "2030-01-01"},
            headers=secretary,
        ),
        201,
    )
    note = await ok(
        await client.post(
            f"/api/v1/tasks/{task['id']}/notes", json={"body": "扶手已装好"}, headers=secretary
        ),
        201,
    )
    return task["id"], note["id"]


async def test_a_phone_photo_is_stored_shrunk_upright_and_without_metadata(client, staff, db):
    task_id, note_id = await a_note(client, staff, db)
    sent = phone_photo()  # 4032 × 3024 on its side, GPS and EXIF, about 12 兆
    assert len(sent) > 12 * MEGABYTE
    assert "gps.2" in metadata_left(sent)  # the latitude is there to remove
    [photo] = await ok(
        await client.post(
            f"/api/v1/task-notes/{note_id}/photos",
            files=[("photos", ("IMG_0042.JPG", sent, "image/jpeg"))],
            headers=staff["secretary"],
        ),
        201,
    )
    assert (photo["content_type"], photo["filename"]) == ("image/jpeg", "IMG_0042.jpg")
    assert photo["size"] < 2 * MEGABYTE

    served = await client.get(photo["url"])
    stored = served.content
    assert served.headers["content-type"] == "image/jpeg"
    # what the API says and what the record carries is the stored JPEG, not the phone's
    assert (len(stored), hashlib.sha256(stored).hexdigest()) == (photo["size"], photo["sha256"])
    row = (await db.scalars(select(TaskPhoto).where(TaskPhoto.id == photo["id"]))).one()
    assert bytes(row.data) == stored
    # upright: the 4032-wide photo lying on its side is shown 3024 wide, shrunk to 2048 tall
    shown = Image.open(io.BytesIO(stored))
    assert shown.size == (1536, LONG_SIDE)
    assert red_side(stored) == "right"  # the band at the stored top, after the quarter turn
    assert metadata_left(stored) == {}  # no EXIF, no GPS, no comment, no XMP, no profile
    assert b"Phone Maker" not in stored
    assert b"taken at home" not in stored
    task = await ok(await client.get(f"/api/v1/tasks/{task_id}", headers=staff["secretary"]))
    assert task["notes"][0]["photos"][0]["sha256"] == photo["sha256"]


async def test_an_iphone_heic_is_taken_as_a_jpeg(client, staff, db):
    _, note_id = await a_note(client, staff, db)
    out = io.BytesIO()
    Image.new("RGB", (4032, 3024), (30, 120, 200)).save(out, "HEIF", quality=60)
    [photo] = await ok(
        await client.post(
            f"/api/v1/task-notes/{note_id}/photos",
            files=[("photos", ("IMG_0043.HEIC", out.getvalue(), "image/heic"))],
            headers=staff["secretary"],
        ),
        201,
    )
    assert (photo["content_type"], photo["filename"]) == ("image/jpeg", "IMG_0043.jpg")
    stored = (await client.get(photo["url"])).content
    assert Image.open(io.BytesIO(stored)).format == "JPEG"
    assert Image.open(io.BytesIO(stored)).size == (LONG_SIDE, 1536)


async def test_a_clean_small_jpeg_is_kept_as_sent(client, staff, db):
    _, note_id = await a_note(client, staff, db)
    sent = PHOTO.read_bytes()  # 800 × 600, the JFIF header only
    [photo] = await ok(
        await client.post(
            f"/api/v1/task-notes/{note_id}/photos",
            files=[("photos", ("playground.jpg", sent, "image/jpeg"))],
            headers=staff["secretary"],
        ),
        201,
    )
    assert photo["sha256"] == hashlib.sha256(sent).hexdigest()
    # a small photo with a comment is not clean: encoded afresh, the comment gone
    out = io.BytesIO()
    Image.open(io.BytesIO(sent)).save(out, "JPEG", comment=b"3 Building, Room 101")
    [again] = await ok(
        await client.post(
            f"/api/v1/task-notes/{note_id}/photos",
            files=[("photos", ("room.jpg", out.getvalue(), "image/jpeg"))],
            headers=staff["secretary"],
        ),
        201,
    )
    stored = (await client.get(again["url"])).content
    assert b"Room 101" not in stored
    assert metadata_left(stored) == {}


async def test_refusals_say_sizes_in_megabytes_and_store_nothing(client, staff, db):
    _, note_id = await a_note(client, staff, db)
    url = f"/api/v1/task-notes/{note_id}/photos"
    secretary = staff["secretary"]

    too_big = b"\xff\xd8\xff\xe0" + b"\0" * (MAX_PHOTO_BYTES + MEGABYTE // 2 - 4)
    big = await client.post(
        url, files=[("photos", ("大.jpg", too_big, "image/jpeg"))], headers=secretary
    )
    assert (big.status_code, big.json()["field"]) == (413, "photos")
    assert big.json()["message_zh"] == "照片“大.jpg”太大（20.5 兆），每张最大 20 兆"
    assert big.json()["message_en"] == "大.jpg is too large (20.5 MB); a photo may be at most 20 MB"

    whole = b"\0" * (UPLOAD_LIMIT + MEGABYTE)  # more than the request may carry
    over = await client.post(
        url, files=[("photos", ("多.jpg", whole, "image/jpeg"))], headers=secretary
    )
    assert over.status_code == 413
    said = over.json()["message_zh"]
    assert said.startswith("上传的内容太大（101.1 兆），一次最多 100 兆"), said
    assert "MiB" not in said
    assert "字节" not in said

    text = await client.post(
        url, files=[("photos", ("说明.jpg", "不是照片".encode(), "image/jpeg"))], headers=secretary
    )
    assert text.status_code == 415
    assert (
        text.json()["message_zh"] == "“说明.jpg”不是能打开的照片（可以是 JPEG、PNG、WebP 或 HEIC）"
    )
    bomb = io.BytesIO()  # small on the wire, 108 megapixels once opened
    Image.new("1", (12_000, 9_000)).save(bomb, "PNG")
    many = await client.post(
        url, files=[("photos", ("大图.png", bomb.getvalue(), "image/png"))], headers=secretary
    )
    assert many.status_code == 422
    assert many.json()["message_zh"] == "照片“大图.png”的像素太多（108 百万像素），最多 50 百万像素"
    assert await db.scalar(select(func.count()).select_from(TaskPhoto)) == 0


async def test_a_refused_photo_on_the_note_form_keeps_nothing_and_says_megabytes(client, staff, db):
    demo = await build_demo(client, staff, db)
    use_session(client, staff["secretary"])
    token = await token_from(client)
    made = await client.post(
        f"/secretary/processes/{demo.process_id}/tasks",
        data={
            "title": "楼道照明",
            "owner": "物业公司",
            "due_on": "2030-01-01",
            "_csrf_token": token,
        },
        follow_redirects=False,
    )
    task_id = int(made.headers["location"].rsplit("#task-", 1)[1])
    form_page = f"http://testserver.local/secretary/processes/{demo.process_id}"
    too_big = b"\xff\xd8\xff\xe0" + b"\0" * (MAX_PHOTO_BYTES + 3 * MEGABYTE - 4)
    refused = await client.post(
        f"/secretary/tasks/{task_id}/notes",
        data={"body": "灯已换好", "_csrf_token": token},
        files=[("photos", ("楼道.jpg", too_big, "image/jpeg"))],
        headers={"Referer": form_page},
    )
    assert refused.status_code == 413
    assert "照片“楼道.jpg”太大（23 兆），每张最大 20 兆" in refused.text
    assert 'data-field="photos"' in refused.text
    assert "需要修改的一项：照片" in refused.text
    assert f'href="/secretary/processes/{demo.process_id}" data-way="back"' in refused.text
    assert await db.scalar(select(func.count()).select_from(TaskNote)) == 0

    over = await client.post(
        f"/secretary/tasks/{task_id}/notes",
        data={"body": "灯已换好", "_csrf_token": token},
        files=[("photos", ("楼道.jpg", b"\0" * (UPLOAD_LIMIT + 1), "image/jpeg"))],
        headers={"Referer": form_page},
    )
    assert over.status_code == 413
    assert "上传的内容太大（100.1 兆），一次最多 100 兆" in over.text
    assert await db.scalar(select(func.count()).select_from(TaskNote)) == 0

    phone = await client.post(
        f"/secretary/tasks/{task_id}/notes",
        data={"body": "灯已换好", "_csrf_token": token},
        files=[("photos", ("楼道.jpg", phone_photo(), "image/jpeg"))],
        follow_redirects=False,
    )
    assert phone.status_code == 303, phone.text
    stored = (await db.scalars(select(TaskPhoto.data))).one()
    assert len(stored) < 2 * MEGABYTE
    assert metadata_left(bytes(stored)) == {}


def test_sizes_are_said_in_megabytes():
    assert megabytes(20 * MEGABYTE) == "20"
    assert megabytes(int(23.4 * MEGABYTE)) == "23.4"
    assert megabytes(1) == "0.1"  # a file with bytes is never "0"
    assert megabytes(0) == "0"
    assert megabytes(100 * MEGABYTE + 1) == "100"
    assert megabytes(100 * MEGABYTE + 1, up=True) == "100.1"  # over a limit reads over it
