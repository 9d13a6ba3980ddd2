"""The patrol terminal (/terminal/) on a phone, in a real browser (Debian's Chromium)
against uvicorn, next to the case room in a second browser context: an instruction
arrives live and is acknowledged with the phone's position, which the room sees at once;
steps taken offline wait in a queue and reach the server in order once the network is
back, with the instructions missed meanwhile (`resume`); a 409 on replay shows the real
state; a reload without network opens the page from the service worker's copy with its
cards and queue; a revoked token brings back the log-in."""

from __future__ import annotations

import hashlib
import json
import re
import time

import pytest
from playwright.sync_api import expect

from tests.factories import PASSWORD, PNG

pytestmark = [pytest.mark.browser, pytest.mark.stack]

PHONE = {"width": 390, "height": 844}
# 平和县小溪镇 (Pinghe county town)
GEO = {"latitude": 24.3663, "longitude": 117.3136}


def eventually(check, timeout: float = 15.0, what: str = "condition"):
    """Poll the database (what the server processes committed) until `check` is true."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def status_of(assignment_id):
    from casework.dispatch.models import Assignment

    return Assignment.objects.get(pk=assignment_id).status


# count what the page does to get an officer's attention (no speaker, no motor here)
ALERT_PROBE = """
window.__alerts = {vibrations: [], tones: 0};
navigator.vibrate = (pattern) => { window.__alerts.vibrations.push(pattern); return true; };
const createOscillator = AudioContext.prototype.createOscillator;
AudioContext.prototype.createOscillator = function () {
  window.__alerts.tones += 1;
  return createOscillator.call(this);
};
"""


def terminal_context(browser, locale="zh-CN"):
    ctx = browser.new_context(locale=locale, viewport=PHONE, is_mobile=True,
                              has_touch=True, geolocation=GEO,
                              permissions=["geolocation"])
    ctx.add_init_script(ALERT_PROBE)
    return ctx


def terminal_log_in(page, server, username="patrol"):
    page.goto(f"{server.http}/terminal/")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#login-form input[name=username]", username)
    page.fill("#login-form input[name=password]", PASSWORD)
    page.locator("#login-form button[type=submit]").tap()
    expect(page.locator("#app")).to_be_visible()
    expect(page.locator("#conn")).to_have_attribute("data-state", "online")


def room_page(browser, server, room):
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{server.http}/login/")
    page.fill("input[name=username]", "lead")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.http}/")
    page.goto(f"{server.http}/cases/{room.pk}/")
    expect(page.locator("#conn")).to_have_class(re.compile(r"\bopen\b"))
    return ctx, page


def issue(people, room, unit, **fields):
    from casework.dispatch import services

    fields = {"kind": "capture", "priority": "urgent", "text": "抓捕嫌疑人赖某某", **fields}
    return services.issue_instruction(actor=people.lead, case_id=room.pk, units=[unit.pk],
                                      **fields).assignments.get()


def watch_sockets(page):
    """Every WebSocket the page opens: its URL and the frames it sends."""
    seen = {"urls": [], "sent": []}

    def opened(ws):
        seen["urls"].append(ws.url)
        ws.on("framesent", lambda payload: seen["sent"].append(payload))

    page.on("websocket", opened)
    return seen


def test_instruction_arrives_live_is_acknowledged_with_position_and_reported(
        asgi_server, live_people, browser, artifacts):
    from casework.accounts.models import Unit
    from casework.dispatch.models import Arrest, Assignment, Recovery
    from casework.entities import services as entity_services
    from casework.evidence.models import EvidenceItem

    org, people, room = live_people
    suspect = entity_services.add_entity(actor=people.lead, case_id=room.pk, kind="person",
                                         value="赖某某", label="赖某某", role="suspect")
    term_ctx = terminal_context(browser)
    term = term_ctx.new_page()
    sockets = watch_sockets(term)
    terminal_log_in(term, asgi_server)
    expect(term.locator("#unit-name")).to_contain_text("901")
    expect(term.locator("#empty")).to_be_visible()
    token = json.loads(term.evaluate("localStorage.getItem('casework.terminal.token')"))
    # the socket authenticates with a single-use ticket; the API token never goes in a URL
    assert sockets["urls"] and all("ticket=" in u and token not in u for u in sockets["urls"])
    assert any(json.loads(f).get("type") == "resume" for f in sockets["sent"])
    # the unit's position is reported while the page is open
    eventually(lambda: Unit.objects.filter(pk=org.patrol_unit.pk, lat=GEO["latitude"],
                                           lon=GEO["longitude"]).exists(), what="position")

    room_ctx, lead = room_page(browser, asgi_server, room)

    a = issue(people, room, org.patrol_unit, target_entity=suspect.entity_id,
              place="平和县小溪镇中山街", lat=24.3651, lon=117.3122, ack_deadline_s=300)
    card = term.locator(f'article[data-assignment="{a.pk}"]')
    expect(card).to_be_visible()
    expect(card).to_have_class(re.compile(r"\bprio-urgent\b"))
    expect(card.locator(".t-kind")).to_have_text("抓捕")
    expect(card.locator(".t-prio")).to_have_text("紧急")
    expect(card.locator(".t-text")).to_have_text("抓捕嫌疑人赖某某")
    expect(card.locator(".t-facts")).to_contain_text("平和县小溪镇中山街")
    expect(card.locator(".t-facts .t-target")).to_contain_text("人员")
    expect(card.locator(".t-countdown")).to_have_text(re.compile(r"签收剩余 4:[0-5]\d"))
    expect(card.locator(".t-drill")).to_have_count(0)
    alerts = term.evaluate("window.__alerts")
    assert alerts["tones"] >= 2 and alerts["vibrations"], alerts
    # the terminal reports that it has the instruction
    eventually(lambda: status_of(a.pk) == "delivered", what="delivered")
    expect(card).to_have_attribute("data-server-status", "delivered")
    term.screenshot(path=artifacts / "terminal-instruction-phone.png", full_page=True)

    card.locator(".t-ack").tap()
    expect(card).to_have_attribute("data-server-status", "acknowledged")
    a.refresh_from_db()
    assert a.status == "acknowledged" and a.acknowledged_at is not None
    assert a.positions["acknowledged"] == [GEO["latitude"], GEO["longitude"]]
    # the room sees it without reloading: its instruction card and its timeline
    expect(lead.locator(f'#instructions li[data-assignment="{a.pk}"] '
                        '.status[data-status="acknowledged"]')).to_be_visible()
    expect(lead.locator('#timeline .ev[data-type="assignment.acknowledged"]')).to_be_visible()

    card.locator(".t-step[data-to=en_route]").tap()
    expect(card).to_have_attribute("data-server-status", "en_route")
    card.locator(".t-step[data-to=on_scene]").tap()
    expect(card).to_have_attribute("data-server-status", "on_scene")

    # the result: the target and one more person captured, phones recovered, a photo
    form = card.locator("form.t-result")
    form.locator("input[name=result][value=captured]").check()
    form.locator("input[name=target_captured]").check()
    form.locator("textarea[name=names]").fill("张某某")
    form.locator("input[name=items]").fill("手机12部")
    form.locator("input[name=value]").fill("9800")
    form.locator("input[name=photo]").set_input_files(
        files=[{"name": "scene.png", "mimeType": "image/png", "buffer": PNG}])
    form.locator("input[name=photo_description]").fill("抓获现场")
    term.screenshot(path=artifacts / "terminal-result-form-phone.png", full_page=True)
    form.locator("button[type=submit]").tap()
    expect(card).to_have_attribute("data-server-status", "completed")
    expect(term.locator("#queue")).to_be_hidden()

    a = Assignment.objects.get(pk=a.pk)
    assert a.status == "completed" and a.result == "captured"
    assert a.positions["on_scene"] == [GEO["latitude"], GEO["longitude"]]
    arrests = Arrest.objects.filter(assignment=a)
    assert sorted(x.name for x in arrests) == ["张某某", "赖某某"]
    assert {x.person_id for x in arrests} == {suspect.entity_id, None}
    assert all(x.unit_id == org.patrol_unit.pk and x.lat == GEO["latitude"] for x in arrests)
    recovery = Recovery.objects.get(assignment=a)
    assert recovery.items == "手机12部" and str(recovery.value) == "9800.00"
    photo = EvidenceItem.objects.get(case=room, kind="photo")
    assert photo.sha256 == hashlib.sha256(PNG).hexdigest() and photo.description == "抓获现场"
    assert photo.collected_by_id == people.patrol.pk and photo.custody.count() == 1
    expect(lead.locator('#timeline .ev[data-type="arrest.recorded"]')).to_have_count(2)
    expect(lead.locator('#timeline .ev[data-type="assignment.completed"]')).to_be_visible()
    term.screenshot(path=artifacts / "terminal-completed-phone.png", full_page=True)
    lead.screenshot(path=artifacts / "terminal-room-desktop.png", full_page=True)
    room_ctx.close()
    term_ctx.close()


def test_offline_steps_wait_in_order_and_missed_instructions_resume(
        asgi_server, live_people, browser, artifacts):
    org, people, room = live_people
    term_ctx = terminal_context(browser)
    term = term_ctx.new_page()
    sockets = watch_sockets(term)
    terminal_log_in(term, asgi_server)

    first = issue(people, room, org.patrol_unit, place="平和县文峰镇")
    card = term.locator(f'article[data-assignment="{first.pk}"]')
    card.locator(".t-ack").tap()
    expect(card).to_have_attribute("data-server-status", "acknowledged")

    term_ctx.set_offline(True)
    expect(term.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(term.locator("#conn")).to_have_text("离线")
    card.locator(".t-step[data-to=en_route]").tap()
    # shown as the next step, marked as waiting; the server has not heard of it
    expect(term.locator("#queue")).to_have_text("1 项操作待发送")
    expect(card).to_have_attribute("data-status", "en_route")
    expect(card).to_have_attribute("data-pending", "1")
    expect(card.locator(".t-pending")).to_be_visible()
    assert json.loads(term.evaluate("localStorage.getItem('casework.terminal.queue')"))[0][
        "body"]["status"] == "en_route"
    # meanwhile the room sends another instruction (a drill)
    second = issue(people, room, org.patrol_unit, kind="verify", priority="high",
                   text="核查平和县文峰镇出租屋", drill=True)
    term.wait_for_timeout(1500)
    expect(term.locator(f'article[data-assignment="{second.pk}"]')).to_have_count(0)
    assert status_of(first.pk) == "acknowledged"
    term.screenshot(path=artifacts / "terminal-offline-phone.png", full_page=True)
    resumes_before = len([f for f in sockets["sent"] if '"resume"' in f])

    term_ctx.set_offline(False)
    expect(term.locator("#conn")).to_have_attribute("data-state", "online")
    expect(card).to_have_attribute("data-server-status", "en_route")
    expect(term.locator("#queue")).to_be_hidden()
    eventually(lambda: status_of(first.pk) == "en_route", what="en route")
    first.refresh_from_db()
    assert first.positions["en_route"] == [GEO["latitude"], GEO["longitude"]]
    # the missed instruction came with `resume` after the last event seen
    missed = term.locator(f'article[data-assignment="{second.pk}"]')
    expect(missed).to_be_visible()
    expect(missed.locator(".t-drill")).to_have_text("演练")
    expect(missed).to_have_class(re.compile(r"\bdrill\b"))
    expect(missed).to_have_class(re.compile(r"\bprio-high\b"))
    resumes = [json.loads(f) for f in sockets["sent"] if '"resume"' in f]
    assert len(resumes) > resumes_before and resumes[-1]["after"] > 0
    term.screenshot(path=artifacts / "terminal-back-online-phone.png", full_page=True)

    # a step queued offline that the room overtakes: the replay gets 409, the terminal
    # does not retry but shows what really happened
    missed.locator(".t-ack").tap()
    expect(missed).to_have_attribute("data-server-status", "acknowledged")
    term_ctx.set_offline(True)
    expect(term.locator("#conn")).to_have_attribute("data-state", "offline")
    missed.locator(".t-step[data-to=en_route]").tap()
    expect(term.locator("#queue")).to_be_visible()
    from casework.dispatch import services

    services.cancel_instruction(actor=people.lead, instruction_id=second.instruction_id)
    term_ctx.set_offline(False)
    expect(missed).to_have_attribute("data-server-status", "cancelled")
    expect(missed).to_have_attribute("data-status", "cancelled")
    expect(term.locator("#notice")).to_contain_text("已撤销")
    expect(term.locator("#queue")).to_be_hidden()
    assert status_of(second.pk) == "cancelled"
    term.screenshot(path=artifacts / "terminal-conflict-phone.png", full_page=True)
    term_ctx.close()


def test_revoked_token_brings_back_the_log_in(asgi_server, live_people, browser, artifacts):
    from knox.models import AuthToken

    org, people, room = live_people
    term_ctx = terminal_context(browser)
    term = term_ctx.new_page()
    terminal_log_in(term, asgi_server)
    assert AuthToken.objects.filter(user=people.patrol).count() == 1

    AuthToken.objects.filter(user=people.patrol).delete()
    # the next request the terminal makes (reporting the instruction delivered) is refused
    a = issue(people, room, org.patrol_unit)
    expect(term.locator("#login")).to_be_visible()
    expect(term.locator("#app")).to_be_hidden()
    expect(term.locator("#login-notice")).to_have_text("登录已失效，请重新登录。")
    assert term.evaluate("localStorage.getItem('casework.terminal.token')") is None
    # what was not sent waits for the next log-in of the same officer
    expect(term.locator("#queue")).to_have_text("1 项操作待发送")
    term.screenshot(path=artifacts / "terminal-logged-out-phone.png", full_page=True)

    term.fill("#login-form input[name=username]", "patrol")
    term.fill("#login-form input[name=password]", PASSWORD)
    term.locator("#login-form button[type=submit]").tap()
    expect(term.locator("#conn")).to_have_attribute("data-state", "online")
    expect(term.locator(f'article[data-assignment="{a.pk}"]')).to_be_visible()
    eventually(lambda: status_of(a.pk) == "delivered", what="delivered after log-in")
    expect(term.locator("#queue")).to_be_hidden()

    # logging out revokes the token on the server
    term.locator("#logout").tap()
    expect(term.locator("#login")).to_be_visible()
    eventually(lambda: not AuthToken.objects.filter(user=people.patrol).exists(),
               what="token revoked")
    term_ctx.close()


def test_the_terminal_in_english(asgi_server, live_people, browser):
    org, people, room = live_people
    ctx = terminal_context(browser, locale="en-GB")
    page = ctx.new_page()
    terminal_log_in(page, asgi_server)
    expect(page.locator("#conn")).to_have_text("Online")
    a = issue(people, room, org.patrol_unit, drill=True, priority="normal", kind="search")
    card = page.locator(f'article[data-assignment="{a.pk}"]')
    expect(card.locator(".t-kind")).to_have_text("Search")
    expect(card.locator(".t-drill")).to_have_text("DRILL")
    expect(card.locator(".t-ack")).to_have_text("Acknowledge")
    expect(card.locator(".t-countdown")).to_have_text(re.compile(r"Acknowledge within 0:[0-5]\d"))
    # the terminal reports it delivered: let that land before the database is flushed (a
    # transaction still open in the server deadlocks with the flush)
    eventually(lambda: status_of(a.pk) == "delivered", what="delivered")
    ctx.close()


def _no_network(route):
    route.abort("internetdisconnected")


def test_a_reload_without_network_still_shows_the_terminal_and_its_queue(
        asgi_server, live_people, browser, artifacts):
    """The service worker keeps the page and its files: reloaded while offline, the
    terminal opens from the device's copy with its cards and the actions still waiting,
    and sends them once the network is back."""
    org, people, room = live_people
    term_ctx = terminal_context(browser)
    term = term_ctx.new_page()
    terminal_log_in(term, asgi_server)
    # the worker is installed and controls the page (it claims it on activation)
    term.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller",
                           timeout=15000)
    a = issue(people, room, org.patrol_unit, place="平和县文峰镇")
    card = term.locator(f'article[data-assignment="{a.pk}"]')
    card.locator(".t-ack").tap()
    expect(card).to_have_attribute("data-server-status", "acknowledged")

    # Chromium's offline emulation (and a context route) does not hold for a page a
    # service worker controls: a request the worker passes on to the network now and then
    # got through (Playwright issue 2311; seen here twice: the queued step reached the
    # server while "offline", once with the route in place). The terminal therefore sends
    # nothing while the device says it is offline; the route cuts whatever else might go.
    term_ctx.set_offline(True)
    term_ctx.route("**/api/**", _no_network)
    expect(term.locator("#conn")).to_have_attribute("data-state", "offline")
    card.locator(".t-step[data-to=en_route]").tap()
    expect(term.locator("#queue")).to_have_text("1 项操作待发送")

    response = term.reload()
    # the page came from the device's copy, not from the server
    assert response is not None and response.ok
    assert response.headers.get("x-casework-offline-copy") == "1", response.headers
    expect(term.locator("#app")).to_be_visible()
    expect(term.locator("#conn")).to_have_attribute("data-state", "offline")
    expect(term.locator("#queue")).to_have_text("1 项操作待发送")
    card = term.locator(f'article[data-assignment="{a.pk}"]')
    expect(card).to_be_visible()
    expect(card).to_have_attribute("data-status", "en_route")
    expect(card).to_have_attribute("data-pending", "1")
    expect(card.locator(".t-text")).to_have_text("抓捕嫌疑人赖某某")
    # styled: the terminal's stylesheet came from the copy too (the priority's edge)
    assert term.evaluate("getComputedStyle(document.querySelector('.t-card'))"
                         ".borderLeftWidth") == "12px"
    assert status_of(a.pk) == "acknowledged"
    term.screenshot(path=artifacts / "terminal-offline-reload-phone.png", full_page=True)

    term_ctx.unroute("**/api/**", _no_network)
    term_ctx.set_offline(False)
    expect(term.locator("#conn")).to_have_attribute("data-state", "online")
    expect(term.locator("#queue")).to_be_hidden()
    eventually(lambda: status_of(a.pk) == "en_route", what="en route after the reload")
    term_ctx.close()
