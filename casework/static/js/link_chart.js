// The link chart in the case room: the room's network drawn with Cytoscape.js (installed
// by npm, served as static/vendor/cytoscape/), expansion into the rooms the user may open,
// paths, linked cases (series), key players, groups and a time window. Live: room.js
// re-dispatches room events as "casework:event"; link, entity, import and series events
// re-fetch what they change. Every endpoint may fail: the chart shows an error line and
// carries on with what it has.
(function () {
  const card = document.getElementById("link-chart-card");
  const room = document.getElementById("room");
  if (!card || !room) return;
  const caseId = room.dataset.caseId;
  const base = "/api/cases/" + caseId;
  const T = document.getElementById("chart-text").dataset;
  const json = (id) => JSON.parse(document.getElementById(id).textContent || "[]");
  const kindLabels = Object.fromEntries(json("chart-entity-kinds"));
  const linkLabels = Object.fromEntries(json("chart-link-kinds"));
  const evidenceLabels = Object.fromEntries(json("chart-evidence-kinds"));
  const roleLabels = Object.fromEntries(json("chart-person-roles"));
  const $ = (id) => document.getElementById(id);
  const errorLine = $("chart-error");
  const info = $("chart-info-body");
  const pathFrom = $("path-from"), pathTo = $("path-to");
  const timeFrom = $("time-from"), timeUntil = $("time-until");
  const MAX_DEPTH = 6;
  const UNDIRECTED = new Set(["MET", "CO_OFFENDED"]);

  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => (k === "class" ? (n.className = v) : n.setAttribute(k, v)));
    children.forEach((c) => n.append(c));
    return n;
  }
  // "{n}" placeholders in the translated texts of chart_panel.html
  function fmt(text, values) {
    return text.replace(/\{(\w+)\}/g, (m, k) => (k in values ? String(values[k]) : m));
  }
  function when(iso) {
    if (!iso) return "—";
    return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).replace(/\//g, "-");
  }

  // --- errors: one line per failing source, cleared when it answers again ---------------
  const errors = {};
  function showErrors() { errorLine.textContent = Object.values(errors).join("\n"); }
  async function call(what, method, url, body) {
    let res;
    try { res = await casework.api(method, url, body); } catch (e) { res = { ok: false, status: 0, data: { detail: String(e) } }; }
    if (res.ok) { delete errors[what]; showErrors(); return res; }
    const detail = res.data ? casework.errorText(res.data) : "HTTP " + res.status;
    errors[what] = fmt(T.failed, { what: T["what" + what.charAt(0).toUpperCase() + what.slice(1)] || what, error: detail });
    showErrors();
    return null;
  }

  if (typeof window.cytoscape !== "function") {
    $("chart").replaceChildren(el("p", { class: "error" }, T.noLibrary));
    return;
  }

  // --- look: a shape, a colour and a white icon per kind ---------------------------------
  const COLOURS = { person: "#1f4e9c", phone: "#0e9384", vehicle: "#dc6803", bank_account: "#7a5af8", location: "#6f4e37" };
  const SHAPES = { person: "ellipse", phone: "round-rectangle", vehicle: "round-hexagon", bank_account: "diamond", location: "round-triangle" };
  const ICONS = {
    person: '<circle cx="12" cy="7.5" r="4"/><path d="M4 21c0-4.4 3.6-8 8-8s8 3.6 8 8z"/>',
    phone: '<rect x="7" y="2" width="10" height="20" rx="2" fill="none" stroke="#fff" stroke-width="2"/><circle cx="12" cy="18" r="1.4"/>',
    vehicle: '<path d="M2 16V9.5A1.5 1.5 0 0 1 3.5 8h11l5 4.5H21a1 1 0 0 1 1 1V16z"/><circle cx="7" cy="17" r="2.3" stroke="#000" stroke-opacity=".25"/><circle cx="17" cy="17" r="2.3" stroke="#000" stroke-opacity=".25"/>',
    bank_account: '<rect x="2" y="5" width="20" height="14" rx="2" fill="none" stroke="#fff" stroke-width="2"/><rect x="2" y="9" width="20" height="3"/><rect x="5" y="14.5" width="6" height="2"/>',
    location: '<path d="M12 2a7 7 0 0 0-7 7c0 5.2 7 13 7 13s7-7.8 7-13a7 7 0 0 0-7-7zm0 9.6a2.6 2.6 0 1 1 0-5.2 2.6 2.6 0 0 1 0 5.2z"/>',
  };
  const icon = (kind) => "data:image/svg+xml;utf8," + encodeURIComponent('<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" fill="#fff">' + (ICONS[kind] || '<circle cx="12" cy="12" r="5"/>') + "</svg>");
  const GROUP_COLOURS = ["#e31a1c", "#1f78b4", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928", "#a6cee3", "#fb9a99", "#b2df8a", "#fdbf6f", "#cab2d6", "#ffff99"];
  const FONT = getComputedStyle(document.body).fontFamily;
  const style = [
    { selector: "node", style: { "label": "data(display)", "width": "data(size)", "height": "data(size)", "background-color": "#667085", "background-image": "data(icon)", "background-width": "58%", "background-height": "58%", "border-width": 2, "border-color": "#fff", "font-family": FONT, "font-size": 11, "color": "#1b2430", "text-valign": "bottom", "text-margin-y": 4, "text-wrap": "wrap", "text-max-width": 110, "text-background-color": "#fff", "text-background-opacity": 0.75, "text-background-padding": 1 } },
    ...Object.keys(COLOURS).map((k) => ({ selector: 'node[kind = "' + k + '"]', style: { "background-color": COLOURS[k], "shape": SHAPES[k] } })),
    { selector: "node.outside", style: { "border-style": "dashed", "border-color": "#667085" } },
    { selector: "node.suspect", style: { "border-color": "#b42318", "border-width": 4, "border-style": "solid" } },
    { selector: "node.masked", style: { "outline-width": 3, "outline-color": "#f79009", "outline-offset": 2, "outline-style": "dashed" } },
    { selector: "node.grouped", style: { "background-color": "data(groupColour)" } },
    { selector: "node.ungrouped", style: { "background-color": "#d0d5dd" } },
    { selector: "node:selected", style: { "overlay-color": "#1f4e9c", "overlay-opacity": 0.18, "overlay-padding": 6 } },
    { selector: "edge", style: { "label": "data(display)", "width": "mapData(count, 1, 20, 1.5, 6)", "line-color": "#98a2b3", "target-arrow-color": "#98a2b3", "target-arrow-shape": "triangle", "arrow-scale": 0.8, "curve-style": "bezier", "font-family": FONT, "font-size": 9, "color": "#475467", "text-rotation": "autorotate", "text-background-color": "#fff", "text-background-opacity": 0.85, "text-background-padding": 1 } },
    { selector: "edge.undirected", style: { "target-arrow-shape": "none" } },
    { selector: "edge.masked-link", style: { "line-style": "dashed", "target-arrow-shape": "none" } },
    { selector: "edge:selected", style: { "line-color": "#1f4e9c", "target-arrow-color": "#1f4e9c", "width": 4 } },
    { selector: ".faded", style: { "opacity": 0.3 } },
    { selector: "node.highlighted", style: { "border-color": "#f79009", "border-width": 5, "border-style": "solid", "opacity": 1 } },
    { selector: "edge.highlighted", style: { "line-color": "#f79009", "target-arrow-color": "#f79009", "width": 5, "z-index": 10, "opacity": 1 } },
    { selector: ".dimmed", style: { "opacity": 0.2 } },
    { selector: ".time-hidden", style: { "display": "none" } },
  ];

  const container = $("chart");
  container.replaceChildren();
  const cy = cytoscape({ container, style, elements: [], minZoom: 0.2, maxZoom: 3, boxSelectionEnabled: false });

  // --- elements ---------------------------------------------------------------------------
  const nid = (entityId) => "n" + entityId;
  const entityName = (n) => (n && (n.label || n.key)) || "";
  const state = { betweenness: {}, groups: [], masked: {}, firstLayoutDone: false, moving: 0 };

  function display(node) {
    const other = node.data("otherCases");
    node.data("display", node.data("label") + (other ? " [+" + other + "]" : ""));
  }
  function nodeSize(entityId) {
    const values = Object.values(state.betweenness);
    const max = values.length ? Math.max(...values) : 0;
    const b = state.betweenness[entityId] || 0;
    return max > 0 ? 30 + 36 * Math.sqrt(b / max) : 34;
  }
  // add or refresh one node; returns it and whether it is new
  function upsertNode(n, opts) {
    opts = opts || {};
    const id = nid(n.id);
    let node = cy.getElementById(id);
    const isNew = node.empty();
    if (isNew) {
      node = cy.add({ group: "nodes", data: { id, entity: n.id, kind: n.kind, key: n.key, label: entityName(n), role: n.role || "", icon: icon(n.kind), size: nodeSize(n.id), inRoom: !!opts.inRoom },
        position: opts.near ? { x: opts.near.x + (Math.random() - 0.5) * 160, y: opts.near.y + (Math.random() - 0.5) * 160 } : undefined });
    } else {
      if (n.label) node.data("label", n.label);
      if (opts.inRoom) { node.data("inRoom", true); node.data("role", n.role || ""); }
    }
    node.toggleClass("suspect", node.data("role") === "suspect");
    node.toggleClass("outside", !node.data("inRoom"));
    display(node);
    return { node, isNew };
  }
  function upsertEdge(l, opts) {
    opts = opts || {};
    const id = "e" + l.id;
    const source = nid(l.source), target = nid(l.target);
    if (cy.getElementById(source).empty() || cy.getElementById(target).empty()) return { edge: cy.collection(), isNew: false };
    let edge = cy.getElementById(id);
    const isNew = edge.empty();
    const data = { id, link: l.id, source, target, kind: l.kind, count: l.count || 1, first_seen: l.first_seen || null, last_seen: l.last_seen || null };
    if (l.evidence) data.evidence = l.evidence;
    if (l.case) { data.caseRef = l.case; data.caseId = l.case.id; } else if (l.case_id) data.caseId = l.case_id;
    if (opts.inRoom) { data.inRoom = true; data.caseId = Number(caseId); }
    if (isNew) edge = cy.add({ group: "edges", data });
    else { delete data.source; delete data.target; edge.data(data); }
    edge.data("display", (linkLabels[l.kind] || l.kind) + (data.count > 1 ? " ×" + data.count : ""));
    edge.toggleClass("undirected", UNDIRECTED.has(l.kind));
    return { edge, isNew };
  }
  function markMasked(m) {
    state.masked[m.entity] = m;
    const node = cy.getElementById(nid(m.entity));
    if (node.nonempty()) { node.data("otherCases", m.other_cases); node.data("accessToken", m.access_request); node.addClass("masked"); display(node); }
    renderMaskedList();
  }

  // after any change of elements: the selects, the time window, sizes and group colours
  function afterChange() {
    updateSelects();
    updateTimeBounds();
    applyTime();
    cy.nodes().forEach((n) => n.data("size", nodeSize(n.data("entity"))));
    applyGroups();
  }

  // tighter on a phone, so that the chart is not zoomed out until the labels are unreadable
  const spacing = () => (container.clientWidth < 600 ? { nodeRepulsion: () => 4000, idealEdgeLength: () => 55 } : { nodeRepulsion: () => 9000, idealEdgeLength: () => 90 });
  function layoutAll() {
    cy.layout({ name: "cose", animate: false, randomize: true, padding: 20, ...spacing() }).run();
  }
  // new nodes find their place while the ones already drawn stay put
  function layoutGently(added) {
    if (!state.firstLayoutDone) { layoutAll(); state.firstLayoutDone = true; return; }
    const settled = cy.nodes().difference(added);
    settled.lock();
    state.moving += 1;
    const layout = cy.layout({ name: "cose", animate: "end", animationDuration: 400, randomize: false, fit: false, ...spacing() });
    layout.one("layoutstop", () => {
      settled.unlock();
      cy.animate({ fit: { eles: cy.elements(), padding: 30 } }, { duration: 300, complete: () => { state.moving -= 1; } });
    });
    layout.run();
  }

  // --- the room's network -----------------------------------------------------------------
  async function loadNetwork() {
    const res = await call("network", "GET", base + "/graph/");
    if (!res) return;
    const added = cy.collection();
    const seen = new Set();
    cy.batch(() => {
      res.data.nodes.forEach((n) => { const r = upsertNode(n, { inRoom: true }); seen.add(r.node.id()); if (r.isNew) added.merge(r.node); });
      res.data.edges.forEach((l) => { const r = upsertEdge(l, { inRoom: true }); seen.add("e" + l.id); if (r.isNew) added.merge(r.edge); });
      // what left the room (a merge, a withdrawn link) leaves the chart, unless expanded in
      cy.elements().filter((x) => x.data("inRoom") && !x.data("expanded") && !seen.has(x.id())).remove();
    });
    if (added.nodes().nonempty() || !state.firstLayoutDone) layoutGently(added.nodes());
    Object.values(state.masked).forEach(markMasked);
    afterChange();
  }

  // --- expand -------------------------------------------------------------------------------
  async function expand(entityId) {
    const params = new URLSearchParams({ entity: entityId, depth: $("expand-depth").value, limit: 200 });
    if ($("expand-types").value) params.set("types", $("expand-types").value);
    const window_ = timeWindow();
    if (window_) { params.set("since", new Date(window_.from).toISOString()); params.set("until", new Date(window_.until).toISOString()); }
    const res = await call("expand", "GET", "/api/graph/expand/?" + params);
    if (!res) return false;
    const centre = cy.getElementById(nid(entityId));
    const near = centre.nonempty() ? centre.position() : { x: 0, y: 0 };
    const added = cy.collection();
    cy.batch(() => {
      (res.data.nodes || []).forEach((n) => { const r = upsertNode(n, { near }); if (r.isNew) { r.node.data("expanded", true); added.merge(r.node); } });
      (res.data.edges || []).forEach((l) => { const r = upsertEdge(l); if (r.isNew) { r.edge.data("expanded", true); added.merge(r.edge); } });
    });
    (res.data.masked || []).forEach(markMasked);
    $("chart-truncated").hidden = !res.data.truncated;
    if (added.nodes().nonempty()) layoutGently(added.nodes());
    afterChange();
    const node = cy.getElementById(nid(entityId));
    if (node.nonempty()) { cy.elements().unselect(); node.select(); showNode(node); }
    return { added: added.nodes().length, truncated: !!res.data.truncated, masked: (res.data.masked || []).length };
  }

  // --- access requests from masked results -------------------------------------------------
  function accessButton(token) {
    const wrap = el("div", { class: "access" });
    const button = el("button", { type: "button", class: "access-request" }, T.requestAccess);
    button.addEventListener("click", () => {
      const reason = el("input", { name: "reason", maxlength: "500", required: "", placeholder: T.reason, "aria-label": T.reason });
      const form = el("form", { class: "access-form" }, reason, el("button", { type: "submit", class: "primary" }, T.sendRequest));
      form.addEventListener("submit", async (ev) => {
        ev.preventDefault();
        const res = await call("access", "POST", "/api/access-requests/", { token, reason: reason.value.trim() });
        if (res) wrap.replaceChildren(el("span", { class: "access-sent" }, T.requestSent));
      });
      wrap.replaceChildren(form);
      reason.focus();
    });
    wrap.append(button);
    return wrap;
  }
  function renderMaskedList() {
    const box = $("chart-masked");
    const items = Object.values(state.masked).filter((m) => cy.getElementById(nid(m.entity)).nonempty());
    box.hidden = items.length === 0;
    box.querySelector("ul").replaceChildren(...items.map((m) => el("li", { "data-entity": m.entity },
      el("b", {}, cy.getElementById(nid(m.entity)).data("label")), " ",
      el("span", { class: "badge masked-badge" }, fmt(T.maskedNode, { n: m.other_cases })), accessButton(m.access_request))));
  }

  // --- details of what was tapped -----------------------------------------------------------
  function row(label, value) { return [el("dt", {}, label), el("dd", {}, value)]; }
  function showNode(node) {
    const d = node.data();
    const rows = [...row(T.kind, kindLabels[d.kind] || d.kind)];
    if (d.key && !d.key.startsWith("local:")) rows.push(...row(T.key, d.key));
    if (d.role) rows.push(...row(T.role, roleLabels[d.role] || d.role));
    rows.push(...row(T.degree, String(node.connectedEdges().length)));
    if (state.betweenness[d.entity] !== undefined) rows.push(...row(T.betweenness, state.betweenness[d.entity].toFixed(3)));
    const parts = [el("h4", {}, d.label), el("dl", { class: "facts" }, ...rows)];
    if (d.otherCases) parts.push(el("p", {}, el("span", { class: "badge masked-badge" }, fmt(T.maskedNode, { n: d.otherCases }))), accessButton(d.accessToken));
    const expandButton = el("button", { type: "button", id: "chart-expand", class: "primary", "data-entity": d.entity }, T.expand);
    expandButton.addEventListener("click", () => expand(d.entity));
    const fromButton = el("button", { type: "button", class: "path-from-here" }, T.pathFromHere);
    fromButton.addEventListener("click", () => { pathFrom.value = String(d.entity); });
    const toButton = el("button", { type: "button", class: "path-to-here" }, T.pathToHere);
    toButton.addEventListener("click", () => { pathTo.value = String(d.entity); });
    parts.push(el("div", { class: "chart-actions" }, expandButton, fromButton, toButton));
    info.replaceChildren(...parts);
  }
  function showEdge(edge) {
    const d = edge.data();
    const rows = [...row(T.count, String(d.count)), ...row(T.firstSeen, when(d.first_seen)), ...row(T.lastSeen, when(d.last_seen))];
    if (d.evidence) rows.push(...row(T.evidence, el("span", {}, el("b", {}, evidenceLabels[d.evidence.kind] || d.evidence.kind), " ", d.evidence.description)));
    if (d.caseId && String(d.caseId) !== String(caseId)) rows.push(...row(T.case, el("a", { href: "/cases/" + d.caseId + "/" }, d.caseRef ? d.caseRef.number : T.openCase)));
    info.replaceChildren(el("h4", {}, linkLabels[d.kind] || d.kind),
      el("p", {}, edge.source().data("label") + (UNDIRECTED.has(d.kind) ? " — " : " → ") + edge.target().data("label")),
      el("dl", { class: "facts" }, ...rows));
  }
  cy.on("tap", "node", (ev) => showNode(ev.target));
  cy.on("tap", "edge", (ev) => { if (!ev.target.hasClass("masked-link")) showEdge(ev.target); });
  cy.on("dbltap", "node", (ev) => expand(ev.target.data("entity")));

  // --- paths ---------------------------------------------------------------------------------
  function updateSelects() {
    const nodes = cy.nodes().map((n) => ({ id: String(n.data("entity")), text: n.data("label") + " · " + (kindLabels[n.data("kind")] || n.data("kind")) }))
      .sort((a, b) => a.text.localeCompare(b.text, "zh-CN"));
    [pathFrom, pathTo].forEach((select) => {
      const keep = select.value;
      select.replaceChildren(el("option", { value: "" }, "—"), ...nodes.map((n) => el("option", { value: n.id }, n.text)));
      if (nodes.some((n) => n.id === keep)) select.value = keep;
    });
  }
  function clearHighlight() { cy.elements().removeClass("highlighted faded"); cy.remove(".masked-link"); }
  // draw one path: its nodes and links join the chart, the rest fades
  function highlightPath(path) {
    clearHighlight();
    const added = cy.collection();
    const near = cy.nodes().nonempty() ? cy.nodes().boundingBox() : { x1: 0, y1: 0, w: 0, h: 0 };
    const centre = { x: near.x1 + near.w / 2, y: near.y1 + near.h / 2 };
    const onPath = cy.collection();
    cy.batch(() => {
      path.nodes.forEach((n) => { if (!n) return; const r = upsertNode(n, { near: centre }); if (r.isNew) { r.node.data("expanded", true); added.merge(r.node); } onPath.merge(r.node); });
      path.steps.forEach((step, i) => {
        if (!step.masked) { const r = upsertEdge(step.link); if (r.isNew) r.edge.data("expanded", true); onPath.merge(r.edge); return; }
        const a = path.nodes[i], b = path.nodes[i + 1];
        if (a && b) onPath.merge(cy.add({ group: "edges", classes: "masked-link", data: { id: "masked-" + a.id + "-" + b.id + "-" + i, source: nid(a.id), target: nid(b.id), display: "?", count: 1 } }));
      });
      cy.elements().difference(onPath).addClass("faded");
      onPath.addClass("highlighted");
    });
    if (added.nonempty()) layoutGently(added);
    afterChange();
    return onPath.edges().length;
  }
  function pathName(path, entityId) {
    const n = path.nodes.find((x) => x && x.id === entityId);
    if (n) return entityName(n);
    const node = cy.getElementById(nid(entityId));
    return node.nonempty() ? node.data("label") : T.maskedNodeName;
  }
  function renderPaths(paths) {
    const panel = $("path-panel");
    if (!paths.length) { panel.replaceChildren(el("li", { class: "muted" }, fmt(T.noPath, { n: MAX_DEPTH }))); return; }
    panel.replaceChildren(...paths.map((path, i) => {
      const title = el("button", { type: "button", class: "link path-title" }, fmt(T.pathTitle, { i: i + 1, n: path.hops }));
      title.addEventListener("click", () => highlightPath(path));
      const steps = path.steps.map((step) => {
        if (step.masked) return el("li", { class: "masked-step" }, el("span", { class: "muted" }, T.maskedStep), accessButton(step.access_request));
        const l = step.link;
        const facts = [];
        if (l.case) facts.push(l.case.number);
        if (l.evidence) facts.push((evidenceLabels[l.evidence.kind] || l.evidence.kind) + ": " + l.evidence.description);
        if (l.first_seen || l.last_seen) facts.push(when(l.first_seen) + " – " + when(l.last_seen));
        return el("li", {}, pathName(path, l.source), " ", el("b", {}, (UNDIRECTED.has(l.kind) ? "— " : "→ ") + (linkLabels[l.kind] || l.kind) + (l.count > 1 ? " ×" + l.count : "") + (UNDIRECTED.has(l.kind) ? " —" : " →")), " ", pathName(path, l.target),
          el("br"), el("small", { class: "muted" }, facts.join(" · ")));
      });
      return el("li", { "data-path": i }, title, el("ol", { class: "path-steps" }, ...steps));
    }));
  }
  async function findPath(source, target) {
    source = String(source || pathFrom.value); target = String(target || pathTo.value);
    if (!source || !target || source === target) { errors.path = T.sameNode; showErrors(); return 0; }
    pathFrom.value = source; pathTo.value = target;
    const res = await call("path", "GET", "/api/graph/paths/?" + new URLSearchParams({ source, target, max_depth: MAX_DEPTH }));
    if (!res) return 0;
    const paths = res.data.paths || [];
    renderPaths(paths);
    return paths.length ? highlightPath(paths[0]) : (clearHighlight(), 0);
  }
  $("path-form").addEventListener("submit", (ev) => { ev.preventDefault(); findPath(); });
  $("path-clear").addEventListener("click", () => { clearHighlight(); $("path-panel").replaceChildren(); delete errors.path; showErrors(); });

  // --- key players and capture priority -----------------------------------------------------
  function playerItem(entry, extra) {
    const e = entry.entity;
    const button = el("button", { type: "button", class: "link" }, entityName(e));
    button.addEventListener("click", () => {
      const node = cy.getElementById(nid(e.id));
      if (node.empty()) return;
      cy.elements().unselect(); node.select(); showNode(node);
      cy.animate({ center: { eles: node } }, { duration: 300 });
    });
    return el("li", { "data-entity": e.id }, button, " ", el("small", { class: "muted" }, extra));
  }
  async function loadKeyPlayers() {
    const res = await call("keyPlayers", "GET", base + "/key-players/");
    if (!res) return;
    const results = res.data.results || [];
    state.betweenness = Object.fromEntries(results.map((r) => [r.entity.id, r.betweenness]));
    $("key-players").replaceChildren(...(results.length ? results.slice(0, 5).map((r) => playerItem(r, T.betweenness + " " + r.betweenness.toFixed(3) + " · " + T.degree + " " + r.degree)) : [el("li", { class: "muted" }, T.noLinks)]));
    $("capture-priority").replaceChildren(...(res.data.disruption || []).map((d) => playerItem(d, fmt(T.largestGroup, { p: Math.round(d.largest_group_fraction * 100) + "%" }))));
    cy.nodes().forEach((n) => n.data("size", nodeSize(n.data("entity"))));
  }

  // --- groups ---------------------------------------------------------------------------------
  async function loadGroups() {
    const res = await call("groups", "GET", base + "/groups/");
    state.groups = res ? res.data.results || [] : [];
    applyGroups();
  }
  function applyGroups() {
    const on = $("chart-groups").checked;
    const groupOf = {};
    state.groups.forEach((g, i) => g.members.forEach((m) => { groupOf[m.id] = GROUP_COLOURS[i % GROUP_COLOURS.length]; }));
    cy.batch(() => cy.nodes().forEach((n) => {
      const colour = groupOf[n.data("entity")];
      if (colour) n.data("groupColour", colour);
      n.toggleClass("grouped", on && !!colour);
      n.toggleClass("ungrouped", on && !colour);
    }));
  }
  $("chart-groups").addEventListener("change", applyGroups);

  // --- linked cases (series) -------------------------------------------------------------------
  async function loadSeries() {
    const list = $("series-list");
    const res = await call("series", "GET", base + "/series/");
    if (!res) { list.replaceChildren(el("li", { class: "muted" }, "—")); return; }
    const results = res.data.results || [];
    if (!results.length) { list.replaceChildren(el("li", { class: "muted" }, T.noSeries)); return; }
    list.replaceChildren(...results.map((r) => {
      const head = r.masked || !r.case
        ? [el("span", { class: "muted masked-case" }, T.maskedCase)]
        : [el("a", { href: "/cases/" + r.case.id + "/" }, el("b", {}, r.case.number)), " ", r.case.title];
      const parts = [...head, " ", el("span", { class: "badge", title: T.score }, Number(r.score).toFixed(2))];
      if (r.reasons && r.reasons.length) parts.push(el("ul", { class: "reasons" }, ...r.reasons.map((x) => el("li", {}, x))));
      if (r.masked && r.access_request) parts.push(accessButton(r.access_request));
      return el("li", { class: r.masked ? "masked" : "" }, ...parts);
    }));
  }

  // --- time window ----------------------------------------------------------------------------
  const times = (e) => {
    const first = e.data("first_seen") || e.data("last_seen"), last = e.data("last_seen") || e.data("first_seen");
    return first ? [Date.parse(first), Date.parse(last)] : null;
  };
  function updateTimeBounds() {
    let min = Infinity, max = -Infinity;
    cy.edges().forEach((e) => { const t = times(e); if (t) { min = Math.min(min, t[0]); max = Math.max(max, t[1]); } });
    const usable = isFinite(min) && max > min;
    const wasFull = (Number(timeFrom.value) <= Number(timeFrom.min)) && (Number(timeUntil.value) >= Number(timeUntil.max));
    timeFrom.disabled = timeUntil.disabled = !usable;
    if (!usable) { $("time-from-out").textContent = $("time-until-out").textContent = ""; return; }
    // minutes: the inputs step by 60 000 ms
    min = Math.floor(min / 60000) * 60000; max = Math.ceil(max / 60000) * 60000;
    const from = Number(timeFrom.value), until = Number(timeUntil.value);
    [timeFrom, timeUntil].forEach((input) => { input.min = String(min); input.max = String(max); });
    if (wasFull || !from) { timeFrom.value = String(min); timeUntil.value = String(max); }
    else { timeFrom.value = String(Math.max(min, from)); timeUntil.value = String(Math.min(max, until)); }
    showTime();
  }
  function showTime() {
    $("time-from-out").textContent = when(new Date(Number(timeFrom.value)).toISOString());
    $("time-until-out").textContent = when(new Date(Number(timeUntil.value)).toISOString());
  }
  // the window the user narrowed to, or null when it spans everything
  function timeWindow() {
    if (timeFrom.disabled) return null;
    const from = Number(timeFrom.value), until = Number(timeUntil.value);
    if (from <= Number(timeFrom.min) && until >= Number(timeUntil.max)) return null;
    return { from, until: until + 59999 };
  }
  function applyTime() {
    const w = timeWindow();
    cy.batch(() => {
      cy.edges().forEach((e) => { const t = times(e); e.toggleClass("time-hidden", !!(w && t && (t[1] < w.from || t[0] > w.until))); });
      cy.nodes().forEach((n) => {
        const edges = n.connectedEdges();
        n.toggleClass("dimmed", edges.nonempty() && edges.filter((e) => !e.hasClass("time-hidden")).empty());
      });
    });
  }
  function onTime(ev) {
    if (Number(timeFrom.value) > Number(timeUntil.value)) {
      if (ev.target === timeFrom) timeUntil.value = timeFrom.value; else timeFrom.value = timeUntil.value;
    }
    showTime();
    applyTime();
  }
  timeFrom.addEventListener("input", onTime);
  timeUntil.addEventListener("input", onTime);

  // --- export and view --------------------------------------------------------------------------
  $("chart-png").addEventListener("click", () => {
    const blob = cy.png({ full: true, scale: 2, bg: "#ffffff", output: "blob" });
    const url = URL.createObjectURL(blob);
    const a = el("a", { href: url, download: (card.dataset.caseNumber || "case") + " link chart.png" });
    document.body.append(a); a.click(); a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 5000);
  });
  $("chart-fit").addEventListener("click", () => cy.animate({ fit: { eles: cy.elements(":visible"), padding: 30 } }, { duration: 300 }));

  // --- live ----------------------------------------------------------------------------------------
  let timer = null, pending = { network: false, series: false };
  function refresh() {
    const want = pending;
    pending = { network: false, series: false };
    if (want.network) loadNetwork().then(() => Promise.all([loadKeyPlayers(), loadGroups()])).then(afterChange)
      .catch((e) => { errors.network = String(e); showErrors(); });
    if (want.series) loadSeries();
  }
  document.addEventListener("casework:event", (ev) => {
    const type = (ev.detail && ev.detail.type) || "";
    if (/^(link|entity|import)\./.test(type)) pending = { network: true, series: true };
    else if (type === "series.alert") pending.series = true;
    else return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 800);  // an import sends many events: fetch once after them
  });

  const ready = loadNetwork().then(() => Promise.all([loadKeyPlayers(), loadGroups()])).then(afterChange)
    .catch((e) => { errors.network = String(e); showErrors(); });
  loadSeries();
  // a handle for the page's tests and for the console
  window.caseworkChart = { cy, ready, expand, findPath, highlightPath, reload: () => { pending = { network: true, series: true }; refresh(); },
    settled: () => state.moving === 0 && !cy.animated() && cy.nodes().every((n) => !n.animated()) };
})();
