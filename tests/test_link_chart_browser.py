"""The link chart in the case room, in a real browser (Debian's Chromium): the Pinghe demo
room, its network drawn by Cytoscape.js, expansion into a Nanjing room, the series panel
with a case the user may open and one they may not, a path, and live updates."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.stack]

NODES = "window.caseworkChart.cy.nodes().length"


def log_in(page, server, username):
    from casework.demo.scenario import PASSWORD

    page.goto(f"{server.http}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{server.http}/")


def tap_node(page, label, touch=False):
    """A real click (or a tap on a touch screen) on the canvas, where the chart drew the
    node labelled `label`."""
    # new nodes find their place in an animated layout: wait until nothing moves
    page.wait_for_function("""label => window.caseworkChart.settled() && window.caseworkChart.cy
        .nodes().some(n => n.data('label') === label)""", arg=label)
    page.evaluate("document.getElementById('chart').scrollIntoView({block: 'center'})")
    page.wait_for_timeout(300)  # Cytoscape learns the canvas' new offset from scroll events
    point = page.evaluate("""label => {
        const cy = window.caseworkChart.cy;
        const node = cy.nodes().filter(n => n.data('label') === label)[0];
        cy.center(node);
        const p = node.renderedPosition(), box = cy.container().getBoundingClientRect();
        return {x: box.left + p.x, y: box.top + p.y};
    }""", label)
    if touch:
        page.touchscreen.tap(point["x"], point["y"])
    else:
        page.mouse.click(point["x"], point["y"])
    expect(page.locator("#chart-info h4")).to_have_text(label)


@pytest.fixture
def pinghe(transactional_db):
    """The demo scenario (in which `lead` assists in the first Nanjing theft, the van's,
    but not in the second, the suspect phone's), and the graph as PostgreSQL has it."""
    from casework.demo import scenario
    from casework.rooms.models import Case, Membership
    from linkanalysis import rebuild

    scenario.load(history=False)   # the rooms' day is enough here
    van_case = Case.objects.get(number=scenario.NANJING_CASES[0][0])
    phone_case = Case.objects.get(number=scenario.NANJING_CASES[1][0])
    assert Membership.objects.filter(case=van_case, user__username="lead").exists()
    assert not Membership.objects.filter(case=phone_case, user__username="lead").exists()
    # empty the graph and write it again from PostgreSQL: nothing left from other tests
    rebuild.rebuild()
    return Case.objects.get(number=scenario.PINGHE_NUMBER), van_case


def test_link_chart_in_the_pinghe_room(asgi_server, pinghe, browser, artifacts):
    from casework.demo import scenario

    room, van_case = pinghe
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900},
                              accept_downloads=True)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, asgi_server, "lead")
    page.goto(f"{asgi_server.http}/cases/{room.pk}/")
    expect(page.locator("#conn")).to_have_class(re.compile(r"\bopen\b"))

    # the room's network is drawn: 5 suspects, their phones, the van, places
    page.wait_for_function(f"window.caseworkChart && {NODES} > 10")
    page.evaluate("window.caseworkChart.ready")
    assert page.evaluate("window.caseworkChart.cy.edges().length") > 10
    assert page.evaluate("window.caseworkChart.cy.nodes('.suspect').length") == 5
    expect(page.locator("#key-players li")).to_have_count(5)
    expect(page.locator("#capture-priority li").first).to_be_visible()

    # linked cases: the van's Nanjing room by number; the phone's only as "a case exists"
    series = page.locator("#series-panel")
    expect(series).to_contain_text(scenario.NANJING_CASES[0][0])
    expect(series.locator(".masked-case")).to_have_count(1)
    assert scenario.NANJING_CASES[1][0] not in page.content()
    series.locator(".access-request").click()
    series.locator(".access-form input[name=reason]").fill("嫌疑人手机号在该案出现，请求串并研判")
    series.locator(".access-form button[type=submit]").click()
    expect(series.locator(".access-sent")).to_be_visible()

    # tap a phone, expand it: its other case is one the lead may not open
    tap_node(page, "朱某手机")
    page.click("#chart-expand")
    expect(page.locator("#chart-masked")).to_contain_text("朱某手机")
    expect(page.locator("#chart-info .masked-badge")).to_be_visible()
    expect(page.locator("#chart-info .access-request")).to_be_visible()

    # tap the van, expand it: the Nanjing owner joins the chart
    before = page.evaluate(NODES)
    tap_node(page, "作案面包车（南靖被盗）")
    page.click("#chart-expand")
    page.wait_for_function(f"{NODES} > {before}")
    page.wait_for_function("window.caseworkChart.cy.nodes().some(n => "
                           "n.data('label') === '车主郑某')")
    page.wait_for_timeout(800)  # the gentle layout settles
    assert not page.locator("#chart-truncated").is_visible()

    # a link of the other room shows where it comes from
    page.evaluate("""() => { const cy = window.caseworkChart.cy;
        const owner = cy.nodes().filter(n => n.data('label') === '车主郑某')[0];
        owner.connectedEdges()[0].emit('tap'); }""")
    expect(page.locator(f'#chart-info a[href="/cases/{van_case.pk}/"]')).to_be_visible()

    # the path from the Nanjing owner to a suspect, through the van and the calls
    page.select_option("#path-from", label="车主郑某 · 人员")
    page.select_option("#path-to", label="黄某 · 人员")
    page.click("#path-find")
    expect(page.locator("#path-panel li[data-path]").first).to_contain_text("路径 1")
    page.wait_for_function("window.caseworkChart.cy.edges('.highlighted').length > 0")
    highlighted = page.evaluate("window.caseworkChart.cy.edges('.highlighted').length")
    assert highlighted >= 3
    page.wait_for_timeout(600)
    page.screenshot(path=artifacts / "link-chart-desktop.png", full_page=True)
    page.locator("#link-chart-card").screenshot(path=artifacts / "link-chart-card-desktop.png")

    # colour by group: the room's network falls into groups
    page.check("#chart-groups")
    assert page.evaluate("window.caseworkChart.cy.nodes('.grouped').length") > 0
    page.uncheck("#chart-groups")
    assert page.evaluate("window.caseworkChart.cy.nodes('.grouped').length") == 0

    # the time window: before the first call only the undated links stay
    total = page.evaluate("window.caseworkChart.cy.edges().length")
    page.evaluate("""() => { const input = document.getElementById('time-until');
        input.value = input.min; input.dispatchEvent(new Event('input')); }""")
    hidden = page.evaluate("window.caseworkChart.cy.edges('.time-hidden').length")
    assert 0 < hidden < total
    assert page.evaluate("window.caseworkChart.cy.nodes('.dimmed').length") > 0

    # exports: the picture is drawn in the page; GraphML is the server's
    with page.expect_download() as download:
        page.click("#chart-png")
    assert download.value.suggested_filename.endswith(".png")
    expect(page.locator("#chart-graphml")).to_have_attribute(
        "href", f"/api/cases/{room.pk}/graph/?format=graphml")
    graphml = page.request.get(f"{asgi_server.http}/api/cases/{room.pk}/graph/?format=graphml")
    assert graphml.ok and "<graphml" in graphml.text()
    assert not errors, errors
    expect(page.locator("#chart-error")).to_be_empty()
    ctx.close()


