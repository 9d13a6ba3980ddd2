"""Evidence and imports in the room page, in a real browser (Debian's Chromium)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import CALLS_CSV, PNG
from tests.test_room_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def test_photo_upload_appears_live_for_another_member(asgi_server, live_people, browser,
                                                      artifacts):
    org, people, room = live_people
    uploader_ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                       has_touch=True, geolocation={"latitude": 24.3637,
                                                                    "longitude": 117.3139},
                                       permissions=["geolocation"])
    watcher_ctx = browser.new_context(viewport={"width": 1280, "height": 900})
    uploader, watcher = uploader_ctx.new_page(), watcher_ctx.new_page()
    log_in(uploader, asgi_server, "member")
    log_in(watcher, asgi_server, "lead")
    room_url = f"{asgi_server.http}/cases/{room.pk}/"
    watcher.goto(room_url)
    expect(watcher.locator("#conn")).to_have_class(re.compile(r"\bopen\b"))
    uploader.goto(room_url)

    uploader.select_option("#evidence-form select[name=kind]", "photo")
    uploader.fill("#evidence-form input[name=description]", "手机店后门撬痕照片")
    uploader.set_input_files("#evidence-form input[name=camera]",
                             files=[{"name": "IMG_0412.png", "mimeType": "image/png",
                                     "buffer": PNG}])
    uploader.check("#evidence-form input[name=use_position]")
    expect(uploader.locator("#evidence-form input[name=lat]")).to_have_value("24.363700")
    uploader.click("#evidence-form button[type=submit]")
    expect(uploader.locator("#evidence")).to_contain_text("手机店后门撬痕照片")

    # the other member's page shows it without a reload, with its hash
    item = watcher.locator("#evidence li", has_text="手机店后门撬痕照片")
    expect(item).to_be_visible()
    expect(item).to_contain_text("SHA-256")
    expect(watcher.locator("#timeline")).to_contain_text("证据录入")

    # an import from the page, with its result
    watcher.set_input_files("#import-form input[name=file]",
                            files=[{"name": "calls.csv", "mimeType": "text/csv",
                                    "buffer": CALLS_CSV.encode()}])
    watcher.click("#import-form button[type=submit]")
    expect(watcher.locator("#import-status")).to_contain_text("new_records")
    expect(watcher.locator("#entities")).to_contain_text("+8613812345678")

    # a refused file shows its line-numbered errors
    watcher.set_input_files("#import-form input[name=file]",
                            files=[{"name": "bad.csv", "mimeType": "text/csv",
                                    "buffer": b"caller,callee,start_time,duration_s\n"
                                              b"1,2,x,-1\n"}])
    watcher.click("#import-form button[type=submit]")
    expect(watcher.locator("#import-errors")).to_contain_text("caller")
    # a link by hand, between two of the room's entities, with the evidence behind it
    watcher.select_option("#link-form select[name=source]", label="+8613812345678")
    watcher.select_option("#link-form select[name=kind]", "MET")
    watcher.select_option("#link-form select[name=target]", label="+8613600001111")
    watcher.select_option("#link-form select[name=evidence]", index=0)
    watcher.click("#link-form button[type=submit]")
    expect(watcher.locator("#links")).to_contain_text("会面")
    # the uploader's page shows the link live
    expect(uploader.locator("#links")).to_contain_text("会面")
    uploader.screenshot(path=artifacts / "evidence-phone.png", full_page=True)
    watcher.screenshot(path=artifacts / "evidence-desktop.png", full_page=True)
    uploader_ctx.close()
    watcher_ctx.close()
