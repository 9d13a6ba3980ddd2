"""The leadership dashboard in a real browser (Debian's Chromium): a city leader opens it
from the navigation and sees the figures of the API; a filter (a county picked in the
select, a click on a county's bar, a longer period) changes them; a click on a unit opens
the cases it had instructions in; the four-colour dots; English; print to an A4 PDF; a
phone. The history is made here: cases in two counties with assignments, arrests and a
recovery at known times, so every figure below is known by hand."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.stack]

TILES = ("cases_opened", "case_clearance_rate", "arrest_rate", "suspects_arrested",
         "median_time_to_arrest_s", "recovery_rate", "recovered_value", "capture_rate",
         "median_capture_s", "ack_within_deadline_rate")


def _history():
    """Two counties: 甲县 (patrol units 901, 902) and 乙县 (951). In the last 30 days:
    A1 (甲县, arrest 2 h after the alarm, 901 captures in 1 h), A2 (甲县, no arrest, 902
    acknowledged 10 min late), B1 (乙县, arrest 13 h 47 min after the alarm, 951 captures
    in 3 h); B2 (乙县) 40 days ago, arrest after 20 h."""
    from casework.accounts.choices import OrgRole, PatrolKind, UnitKind
    from casework.accounts.models import Unit
    from casework.dispatch.models import Arrest, Assignment, Instruction, Recovery
    from casework.rooms.models import Case
    from tests.factories import make_org, make_user

    org = make_org()
    u901 = org.patrol_unit
    u902 = Unit.objects.add_child(Unit.objects.get_parent(Unit.objects.get(pk=u901.pk)), dict(
        name="巡逻组902", kind=UnitKind.PATROL, call_sign="902", patrol_kind=PatrolKind.CAR))
    u951 = Unit.objects.add_child(Unit.objects.get(pk=org.other_county.pk), dict(
        name="乙县巡逻组951", kind=UnitKind.PATROL, call_sign="951",
        patrol_kind=PatrolKind.FOOT))
    # the city as stored now: adding the other root (sorted by name) moved its path
    leader = make_user("city_leader", Unit.objects.get(pk=org.city.pk), OrgRole.LEADERSHIP)
    now = timezone.now()

    def case(number, unit, days_ago, lat, lon, loss="10000.00"):
        alarm = now - timedelta(days=days_ago)
        return Case.objects.create(number=number, title=f"{number} 测试案", category="theft",
                                   owning_unit=unit, reported_at=alarm,
                                   opened_at=alarm + timedelta(minutes=5),
                                   reported_loss=Decimal(loss), lat=lat, lon=lon)

    def assign(c, unit, *, sent, ack, done=None):
        instruction = Instruction.objects.create(case=c, kind="capture", text="抓捕",
                                                 ack_deadline_s=60, issued_at=sent)
        return Assignment.objects.create(
            instruction=instruction, unit=unit, sent_at=sent,
            ack_deadline_at=sent + timedelta(seconds=60), acknowledged_at=ack,
            status="completed" if done else "acknowledged",
            result="captured" if done else "", completed_at=done)

    a1 = case("DASH-A1", org.brigade, 3, 24.36, 117.31)
    a2 = case("DASH-A2", org.brigade, 5, 24.30, 117.25)
    b1 = case("DASH-B1", org.other_brigade, 2, 24.51, 117.37)
    b2 = case("DASH-B2", org.other_brigade, 40, 24.52, 117.36)
    t = a1.reported_at + timedelta(minutes=30)
    assign(a1, u901, sent=t, ack=t + timedelta(seconds=40), done=t + timedelta(hours=1))
    Arrest.objects.create(case=a1, name="甲", arrested_at=a1.reported_at + timedelta(hours=2))
    Recovery.objects.create(case=a1, items="手机", value=Decimal("7823.00"))
    t = a2.reported_at + timedelta(minutes=10)
    assign(a2, u902, sent=t, ack=t + timedelta(minutes=10))
    t = b1.reported_at + timedelta(minutes=20)
    assign(b1, u951, sent=t, ack=t + timedelta(seconds=30), done=t + timedelta(hours=3))
    Arrest.objects.create(case=b1, name="乙",
                          arrested_at=b1.reported_at + timedelta(hours=13, minutes=47))
    Arrest.objects.create(case=b2, name="丙", arrested_at=b2.reported_at + timedelta(hours=20))
    return org, leader, {"901": u901, "902": u902, "951": u951}


def _api_summary(leader, query: str) -> dict:
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(leader)
    response = api.get("/api/stats/summary/?" + query)
    assert response.status_code == 200, response.content
    return response.json()


def _tiles(page) -> dict:
    return page.evaluate("""() => Object.fromEntries(Array.from(
        document.querySelectorAll('#tiles .tile'),
        (t) => [t.dataset.figure, [t.dataset.raw, t.querySelector('.tile-value').textContent]]))""")


def _wait_loaded(page, loads: int):
    root = page.locator("#dashboard")
    expect(root).to_have_attribute("data-loads", str(loads))
    expect(root).to_have_attribute("data-state", "ready")


def _filters(page) -> str:
    return page.evaluate("new URLSearchParams(window.location.search).toString()")


def test_dashboard_figures_filters_drill_down_print_and_phone(asgi_server, browser, artifacts,
                                                              transactional_db):
    from tests.factories import PASSWORD

    org, leader, units = _history()
    server = asgi_server.http
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1360, "height": 900})
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    page.goto(f"{server}/login/")
    page.fill("input[name=username]", "city_leader")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server}/")
    page.locator(".topbar nav a[href='/dashboard/']").click()
    _wait_loaded(page, 1)

    # the last 30 days by default: A1, A2, B1; the figures are the API's
    query = _filters(page)
    today = timezone.localdate()
    assert f"from={today - timedelta(days=29)}" in query and f"to={today}" in query
    api = _api_summary(leader, query)
    shown = _tiles(page)
    assert set(shown) == set(TILES)
    for key in TILES:
        raw, expected = shown[key][0], api[key]
        assert (float(raw) if raw else None) == (None if expected is None else float(expected)), key
    assert (api["cases_opened"], api["cases_with_arrests"], api["suspects_arrested"]) == (3, 2, 2)
    assert shown["cases_opened"][1] == "3"
    assert shown["case_clearance_rate"][1] == "66.67%"
    assert shown["capture_rate"][1] == "66.67%"          # 2 of 3 assignments captured
    assert shown["median_time_to_arrest_s"][1] == "2小时"  # of 2 h and 13 h 47 min: 2 h
    # four-colour status: 901 on target, 902 acknowledged 10× late, 951 captured in 3 h
    # (1.9× the 1 h 36 min target)
    table = page.locator("#unit-table")
    for call_sign, status in (("901", "green"), ("902", "red"), ("951", "orange")):
        row = table.locator(f'tr[data-unit="{units[call_sign].pk}"]')
        expect(row.locator(f".dot.status-{status}")).to_have_count(1)
    expect(page.locator("#open-table .dot.status-red")).to_have_count(1)       # A2
    expect(page.locator("#open-table .dot.status-green")).to_have_count(2)     # A1, B1
    expect(page.locator("#status-legend")).to_contain_text("1分钟")
    # sorted by status, worst first
    table.locator("th[data-sort=status] button").click()
    expect(table.locator("tbody tr").first).to_have_attribute("data-unit", str(units["902"].pk))
    expect(table.locator("th[data-sort=status]")).to_have_attribute("aria-sort", "descending")
    page.wait_for_timeout(200)
    page.screenshot(path=artifacts / "dashboard-desktop.png", full_page=True)

    # a click on a unit opens the cases it had instructions in
    table.locator(f'tr[data-unit="{units["901"].pk}"]').click()
    drill = page.locator("#drill")
    expect(drill).to_have_attribute("data-state", "ready")
    assert drill.locator(".case-number").all_inner_texts() == ["DASH-A1"]
    expect(drill.locator(".case-number")).to_have_attribute("href", re.compile(r"^/cases/\d+/$"))
    page.screenshot(path=artifacts / "dashboard-drill.png")
    drill.locator("#drill-close").click()
    # a headline figure opens the cases behind it: those with arrests
    page.locator('#tiles .tile[data-figure="case_clearance_rate"]').click()
    expect(drill).to_have_attribute("data-state", "ready")
    assert sorted(drill.locator(".case-number").all_inner_texts()) == ["DASH-A1", "DASH-B1"]
    drill.locator("#drill-close").click()

    # the unit filter: 乙县 alone
    page.select_option("select[name=unit]", str(org.other_county.pk))
    _wait_loaded(page, 2)
    shown = _tiles(page)
    assert shown["cases_opened"][1] == "1" and shown["case_clearance_rate"][1] == "100.00%"
    assert shown["median_time_to_arrest_s"][1] == "13小时47分"
    expect(table.locator("tbody tr")).to_have_count(1)
    # back to every unit, then a click on 甲县's bar in the county chart filters to it
    page.select_option("select[name=unit]", "")
    _wait_loaded(page, 3)
    page.locator("#county-chart").scroll_into_view_if_needed()
    point = page.evaluate("""() => {
        const c = window.caseworkDashboard.charts['county-chart'];
        const opt = c.getOption();
        const i = opt.yAxis[0].data.indexOf('甲县');
        const p = c.convertToPixel({seriesIndex: 0}, [opt.series[0].data[i] / 2, i]);
        const box = document.getElementById('county-chart').getBoundingClientRect();
        return {x: box.left + p[0], y: box.top + p[1]};
    }""")
    page.mouse.click(point["x"], point["y"])
    _wait_loaded(page, 4)
    assert page.locator("select[name=unit]").input_value() == str(org.county.pk)
    assert _tiles(page)["cases_opened"][1] == "2"
    # 乙县 over 60 days: B2 counts too
    page.select_option("select[name=unit]", str(org.other_county.pk))
    _wait_loaded(page, 5)
    page.fill("input[name=from]", str(today - timedelta(days=59)))
    page.locator("input[name=from]").dispatch_event("change")
    _wait_loaded(page, 6)
    query = _filters(page)
    api = _api_summary(leader, query)
    assert api["cases_opened"] == 2 and _tiles(page)["cases_opened"][1] == "2"

    session = ctx.storage_state()   # for the phone, before the switch to English
    # English keeps the filters; the median of 13 h 47 min and 20 h reads as the first
    page.locator("form.lang button[name=language]").click()
    _wait_loaded(page, 1)
    assert _filters(page) == query
    assert _tiles(page)["median_time_to_arrest_s"][1] == "13 h 47 min"
    expect(page.locator("#tiles")).to_contain_text("Case clearance rate")

    # print: the layout for A4 landscape, the charts redrawn for it, a PDF
    page.emulate_media(media="print")
    expect(page.locator("body")).to_have_class(re.compile(r"\bprinting\b"))
    widths = page.evaluate("""() => Object.entries(window.caseworkDashboard.charts).map(
        ([id, c]) => [c.getWidth(), document.getElementById(id).clientWidth])""")
    assert widths and all(abs(a - b) <= 1 for a, b in widths), widths
    page.screenshot(path=artifacts / "dashboard-print.png", full_page=True)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (artifacts / "dashboard.pdf").write_bytes(pdf)
    assert pdf.startswith(b"%PDF")
    sizes = set(re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf))
    assert {(round(float(w)), round(float(h))) for w, h in sizes} == {(842, 595)}  # A4 landscape
    assert len(re.findall(rb"/Type /Page\b", pdf)) >= 2
    page.emulate_media(media="screen")
    expect(page.locator("body")).not_to_have_class(re.compile(r"\bprinting\b"))

    # a phone: one column, nothing scrolls sideways, the figures two by two
    phone = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 800},
                                is_mobile=True, has_touch=True, storage_state=session)
    mobile = phone.new_page()
    mobile.on("pageerror", lambda e: errors.append(str(e)))
    mobile.goto(f"{server}/dashboard/")
    _wait_loaded(mobile, 1)
    assert mobile.evaluate("document.documentElement.scrollWidth") <= 375
    first, second = (mobile.locator("#tiles .tile").nth(i).bounding_box() for i in (0, 1))
    assert first["y"] == second["y"] and second["x"] > first["x"]
    mobile.wait_for_timeout(200)
    mobile.screenshot(path=artifacts / "dashboard-phone.png", full_page=True)
    assert not errors, errors
    phone.close()
    ctx.close()