def test_link_chart_on_a_phone_and_live(asgi_server, pinghe, browser, artifacts):
    from casework.accounts.models import User
    from casework.entities import services as entity_services
    from casework.evidence.models import EvidenceItem

    room, _ = pinghe
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 375, "height": 812},
                              is_mobile=True, has_touch=True)
    page = ctx.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    log_in(page, asgi_server, "lead")
    page.goto(f"{asgi_server.http}/cases/{room.pk}/")
    expect(page.locator("#conn")).to_have_class(re.compile(r"\bopen\b"))
    page.wait_for_function(f"window.caseworkChart && {NODES} > 10")
    page.evaluate("window.caseworkChart.ready")

    # the chart fills the width; the panels stack under it; nothing scrolls sideways
    chart = page.locator("#chart").bounding_box()
    side = page.locator(".chart-side").bounding_box()
    assert chart["width"] >= 320
    assert side["y"] >= chart["y"] + chart["height"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # live: a link added in the room reaches the chart without a reload
    before = page.evaluate(NODES)
    lead = User.objects.get(username="lead")
    evidence = EvidenceItem.objects.filter(case=room).first()
    handset = entity_services.add_entity(actor=lead, case_id=room.pk, kind="phone",
                                         value="13800138000", label="新发现号码")
    phones = page.evaluate("""() => window.caseworkChart.cy.nodes()
        .filter(n => n.data('label') === '黄某手机').map(n => n.data('entity'))""")
    entity_services.add_link(actor=lead, case_id=room.pk, kind="CALLED", source=phones[0],
                             target=handset.entity_id, evidence_id=evidence.pk, count=3)
    page.wait_for_function(f"{NODES} > {before}")
    page.wait_for_function("window.caseworkChart.cy.edges().some(e => "
                           "e.data('display') === '通话 ×3')")
    tap_node(page, "新发现号码", touch=True)
    expect(page.locator("#chart-info")).to_contain_text("+8613800138000")
    page.click("#chart-fit")
    page.wait_for_timeout(500)
    page.locator("#chart").screenshot(path=artifacts / "link-chart-phone-chart.png")
    page.screenshot(path=artifacts / "link-chart-phone.png", full_page=True)
    page.locator("#link-chart-card").screenshot(path=artifacts / "link-chart-card-phone.png")
    assert not errors, errors
    expect(page.locator("#chart-error")).to_be_empty()
    ctx.close()
