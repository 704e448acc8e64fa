"""Error pages that keep what was typed, and photos from a phone, in a real browser on every
database: the secretary's progress note refused for its progress field comes back filled in
with the message next to the field; a file that is no photo is refused without losing the
note; a 12 兆 phone photo lying on its side with its GPS position is taken, stored shrunk,
upright and without the position."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from engine.process import ProcessPhase
from service.accounts.repository import create_user
from service.accounts.schemas import UserCreate
from service.auth.cross_site import FORM_COOKIE
from service.auth.hashing import PasswordHasher
from service.db import models
from service.sizes import MEGABYTE
from tests.e2e.helpers import PASSWORD, Server, axe_violations, set_up_meeting, shot, sign_in
from tests.support.phone_photos import metadata_left, phone_photo, red_side

NOTE = "楼道扶手已装好，三楼的灯换成了声控灯"
SECOND = "四楼扶手松动，已通知物业"


def implementing_task(server: Server, tag: str) -> tuple[int, int, str]:
    """A process carrying out its decision with one task, and a secretary to note its
    progress: (process id, task id, the secretary's user name)."""
    meeting = set_up_meeting(server, tag)

    async def work(db: AsyncSession) -> tuple[int, int, str]:
        username = f"shuji-{tag}"
        await create_user(
            db,
            UserCreate(
                username=username, display_name="李书记", role="secretary", password=PASSWORD
            ),
            PasswordHasher(),
        )
        process = await db.get(models.Process, meeting.process_id)
        assert process is not None
        process.phase = ProcessPhase.IMPLEMENTING
        task = models.Task(
            process_id=process.id,
            title="楼道扶手和照明",
            owner="物业公司",
            due_on=date(2030, 1, 1),
            description="",
        )
        db.add(task)
        await db.commit()
        return process.id, task.id, username

    return server.db(work)


def stored_photos(server: Server, task_id: int) -> list[bytes]:
    async def work(db: AsyncSession) -> list[bytes]:
        rows = await db.scalars(
            select(models.TaskPhoto.data)
            .join(models.TaskNote, models.TaskNote.id == models.TaskPhoto.note_id)
            .where(models.TaskNote.task_id == task_id)
        )
        return [bytes(data) for data in rows]

    return server.db(work)


def open_note_form(page: Page, task_id: int) -> None:
    form = page.locator(f"form[action='/secretary/tasks/{task_id}/notes']")
    if not form.is_visible():
        page.locator(f"#task-{task_id} details summary").first.click()
    expect(form).to_be_visible()


def kept_keys(page: Page) -> list[str]:
    return list(page.evaluate("Object.keys(sessionStorage)"))


def test_a_refused_note_comes_back_filled_in_with_the_message_at_its_field(
    browser: Browser, server: Server, backend: str, artefacts: Path
) -> None:
    process_id, task_id, secretary = implementing_task(server, f"{backend}-errors")
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    form_page = f"/secretary/processes/{process_id}"
    sign_in(page, server, secretary, form_page)
    open_note_form(page, task_id)
    page.fill(f"#n-body-{task_id}", NOTE)
    page.select_option(f"#n-status-{task_id}", "in_progress")
    page.fill(f"#n-progress-{task_id}", "150")
    page.click(f"form[action='/secretary/tasks/{task_id}/notes'] button[type=submit]")

    # the error page names the field and offers the way back and onward
    expect(page.locator("h1")).to_have_text("表单里有一项需要修改")
    expect(page.locator(".refusal-field")).to_have_text("需要修改的一项：进度（%）")
    expect(page.locator("[data-kept]")).to_be_visible()  # the script kept the note
    kept = page.evaluate("JSON.stringify(Object.values(sessionStorage))")
    assert NOTE in kept
    assert "_csrf_token" not in kept  # form tokens (and hidden fields) are never kept
    expect(page.locator("a[data-way=on][href='/secretary']")).to_have_text("回到书记工作台")
    assert axe_violations(page) == []
    shot(page, artefacts, "error-page", backend)
    message = page.locator("p.alert").inner_text()
    page.click("a[data-way=back]")

    # back at the form: the note is there again, the message sits at the progress field
    page.wait_for_url(server.url(form_page))
    body = page.locator(f"#n-body-{task_id}")
    progress = page.locator(f"#n-progress-{task_id}")
    expect(body).to_be_visible()
    expect(body).to_have_value(NOTE)
    expect(page.locator(f"#n-status-{task_id}")).to_have_value("in_progress")
    expect(progress).to_have_value("150")
    expect(progress).to_be_focused()
    expect(progress).to_have_attribute("aria-invalid", "true")
    described = progress.get_attribute("aria-describedby") or ""
    error = page.locator(".field-error")
    expect(error).to_have_text(message)
    assert error.get_attribute("id") in described.split()
    assert f"n-progress-help-{task_id}" in described.split()  # its own help stays
    shot(page, artefacts, "error-restored", backend)

    # corrected and sent: it goes through and nothing typed stays in the browser
    progress.fill("60")
    page.click(f"form[action='/secretary/tasks/{task_id}/notes'] button[type=submit]")
    page.wait_for_url(server.url(f"{form_page}#task-{task_id}"))
    expect(page.locator(f"#task-{task_id}")).to_contain_text(NOTE)
    assert kept_keys(page) == []

    # the form token expired while the note was typed: the note survives that too
    open_note_form(page, task_id)
    page.fill(f"#n-body-{task_id}", SECOND)
    page.context.clear_cookies(name=FORM_COOKIE)
    page.click(f"form[action='/secretary/tasks/{task_id}/notes'] button[type=submit]")
    expect(page.locator("h1")).to_have_text("表单已过期")
    page.click("a[data-way=back]")
    page.wait_for_url(server.url(form_page))
    expect(page.locator(f"#n-body-{task_id}")).to_have_value(SECOND)
    page.click(f"form[action='/secretary/tasks/{task_id}/notes'] button[type=submit]")
    page.wait_for_url(server.url(f"{form_page}#task-{task_id}"))
    expect(page.locator(f"#task-{task_id}")).to_contain_text(SECOND)
    page.close()


def test_a_phone_photo_through_the_note_form(
    browser: Browser, server: Server, backend: str, artefacts: Path, tmp_path: Path
) -> None:
    process_id, task_id, secretary = implementing_task(server, f"{backend}-photo")
    page = browser.new_page(viewport={"width": 768, "height": 1024})
    form_page = f"/secretary/processes/{process_id}"
    sign_in(page, server, secretary, form_page)
    submit = f"form[action='/secretary/tasks/{task_id}/notes'] button[type=submit]"

    # a file that is no photo is refused, and the note typed with it is not lost
    not_a_photo = tmp_path / "扶手.jpg"
    not_a_photo.write_text("这不是照片", encoding="utf-8")
    open_note_form(page, task_id)
    page.fill(f"#n-body-{task_id}", NOTE)
    page.set_input_files(f"#n-photos-{task_id}", str(not_a_photo))
    page.click(submit)
    expect(page.locator("h1")).to_have_text("文件没有收下")
    expect(page.locator("p.alert")).to_contain_text("“扶手.jpg”不是能打开的照片")
    page.click("a[data-way=back]")
    page.wait_for_url(server.url(form_page))
    expect(page.locator(f"#n-body-{task_id}")).to_have_value(NOTE)
    expect(page.locator(f"#n-photos-{task_id}")).to_be_focused()
    expect(page.locator(".restored")).to_contain_text("请重新选择")
    assert stored_photos(server, task_id) == []

    # a 12 兆 phone photo, on its side, with its GPS position: taken and stored shrunk
    photo = tmp_path / "IMG_0042.JPG"
    photo.write_bytes(phone_photo())
    assert photo.stat().st_size > 12 * MEGABYTE
    page.set_input_files(f"#n-photos-{task_id}", str(photo))
    page.click(submit)
    page.wait_for_url(server.url(f"{form_page}#task-{task_id}"))
    expect(page.locator(f"#task-{task_id} img.thumb")).to_have_count(1)
    shot(page, artefacts, "phone-photo-note", backend)
    [stored] = stored_photos(server, task_id)
    assert len(stored) < 2 * MEGABYTE
    assert metadata_left(stored) == {}  # no GPS position, no EXIF at all
    assert red_side(stored) == "right"  # turned upright
    served = page.request.get(server.url(page.locator("img.thumb").get_attribute("src") or ""))
    assert served.body() == stored
    page.close()


def test_passwords_codes_tokens_and_files_are_never_kept(
    browser: Browser, server: Server, backend: str
) -> None:
    page = browser.new_page()
    page.goto(server.url("/board"))
    kept = page.evaluate(
        """() => {
        const form = document.createElement("form");
        form.method = "post";
        form.action = "/nowhere";
        form.innerHTML = `
          <input name="title" value="楼道照明">
          <input name="password" type="password" value="secret-pass">
          <input name="pin" type="password" value="2468">
          <input name="code" value="ABCD-EFGH-JKMN">
          <input name="_csrf_token" type="hidden" value="token-value">
          <input name="round_id" type="hidden" value="7">
          <input name="photos" type="file">`;
        document.body.appendChild(form);
        form.addEventListener("submit", (event) => event.preventDefault());
        form.requestSubmit();
        return JSON.stringify(Object.values(sessionStorage));
    }"""
    )
    assert "楼道照明" in kept
    for secret in ("secret-pass", "2468", "ABCD-EFGH-JKMN", "token-value", '"round_id"'):
        assert secret not in kept
    page.close()
