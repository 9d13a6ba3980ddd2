"""Capture instructions in the case room, in a real browser (Debian's Chromium): the
Pinghe demo room's map drawn offline from the district GeoJSON (no request leaves
127.0.0.1), an instruction issued through the form at a position picked on the map, its
card turning `acknowledged` live when the unit's officer acknowledges, cancel from the
card, an arrest recorded; on a desktop and on a 375 px phone."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.stack]

# a spot in Xiaoxi town, clear of the demo's markers
PICK = (24.3500, 117.3050)


def log_in(page, server, username):
    from casework.demo.scenario import PASSWORD

    page.goto(f"{server.http}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.http}/")


@pytest.fixture
def pinghe(transactional_db):
    from casework.demo import scenario
    from casework.rooms.models import Case

    scenario.load(history=False)   # the rooms' day is enough here
    return Case.objects.get(number=scenario.PINGHE_NUMBER)


def open_room(browser, server, room, username="lead", **context):
    ctx = browser.new_context(locale="zh-CN", **context)
    page = ctx.new_page()
    requests, errors = [], []
    page.on("request", lambda r: requests.append(r.url))
    page.on("websocket", lambda ws: requests.append(ws.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, server, username)
    page.goto(f"{server.http}/cases/{room.pk}/")
    expect(page.locator("#conn")).to_have_class(re.compile(r"\bopen\b"))
    page.evaluate("window.caseworkDispatch.ready")
    page.evaluate("window.__sameDocument = true")   # gone if the page reloads
    return ctx, page, requests, errors


def assert_offline(requests):
    """Every request of the page went to the test server: no tiles, fonts or CDNs."""
    network = [u for u in requests if urlsplit(u).scheme in ("http", "https", "ws", "wss")]
    assert network, "no requests recorded"
    outside = [u for u in network if urlsplit(u).hostname != "127.0.0.1"]
    assert not outside, outside


def click_map_at(page, lat, lon):
    page.locator("#dispatch-map").scroll_into_view_if_needed()
    point = page.evaluate("""([lat, lon]) => {
        const map = window.caseworkDispatch.map;
        const p = map.latLngToContainerPoint([lat, lon]);
        const box = map.getContainer().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }""", [lat, lon])
    page.mouse.click(point["x"], point["y"])


def test_issue_acknowledge_cancel_and_arrest_in_the_pinghe_room(asgi_server, pinghe, browser,
                                                                artifacts):
    from casework.accounts.models import Unit, User
    from casework.dispatch import services
    from casework.dispatch.models import Arrest, Assignment, Instruction
    from casework.entities.models import CaseEntity

    room = pinghe
    u621 = Unit.objects.get(call_sign="621")
    ctx, page, requests, errors = open_room(browser, asgi_server, room,
                                            viewport={"width": 1280, "height": 900})

    # the offline base map: county and town outlines as SVG paths, no tiles
    districts = page.locator("#dispatch-map path.district")
    expect(districts.first).to_be_attached()
    assert districts.count() == 17   # 7 counties and districts, Pinghe's and Nanjing's 10 towns
    assert page.locator("#dispatch-map .leaflet-tile").count() == 0
    expect(page.locator("#dispatch-map .district-label.county", has_text="平和县")).to_be_attached()
    # the scene, the demo's instruction targets, the four Pinghe patrol units by call sign
    expect(page.locator("#dispatch-map .case-pin")).to_have_count(1)
    expect(page.locator("#dispatch-map .target-pin")).to_have_count(2)
    expect(page.locator("#dispatch-map path.unit-marker")).to_have_count(4)
    for call_sign in ("621", "622", "623", "625"):
        expect(page.locator("#dispatch-map .unit-label", has_text=call_sign)).to_be_visible()
    assert "731" not in page.locator("#dispatch-map").inner_text()  # Nanjing's unit

    # the demo's instructions are there already, the cancelled intercept among them
    expect(page.locator("#instructions .status[data-status=completed]")).to_have_count(1)
    expect(page.locator("#instructions .status[data-status=cancelled]")).to_have_count(1)

    # pick the position on the map: the form takes it and suggests the nearest units
    click_map_at(page, *PICK)
    form = page.locator("#instruction-form")
    expect(form.locator("input[name=lat]")).to_have_value(re.compile(r"^24\.3[45]"))
    assert abs(float(form.locator("input[name=lat]").input_value()) - PICK[0]) < 0.001
    assert abs(float(form.locator("input[name=lon]").input_value()) - PICK[1]) < 0.001
    expect(form.locator("input[name=place]")).to_have_value("平和县小溪镇附近")
    option = page.locator(f'#unit-options label[data-unit="{u621.pk}"]')
    expect(option.locator(".distance")).to_contain_text("km")
    # 622 last reported in 2021: flagged
    u622 = Unit.objects.get(call_sign="622")
    stale = page.locator(f'#unit-options label[data-unit="{u622.pk}"] .badge.stale')
    expect(stale).to_have_text("位置过时")
    # nearest first: the first suggestion is the closest of the available units
    distances = page.locator("#unit-options .distance").all_inner_texts()
    metres = [float(d.split()[0]) * (1000 if d.strip().endswith("km") else 1) for d in distances]
    assert metres == sorted(metres) and len(metres) >= 3

    form.locator("select[name=kind]").select_option("capture")
    form.locator("select[name=priority]").select_option("urgent")
    form.locator("textarea[name=text]").fill("同伙何某在小溪镇南侧出现，621组前往核实并抓捕。")
    suspect = CaseEntity.objects.get(case=room, label="赖某某", entity__kind="person")
    form.locator("select[name=target_entity]").select_option(str(suspect.entity_id))
    form.locator("input[name=ack_deadline_s]").fill("600")
    option.locator("input").check()
    form.locator("button[type=submit]").click()

    instruction = None
    for _ in range(50):
        instruction = Instruction.objects.filter(case=room, text__startswith="同伙何某").first()
        if instruction:
            break
        page.wait_for_timeout(100)
    assert instruction is not None, page.locator("#instruction-errors").inner_text()
    assert (instruction.kind, instruction.priority, instruction.ack_deadline_s) == (
        "capture", "urgent", 600)
    assert abs(instruction.lat - PICK[0]) < 0.001 and instruction.place == "平和县小溪镇附近"
    assert instruction.target_entity_id == suspect.entity_id
    assignment = Assignment.objects.get(instruction=instruction)
    assert assignment.unit_id == u621.pk
    item = page.locator(f'#instructions li[data-assignment="{assignment.pk}"]')
    expect(item.locator('.status[data-status="sent"]')).to_have_text("已下发")
    expect(item.locator(".call-sign")).to_have_text("621")
    card = page.locator(f'#instructions article[data-instruction="{instruction.pk}"]')
    expect(card.locator(".badge.kind")).to_have_text("抓捕")
    expect(card.locator(".badge.priority")).to_have_text("紧急")
    expect(card).to_contain_text("赖某某")
    expect(page.locator("#dispatch-map .target-pin")).to_have_count(3)

    # the unit's officer acknowledges on the terminal: the card follows, no reload
    patrol = User.objects.get(username="patrol")
    services.transition(actor=patrol, assignment_id=assignment.pk, status="acknowledged",
                        lat=24.3600, lon=117.3000)
    expect(item.locator('.status[data-status="acknowledged"]')).to_have_text("已签收")
    expect(item.locator(".times")).to_contain_text("已签收")
    # and the map moves 621 to where it acknowledged
    page.wait_for_function("""id => { const u = window.caseworkDispatch.units.get(id);
        return u && u.position && Math.abs(u.position.lat - 24.36) < 1e-6; }""", arg=u621.pk)
    assert page.evaluate("window.__sameDocument") is True
    page.wait_for_timeout(300)
    page.locator("#dispatch-card").screenshot(path=artifacts / "room-dispatch-card-desktop.png")

    # cancel from the card (asks once more first)
    card.locator(".cancel-instruction").click()
    card.locator(".confirm-cancel").click()
    expect(item.locator('.status[data-status="cancelled"]')).to_have_text("已撤销")
    expect(card.locator(".cancel-instruction")).to_have_count(0)
    assignment.refresh_from_db()
    assert assignment.status == "cancelled"

    # record an arrest (a person not among the room's entities, by name)
    arrests = page.locator("#arrest-form")
    before = Arrest.objects.filter(case=room).count()
    arrests.locator("input[name=name]").fill("何某")
    arrests.locator("input[name=place]").fill("平和县小溪镇南门")
    arrests.locator("select[name=unit]").select_option(str(u621.pk))
    arrests.locator("button[type=submit]").click()
    expect(page.locator("#arrests li", has_text="何某")).to_contain_text("621")
    assert Arrest.objects.filter(case=room).count() == before + 1
    arrest = Arrest.objects.get(case=room, name="何某")
    assert arrest.unit_id == u621.pk and arrest.place == "平和县小溪镇南门"
    expect(page.locator("#arrests-card .error")).to_have_count(2)
    for error in page.locator("#arrests-card .error").all_inner_texts():
        assert not error.strip()

    page.wait_for_timeout(300)
    page.screenshot(path=artifacts / "room-dispatch-desktop.png", full_page=True)
    page.locator("#arrests-card").screenshot(path=artifacts / "room-arrests-desktop.png")
    assert page.evaluate("window.__sameDocument") is True
    assert not errors, errors
    assert_offline(requests)
    ctx.close()


def test_room_dispatch_on_a_phone(asgi_server, pinghe, browser, artifacts):
    from casework.accounts.models import Unit, User
    from casework.dispatch import services
    from casework.dispatch.models import Escalation

    room = pinghe
    ctx, page, requests, errors = open_room(browser, asgi_server, room,
                                            viewport={"width": 375, "height": 812},
                                            is_mobile=True, has_touch=True)
    expect(page.locator("#dispatch-map path.district").first).to_be_attached()
    # the map fills the width, the form stacks under it, nothing scrolls sideways
    box = page.locator("#dispatch-map").bounding_box()
    form = page.locator("#instruction-form").bounding_box()
    assert box["width"] >= 320 and form["y"] >= box["y"] + box["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # an instruction issued elsewhere (the API) appears live, and escalates visibly
    lead = User.objects.get(username="lead")
    u622 = Unit.objects.get(call_sign="622")
    instruction = services.issue_instruction(
        actor=lead, case_id=room.pk, kind="search", units=[u622.pk], drill=True,
        text="演练：622组搜索小溪镇南门一带。", lat=24.352, lon=117.31, place="小溪镇南门",
        ack_deadline_s=1)
    assignment = instruction.assignments.get()
    item = page.locator(f'#instructions li[data-assignment="{assignment.pk}"]')
    expect(item.locator('.status[data-status="sent"]')).to_be_visible()
    card = page.locator(f'#instructions article[data-instruction="{instruction.pk}"]')
    expect(card.locator(".badge.drill")).to_have_text("演练")
    page.wait_for_timeout(1200)
    # the sweep, here or by the run's beat if it is running: either way exactly once
    services.escalate_due()
    assert Escalation.objects.filter(assignment=assignment).count() == 1
    expect(item.locator(".badge.escalated")).to_have_text("超时未签收")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # reassign it to the unit the escalation suggests (preselected)
    suggested = assignment.escalation.suggested_unit
    assert suggested is not None
    item.locator(".reassign").click()
    expect(item.locator(".a-actions select")).to_have_value(str(suggested.pk))
    item.locator(".confirm-reassign").click()
    expect(item.locator('.status[data-status="cancelled"]')).to_be_visible()
    new = instruction.assignments.exclude(pk=assignment.pk).get()
    assert new.unit_id == suggested.pk and new.replaces_id == assignment.pk
    replacement = page.locator(f'#instructions li[data-assignment="{new.pk}"]')
    expect(replacement.locator('.status[data-status="sent"]')).to_be_visible()
    expect(replacement.locator(".badge", has_text="接替")).to_have_text("接替 622")

    card.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=artifacts / "room-dispatch-phone.png", full_page=True)
    page.locator("#dispatch-card").screenshot(path=artifacts / "room-dispatch-card-phone.png")
    assert not errors, errors
    assert_offline(requests)
    ctx.close()


def test_an_observer_sees_the_map_and_the_cards_but_no_controls(asgi_server, pinghe, browser):
    ctx, page, requests, errors = open_room(browser, asgi_server, pinghe, username="observer",
                                            viewport={"width": 1280, "height": 900})
    expect(page.locator("#dispatch-map path.district").first).to_be_attached()
    expect(page.locator("#dispatch-map path.unit-marker")).to_have_count(4)
    expect(page.locator("#instructions article")).to_have_count(2)
    expect(page.locator("#instructions .status[data-status=completed]")).to_have_text("已完成")
    expect(page.locator("#arrests li")).to_have_count(5)
    for control in ("#instruction-form", "#arrest-form", "#recovery-form", ".cancel-instruction",
                    ".reassign"):
        expect(page.locator(control)).to_have_count(0)
    assert not errors, errors
    assert_offline(requests)
    ctx.close()
