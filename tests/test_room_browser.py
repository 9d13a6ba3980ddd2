"""Case rooms in a real browser: Playwright driving Debian's Chromium against uvicorn."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.stack]


def log_in(page, server, username):
    page.goto(f"{server.http}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.http}/")


def test_create_case_add_member_and_talk_live(asgi_server, live_people, browser, artifacts):
    org, people, _ = live_people
    lead_ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    member_ctx = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844},
                                     is_mobile=True, has_touch=True)
    lead, member = lead_ctx.new_page(), member_ctx.new_page()

    log_in(lead, asgi_server, "lead")
    lead.fill("#create-case input[name=number]", "12.9 浏览器测试盗窃案")
    lead.fill("#create-case input[name=title]", "平和县某商店被盗")
    lead.fill("#create-case input[name=reported_at]", "2021-12-09T04:43")
    lead.fill("#create-case input[name=reported_loss]", "5000")
    lead.click("#create-case button[type=submit]")
    expect(lead.locator("h1")).to_contain_text("12.9 浏览器测试盗窃案")
    expect(lead.locator("#conn")).to_have_class(re.compile(r"\bopen\b"))
    room_url = lead.url

    lead.fill("#member-form input[name=username]", "member")
    lead.click("#member-form button[type=submit]")
    expect(lead.locator("#members")).to_contain_text("member名")

    log_in(member, asgi_server, "member")
    member.goto(room_url)
    expect(member.locator("#conn")).to_have_class(re.compile(r"\bopen\b"))

    lead.fill("#message-form textarea", "嫌疑人五名，已锁定落脚点")
    lead.click("#message-form button[type=submit]")
    expect(member.locator("#messages")).to_contain_text("嫌疑人五名，已锁定落脚点")
    expect(member.locator("#timeline")).to_contain_text("成员加入")

    # the Chinese page really renders Chinese glyphs (a CJK font is installed): the
    # heading is wider than it would be if each character fell back to a narrow box
    box = member.locator(".messages li p").last.bounding_box()
    assert box and box["width"] > 150
    lead.screenshot(path=artifacts / "room-lead-desktop.png", full_page=True)
    member.screenshot(path=artifacts / "room-member-phone.png", full_page=True)
    lead_ctx.close()
    member_ctx.close()


def test_english_interface(asgi_server, live_people, browser):
    org, people, room = live_people
    ctx = browser.new_context()
    page = ctx.new_page()
    log_in(page, asgi_server, "lead")
    # the user's own preference (Chinese) wins over the browser's English
    expect(page.locator("h1").first).to_have_text("我的案件")
    page.click("button[name=language][value=en]")
    expect(page.locator("h1").first).to_have_text("My cases")
    page.click("button[name=language][value=zh-hans]")
    expect(page.locator("h1").first).to_have_text("我的案件")
    ctx.close()


def test_closed_room_says_it_is_read_only(asgi_server, live_people, browser):
    from casework.rooms import services

    org, people, room = live_people
    services.close_case(actor=people.lead, case_id=room.pk)
    ctx = browser.new_context()
    page = ctx.new_page()
    log_in(page, asgi_server, "member")
    page.goto(f"{asgi_server.http}/cases/{room.pk}/")
    expect(page.locator("#closed-notice")).to_be_visible()
    expect(page.locator("#message-form")).to_have_count(0)
    ctx.close()
