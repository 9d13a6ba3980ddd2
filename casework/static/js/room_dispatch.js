// Capture instructions in the case room: the map (Leaflet over an offline GeoJSON of the
// districts, tiles only when MAP_TILE_URL names a server), the issue form, instruction
// cards kept live from the room's events (room.js re-dispatches each as "casework:event"),
// cancel and reassign, arrests and recoveries.
(function () {
  const room = document.getElementById("room");
  const card = document.getElementById("dispatch-card");
  if (!room || !card) return;
  const { el, fill, escapeHtml } = window.casework;   // static/js/dom.js
  const caseId = room.dataset.caseId;
  const base = "/api/cases/" + caseId;
  const T = document.getElementById("dispatch-text").dataset;
  const labels = JSON.parse(document.getElementById("dispatch-labels").textContent);
  const kindsEl = document.getElementById("entity-kinds");
  const entityKinds = kindsEl ? Object.fromEntries(JSON.parse(kindsEl.textContent)) : {};
  const mayDispatch = card.dataset.mayDispatch === "1";
  const caseLat = parseFloat(card.dataset.caseLat), caseLon = parseFloat(card.dataset.caseLon);
  const hasCasePos = isFinite(caseLat) && isFinite(caseLon);
  const list = document.getElementById("instructions");
  const form = document.getElementById("instruction-form");
  const unitBox = document.getElementById("unit-options");
  const arrestForm = document.getElementById("arrest-form");
  const recoveryForm = document.getElementById("recovery-form");
  const arrestList = document.getElementById("arrests");
  const recoveryList = document.getElementById("recoveries");

  // a status never goes back: events and API answers may arrive in either order
  const RANK = { sent: 0, delivered: 1, acknowledged: 2, en_route: 3, on_scene: 4, completed: 5, declined: 5, cancelled: 5 };
  const OPEN = new Set(["sent", "delivered", "acknowledged", "en_route", "on_scene"]);
  const STAGES = ["sent", "delivered", "acknowledged", "en_route", "on_scene", "completed", "declined", "cancelled"];
  const STALE_MS = 10 * 60 * 1000;  // as the server's suggestion (dispatch.selectors)

  const instructions = new Map();  // instruction id → {data, assignments: Map(id → assignment)}
  const units = new Map();          // dispatchable unit id → unit
  const entities = new Map();       // entity id → entity of the room
  const recoveries = new Map();

  const SH = { timeZone: "Asia/Shanghai", hour12: false };
  function when(iso) {
    return new Date(iso).toLocaleString("zh-CN", { ...SH, month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit" }).replace("/", "-");
  }
  function clock(iso) { return new Date(iso).toLocaleTimeString("zh-CN", { ...SH, hour: "2-digit", minute: "2-digit", second: "2-digit" }); }
  function name(u) { return u ? (u.display_name || u.username) : ""; }
  function distance(m) { return m === null || m === undefined ? "" : (m < 1000 ? m + " m" : (m / 1000).toFixed(1) + " km"); }
  // datetime-local values are Shanghai wall-clock time
  function localNow() { return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 16); }
  function withOffset(v) { return v ? v + ":00+08:00" : undefined; }
  function callSign(unitId) { const u = units.get(unitId); return u ? u.call_sign || u.name : "#" + unitId; }
  function entityLabel(t) {
    if (!t) return "";
    const e = entities.get(t.id);
    return (e && e.label) || t.key;
  }
  function isStale(pos) { return !pos || !pos.at || Date.now() - new Date(pos.at).getTime() > STALE_MS; }

  // ---------------------------------------------------------------- the map
  const mapEl = document.getElementById("dispatch-map");
  let map = null, unitLayer = null, targetLayer = null, pickMarker = null, districtData = null;
  const unitMarkers = new Map();

  function pointIn(lat, lon, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  function placeAt(lat, lon) {
    if (!districtData) return "";
    const hit = (level) => districtData.features.find((f) => f.properties.level === level && pointIn(lat, lon, f.geometry.coordinates[0]));
    const town = hit("town"), county = hit("county");
    const en = document.documentElement.lang === "en";
    const nm = (f) => (en ? f.properties.name_en : f.properties.name);
    if (town) return fill(T.near, { place: en ? nm(town) + ", " + town.properties.county_en : town.properties.county + nm(town) });
    return county ? fill(T.near, { place: nm(county) }) : "";
  }

  async function initMap() {
    if (!window.L) { mapEl.append(el("p", { class: "error" }, T.noMap)); return; }
    // no wheel zoom: scrolling the page over the map must not zoom it (buttons and pinch do)
    map = L.map(mapEl, { minZoom: 8, maxZoom: 18, zoomSnap: 0.5, scrollWheelZoom: false });
    map.attributionControl.setPrefix("Leaflet");
    if (hasCasePos) map.setView([caseLat, caseLon], 13); else map.setView([24.42, 117.3], 10);
    const tileUrl = card.dataset.tileUrl;
    if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 18 }).addTo(map);
    map.createPane("districts").style.zIndex = 350;  // under the markers, over the tiles
    unitLayer = L.layerGroup().addTo(map);
    targetLayer = L.layerGroup().addTo(map);
    const zoomClass = () => mapEl.classList.toggle("zoom-near", map.getZoom() >= 11);
    map.on("zoomend", zoomClass); zoomClass();
    if (hasCasePos) {
      L.marker([caseLat, caseLon], { icon: L.divIcon({ className: "map-pin case-pin", html: "<span><b></b></span>", iconSize: [22, 22], iconAnchor: [11, 22] }), keyboard: false, zIndexOffset: 500 })
        .bindTooltip(T.scene, { direction: "top", offset: [0, -20] }).addTo(map);
    }
    if (form) map.on("click", (ev) => pick(ev.latlng.lat, ev.latlng.lng, true));
    try {
      const res = await fetch(card.dataset.geojson, { credentials: "same-origin" });
      districtData = await res.json();
    } catch (e) { districtData = null; }
    if (!districtData) return;
    const filled = !tileUrl;
    const districts = L.geoJSON(districtData, {
      pane: "districts", interactive: false,
      style: (f) => (f.properties.level === "county"
        ? { color: "#1f4e9c", weight: 2, fillColor: "#e8eef8", fillOpacity: filled ? 0.9 : 0.1, className: "district county" }
        : { color: "#7d8aa3", weight: 1, dashArray: "4 3", fillColor: "#f6f8fc", fillOpacity: filled ? 0.6 : 0.05, className: "district town" }),
    }).addTo(map);
    districts.eachLayer((layer) => {
      const p = layer.feature.properties;
      const text = document.documentElement.lang === "en" ? p.name_en : p.name;
      L.tooltip({ permanent: true, direction: "center", className: "district-label " + p.level, interactive: false, pane: "districts" })
        .setLatLng(p.label_at ? [p.label_at[1], p.label_at[0]] : layer.getBounds().getCenter()).setContent(text).addTo(map);
    });
    if (!hasCasePos) map.fitBounds(districts.getBounds());
  }

  function drawUnit(u) {
    if (!map) return;
    const pos = u.position;
    let m = unitMarkers.get(u.id);
    if (!pos) { if (m) { unitLayer.removeLayer(m); unitMarkers.delete(u.id); } return; }
    const stale = isStale(pos);
    const style = { radius: 7, weight: 2, color: "#fff", fillOpacity: stale ? 0.55 : 0.95, dashArray: stale ? "3 2" : null,
      className: "unit-marker status-" + u.status + (stale ? " stale" : "") };
    const fillColor = { available: "#1a7f37", busy: "#dc6803", off_duty: "#98a2b3" }[u.status] || "#667085";
    const popup = "<b>" + escapeHtml(u.call_sign) + "</b> " + escapeHtml(u.name) + "<br>" + escapeHtml(labels.unit_status[u.status] || u.status) +
      (pos.at ? "<br>" + escapeHtml(T.positionAt) + " " + escapeHtml(when(pos.at)) : "") + (stale ? "<br>" + escapeHtml(T.stale) : "");
    if (!m) {
      m = L.circleMarker([pos.lat, pos.lon], { ...style, fillColor }).bindTooltip(u.call_sign, { permanent: true, direction: "right", offset: [7, 0], className: "unit-label" });
      m.addTo(unitLayer);
      unitMarkers.set(u.id, m);
    } else {
      m.setLatLng([pos.lat, pos.lon]);
      m.setStyle({ ...style, fillColor });
      const path = m.getElement && m.getElement();
      if (path) path.setAttribute("class", "leaflet-interactive " + style.className);
    }
    m.bindPopup(popup);
  }

  function drawTargets() {
    if (!map) return;
    targetLayer.clearLayers();
    instructions.forEach(({ data, assignments }) => {
      if (data.lat === null || data.lat === undefined) return;
      const open = [...assignments.values()].some((a) => OPEN.has(a.status));
      const signs = [...assignments.values()].filter((a) => a.status !== "cancelled").map((a) => a.unit ? a.unit.call_sign : "").join(", ");
      const icon = L.divIcon({ className: "map-pin target-pin" + (open ? "" : " ended") + (data.drill ? " drill" : ""), html: "<span><b>" + data.id + "</b></span>", iconSize: [24, 24], iconAnchor: [12, 24] });
      L.marker([data.lat, data.lon], { icon, keyboard: false, zIndexOffset: 400 })
        .bindTooltip(T.instruction + " #" + data.id + " · " + (labels.kind[data.kind] || data.kind) + (signs ? " → " + signs : "") + (data.place ? " · " + data.place : ""), { direction: "top", offset: [0, -22] })
        .addTo(targetLayer);
    });
  }

  function pick(lat, lon, fromMap) {
    if (!form) return;
    form.lat.value = lat.toFixed(6);
    form.lon.value = lon.toFixed(6);
    const place = placeAt(lat, lon);
    if (fromMap && place && (!form.place.value || form.place.dataset.auto === "1")) {
      form.place.value = place; form.place.dataset.auto = "1";
    }
    if (map) {
      if (!pickMarker) {
        pickMarker = L.circleMarker([lat, lon], { radius: 9, color: "#1f4e9c", weight: 3, dashArray: "4 3", fillOpacity: 0.15, className: "pick-marker" })
          .bindTooltip(T.picked, { direction: "top" }).addTo(map);
      } else pickMarker.setLatLng([lat, lon]);
    }
    scheduleSuggest();
  }

  // ---------------------------------------------------------------- units
  let suggested = [];
  async function loadUnits() {
    const res = await casework.api("GET", base + "/dispatch-units/");
    if (!res.ok) return;
    const seen = new Set();
    res.data.results.forEach((u) => { units.set(u.id, u); seen.add(u.id); drawUnit(u); });
    [...units.keys()].filter((id) => !seen.has(id)).forEach((id) => { units.delete(id); const m = unitMarkers.get(id); if (m) { unitLayer.removeLayer(m); unitMarkers.delete(id); } });
    renderUnitOptions();
    fillUnitSelects();
  }
  let unitsTimer = null;
  function scheduleUnits() { clearTimeout(unitsTimer); unitsTimer = setTimeout(() => { loadUnits(); if (form) loadSuggestions(); }, 400); }

  async function loadSuggestions() {
    if (!form) return;
    let lat = parseFloat(form.lat.value), lon = parseFloat(form.lon.value);
    if (!isFinite(lat) || !isFinite(lon)) { lat = caseLat; lon = caseLon; }
    if (!isFinite(lat) || !isFinite(lon)) { suggested = []; renderUnitOptions(); return; }
    const res = await casework.api("GET", base + "/suggest-units/?lat=" + lat + "&lon=" + lon);
    suggested = res.ok ? res.data.results : [];
    renderUnitOptions();
  }
  let suggestTimer = null;
  function scheduleSuggest() { clearTimeout(suggestTimer); suggestTimer = setTimeout(loadSuggestions, 300); }

  function unitOption(u, s) {
    const off = u.status === "off_duty";
    const stale = s ? s.stale : isStale(u.position);
    return el("label", { class: "check unit-option", "data-unit": u.id },
      el("input", { type: "checkbox", name: "units", value: String(u.id), disabled: off }),
      el("span", { class: "unit-line" },
        el("b", { class: "call-sign" }, u.call_sign || "—"), " ",
        el("span", { class: "unit-name" }, u.name), " ",
        el("span", { class: "badge unit-status " + (u.status || "") }, labels.unit_status[u.status] || u.status || ""),
        s && s.distance_m !== null ? el("span", { class: "distance" }, " " + distance(s.distance_m)) : "",
        stale ? el("span", { class: "badge stale" }, u.position ? T.stale : T.noPosition) : ""));
  }
  function renderUnitOptions() {
    if (!unitBox) return;
    const checked = new Set([...unitBox.querySelectorAll("input:checked")].map((i) => i.value));
    const rows = [];
    const first = suggested;
    const firstIds = new Set(first.map((s) => s.unit.id));
    if (first.length) {
      rows.push(el("p", { class: "unit-group" }, T.suggestedHead));
      first.forEach((s) => rows.push(unitOption({ status: "available", position: null, ...(units.get(s.unit.id) || {}), ...s.unit }, s)));
    }
    const others = [...units.values()].filter((u) => !firstIds.has(u.id));
    if (others.length) {
      rows.push(el("p", { class: "unit-group" }, T.othersHead));
      others.forEach((u) => rows.push(unitOption(u, null)));
    }
    if (!rows.length) rows.push(el("p", { class: "muted" }, T.noUnits));
    unitBox.replaceChildren(...rows);
    unitBox.querySelectorAll("input").forEach((i) => { if (checked.has(i.value) && !i.disabled) i.checked = true; });
  }

  // ---------------------------------------------------------------- instruction cards
  function mergeAssignment(iid, a) {
    const entry = instructions.get(iid);
    if (!entry) return null;
    const old = entry.assignments.get(a.id);
    const merged = { ...(old || {}), ...a, instruction_id: iid };
    if (old && RANK[a.status] < RANK[old.status]) {
      // an older state arriving late: keep what we know, take only the sticky flags
      Object.assign(merged, { status: old.status, times: old.times, result: old.result, reason: old.reason, positions: old.positions });
    }
    if (old) {
      merged.escalated = Boolean(old.escalated || a.escalated);
      merged.times = { ...(old.times || {}), ...(merged.times || {}) };
      merged.suggested_unit = a.suggested_unit || old.suggested_unit;
      merged.late_ms = a.late_ms || old.late_ms;
    }
    entry.assignments.set(a.id, merged);
    return merged;
  }

  function assignmentInfo(a) {
    const st = a.status;
    const times = STAGES.filter((s) => a.times && a.times[s]).map((s) => (labels.status[s] || s) + " " + clock(a.times[s])).join(" · ");
    const bits = [
      el("b", { class: "call-sign" }, a.unit ? a.unit.call_sign : "?"), " ",
      el("span", { class: "unit-name" }, a.unit ? a.unit.name : ""), " ",
      el("span", { class: "status", "data-status": st }, labels.status[st] || st),
    ];
    if (a.escalated) {
      bits.push(" ", el("span", { class: "badge escalated", title: a.late_ms ? fill(T.late, { s: Math.round(a.late_ms / 1000) }) : null }, T.escalated));
    }
    if (a.replaces) {
      const before = instructions.get(a.instruction_id)?.assignments.get(a.replaces);
      bits.push(" ", el("span", { class: "badge" }, fill(T.replaces, { unit: before && before.unit ? before.unit.call_sign : "#" + a.replaces })));
    }
    bits.push(el("br"), el("small", { class: "times muted" }, times));
    if (a.result) bits.push(el("br"), el("small", {}, T.result + ": " + (labels.result[a.result] || a.result)));
    if (a.reason) bits.push(el("br"), el("small", {}, T.reason + ": " + a.reason));
    if (a.escalated && a.suggested_unit && OPEN.has(st) && mayDispatch) {
      bits.push(el("br"), el("small", { class: "suggestion" }, fill(T.suggested, { unit: a.suggested_unit.call_sign || a.suggested_unit.name })));
    }
    return el("div", { class: "a-info" }, ...bits);
  }

  function renderAssignment(ul, a) {
    let li = ul.querySelector('li[data-assignment="' + a.id + '"]');
    const info = assignmentInfo(a);
    if (!li) {
      li = el("li", { "data-assignment": a.id }, info, el("div", { class: "a-actions" }));
      ul.append(li);
    } else li.querySelector(".a-info").replaceWith(info);
    li.className = "st-" + a.status + (a.escalated ? " escalated" : "");
    const actions = li.querySelector(".a-actions");
    const open = OPEN.has(a.status);
    if (!mayDispatch || !open) { actions.replaceChildren(); return; }
    if (!actions.querySelector(".reassign")) {
      actions.append(el("button", { type: "button", class: "reassign" }, T.reassign));
    }
    if (a.escalated && a.suggested_unit) {
      const sel = actions.querySelector("select");
      if (sel && !sel.dataset.touched) sel.value = String(a.suggested_unit.id);
    }
  }

  function openReassign(li, a) {
    const actions = li.querySelector(".a-actions");
    const select = el("select", { name: "unit", "aria-label": T.reassignTo });
    [...units.values()].filter((u) => u.id !== (a.unit && a.unit.id)).forEach((u) => {
      select.append(el("option", { value: String(u.id), disabled: u.status === "off_duty" }, (u.call_sign || "") + " " + u.name + " · " + (labels.unit_status[u.status] || u.status)));
    });
    const preferred = (a.suggested_unit && a.suggested_unit.id) || (suggested.find((s) => s.unit.id !== (a.unit && a.unit.id)) || {}).unit?.id;
    if (preferred) select.value = String(preferred);
    select.addEventListener("change", () => { select.dataset.touched = "1"; });
    const errors = el("p", { class: "error", role: "alert" });
    actions.replaceChildren(el("label", { class: "reassign-form" }, T.reassignTo, select),
      el("div", { class: "button-row" },
        el("button", { type: "button", class: "primary confirm-reassign" }, T.confirmReassign),
        el("button", { type: "button", class: "close-reassign" }, T.close)), errors);
  }

  function renderInstruction(ins) {
    const entry = instructions.get(ins.id) || { data: ins, assignments: new Map() };
    entry.data = { ...ins };
    delete entry.data.assignments;
    instructions.set(ins.id, entry);
    (ins.assignments || []).forEach((a) => mergeAssignment(ins.id, a));
    drawInstruction(ins.id);
  }

  function drawInstruction(iid) {
    const { data, assignments } = instructions.get(iid);
    let art = list.querySelector('article[data-instruction="' + iid + '"]');
    if (!art) {
      art = el("article", { class: "instruction", "data-instruction": iid },
        el("header", { class: "ins-head" }), el("p", { class: "ins-text" }), el("p", { class: "ins-meta muted" }),
        el("ul", { class: "assignments" }), el("div", { class: "ins-actions" }), el("p", { class: "error", role: "alert" }));
      const later = [...list.querySelectorAll("article[data-instruction]")].find((n) => Number(n.dataset.instruction) < iid);
      list.querySelector(".placeholder")?.remove();
      if (later) list.insertBefore(art, later); else list.append(art);
    }
    art.classList.toggle("drill", Boolean(data.drill));
    art.querySelector(".ins-head").replaceChildren(
      el("span", { class: "badge kind" }, labels.kind[data.kind] || data.kind), " ",
      el("span", { class: "badge priority " + data.priority }, labels.priority[data.priority] || data.priority), " ",
      data.drill ? el("span", { class: "badge drill" }, T.drill) : "", data.drill ? " " : "",
      el("b", {}, "#" + data.id), " ",
      el("time", { datetime: data.issued_at }, when(data.issued_at)), " ",
      el("small", { class: "muted" }, name(data.issued_by)));
    art.querySelector(".ins-text").textContent = data.text;
    const meta = [];
    if (data.target) meta.push(T.target + ": " + entityLabel(data.target) + (entityKinds[data.target.kind] ? " (" + entityKinds[data.target.kind] + ")" : ""));
    if (data.place) meta.push(T.place + ": " + data.place);
    if (data.lat !== null && data.lat !== undefined) meta.push(data.lat.toFixed(5) + ", " + data.lon.toFixed(5));
    meta.push(fill(T.ackWithin, { s: data.ack_deadline_s }));
    art.querySelector(".ins-meta").textContent = meta.join(" · ");
    const ul = art.querySelector(".assignments");
    [...assignments.values()].sort((x, y) => x.id - y.id).forEach((a) => renderAssignment(ul, a));
    const actions = art.querySelector(".ins-actions");
    const anyOpen = [...assignments.values()].some((a) => OPEN.has(a.status));
    if (mayDispatch && anyOpen) {
      if (!actions.children.length) actions.append(el("button", { type: "button", class: "cancel-instruction" }, T.cancel));
    } else actions.replaceChildren();
    drawTargets();
    fillAssignmentSelects();
  }

  async function refreshInstruction(iid) {
    const res = await casework.api("GET", "/api/instructions/" + iid + "/");
    if (res.ok) renderInstruction(res.data);
  }

  async function loadInstructions() {
    const res = await casework.api("GET", base + "/instructions/");
    list.querySelector(".placeholder")?.remove();
    if (res.ok) res.data.results.forEach(renderInstruction);
    if (!instructions.size && !list.querySelector(".none")) list.append(el("p", { class: "muted none placeholder" }, T.none));
  }

  list.addEventListener("click", async (ev) => {
    const art = ev.target.closest("article[data-instruction]");
    if (!art) return;
    const iid = Number(art.dataset.instruction);
    const errors = art.querySelector(":scope > .error");
    const actions = art.querySelector(".ins-actions");
    if (ev.target.matches(".cancel-instruction")) {
      actions.replaceChildren(el("button", { type: "button", class: "primary danger confirm-cancel" }, T.confirmCancel), " ",
        el("button", { type: "button", class: "keep-instruction" }, T.keep));
    } else if (ev.target.matches(".keep-instruction")) {
      actions.replaceChildren(el("button", { type: "button", class: "cancel-instruction" }, T.cancel));
    } else if (ev.target.matches(".confirm-cancel")) {
      ev.target.disabled = true;
      const res = await casework.api("POST", "/api/instructions/" + iid + "/cancel/");
      errors.textContent = res.ok ? "" : casework.errorText(res.data);
      if (res.ok) renderInstruction(res.data); else ev.target.disabled = false;
    }
    const li = ev.target.closest("li[data-assignment]");
    if (!li) return;
    const a = instructions.get(iid).assignments.get(Number(li.dataset.assignment));
    const aErrors = li.querySelector(".a-actions .error");
    if (ev.target.matches(".reassign")) openReassign(li, a);
    else if (ev.target.matches(".close-reassign")) { li.querySelector(".a-actions").replaceChildren(); renderAssignment(li.parentNode, a); }
    else if (ev.target.matches(".confirm-reassign")) {
      ev.target.disabled = true;
      const unit = Number(li.querySelector(".a-actions select").value);
      const res = await casework.api("POST", "/api/assignments/" + a.id + "/reassign/", { unit });
      if (res.ok) { mergeAssignment(iid, res.data); await refreshInstruction(iid); scheduleUnits(); }
      else { ev.target.disabled = false; if (aErrors) aErrors.textContent = casework.errorText(res.data); }
    }
  });

  // ---------------------------------------------------------------- the issue form
  async function loadEntities(url) {
    const res = await casework.api("GET", url);
    if (!res.ok) return;
    res.data.results.forEach(addEntity);
    if (res.data.next) await loadEntities(res.data.next);
  }
  function addEntity(e) {
    if (e.merged_into) return;
    entities.set(e.id, e);
    const text = (e.label || e.key) + " · " + (entityKinds[e.kind] || e.kind);
    if (form && !form.target_entity.querySelector('option[value="' + e.id + '"]')) form.target_entity.append(el("option", { value: String(e.id) }, text));
    if (arrestForm && e.kind === "person" && !arrestForm.person.querySelector('option[value="' + e.id + '"]')) arrestForm.person.append(el("option", { value: String(e.id) }, e.label || e.key));
  }

  if (form) {
    ["lat", "lon"].forEach((k) => form[k].addEventListener("change", () => {
      const lat = parseFloat(form.lat.value), lon = parseFloat(form.lon.value);
      if (isFinite(lat) && isFinite(lon)) pick(lat, lon, false);
    }));
    form.place.addEventListener("input", () => { form.place.dataset.auto = ""; });
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const errors = document.getElementById("instruction-errors");
      errors.textContent = "";
      const chosen = [...unitBox.querySelectorAll("input[name=units]:checked")].map((i) => Number(i.value));
      if (!chosen.length) { errors.textContent = T.pickUnit; return; }
      const body = { kind: form.kind.value, priority: form.priority.value, text: form.text.value.trim(), units: chosen, drill: form.drill.checked };
      if (form.target_entity.value) body.target_entity = Number(form.target_entity.value);
      if (form.place.value.trim()) body.place = form.place.value.trim();
      const lat = parseFloat(form.lat.value), lon = parseFloat(form.lon.value);
      if (isFinite(lat) && isFinite(lon)) { body.lat = lat; body.lon = lon; }
      if (form.ack_deadline_s.value) body.ack_deadline_s = Number(form.ack_deadline_s.value);
      const button = form.querySelector("button[type=submit]");
      button.disabled = true;
      const res = await casework.api("POST", base + "/instructions/", body);
      button.disabled = false;
      if (!res.ok) { errors.textContent = casework.errorText(res.data); return; }
      renderInstruction(res.data);
      form.text.value = "";
      unitBox.querySelectorAll("input:checked").forEach((i) => { i.checked = false; });
      scheduleUnits();
    });
  }

  // ---------------------------------------------------------------- arrests and recoveries
  function fillUnitSelects() {
    if (!arrestForm) return;
    const sel = arrestForm.unit, keep = sel.value;
    sel.replaceChildren(el("option", { value: "" }, "—"), ...[...units.values()].map((u) => el("option", { value: String(u.id) }, (u.call_sign || "") + " " + u.name)));
    sel.value = keep;
  }
  function fillAssignmentSelects() {
    [arrestForm, recoveryForm].filter(Boolean).forEach((f) => {
      const sel = f.assignment, keep = sel.value;
      const options = [];
      [...instructions.values()].sort((x, y) => y.data.id - x.data.id).forEach(({ data, assignments }) => {
        assignments.forEach((a) => {
          if (a.status === "cancelled" || a.status === "declined") return;
          options.push(el("option", { value: String(a.id) }, "#" + data.id + " " + (labels.kind[data.kind] || data.kind) + " · " + (a.unit ? a.unit.call_sign : "") + " · " + (labels.status[a.status] || a.status) + (data.drill ? " · " + T.drill : "")));
        });
      });
      sel.replaceChildren(el("option", { value: "" }, "—"), ...options);
      sel.value = keep;
    });
  }
  function renderArrest(r) {
    arrestList.querySelector(".placeholder")?.remove();
    const old = arrestList.querySelector('li[data-arrest="' + r.id + '"]');
    const bits = [el("b", {}, r.name || "#" + r.person), " ", el("time", { datetime: r.arrested_at }, when(r.arrested_at))];
    if (r.drill) bits.push(" ", el("span", { class: "badge drill" }, T.drill));
    const iid = r.assignment ? [...instructions.keys()].find((k) => instructions.get(k).assignments.has(r.assignment)) : null;
    const detail = [r.place, r.unit ? callSign(r.unit) : "", iid ? T.instruction + " #" + iid : ""].filter(Boolean).join(" · ");
    if (detail) bits.push(el("br"), el("small", { class: "muted" }, detail));
    const li = el("li", { "data-arrest": r.id, class: r.drill ? "drill" : null }, ...bits);
    if (old) old.replaceWith(li); else arrestList.append(li);
  }
  function renderRecovery(r) {
    recoveryList.querySelector(".placeholder")?.remove();
    recoveries.set(r.id, r);
    const old = recoveryList.querySelector('li[data-recovery="' + r.id + '"]');
    const bits = [el("b", {}, "¥" + r.value), " ", el("span", {}, r.items)];
    if (r.drill) bits.push(" ", el("span", { class: "badge drill" }, T.drill));
    if (r.recovered_at) bits.push(el("br"), el("small", { class: "muted" }, when(r.recovered_at)));
    const li = el("li", { "data-recovery": r.id, class: r.drill ? "drill" : null }, ...bits);
    if (old) old.replaceWith(li); else recoveryList.append(li);
    const total = [...recoveries.values()].filter((x) => !x.drill).reduce((s, x) => s + Math.round(parseFloat(x.value) * 100), 0);
    document.getElementById("recovered-total").textContent = "¥" + (total / 100).toFixed(2);
  }
  function emptyNote(ul) { ul.querySelector(".placeholder")?.remove(); }
  async function loadRecords() {
    const [a, r] = await Promise.all([casework.api("GET", base + "/arrests/"), casework.api("GET", base + "/recoveries/")]);
    emptyNote(arrestList); emptyNote(recoveryList);
    if (a.ok) a.data.results.forEach(renderArrest);
    if (r.ok) r.data.results.forEach(renderRecovery);
  }
  if (arrestForm) {
    arrestForm.arrested_at.value = localNow();
    arrestForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const errors = document.getElementById("arrest-errors");
      errors.textContent = "";
      const body = { arrested_at: withOffset(arrestForm.arrested_at.value) };
      if (arrestForm.person.value) body.person = Number(arrestForm.person.value);
      ["name", "place"].forEach((k) => { if (arrestForm[k].value.trim()) body[k] = arrestForm[k].value.trim(); });
      if (arrestForm.assignment.value) body.assignment = Number(arrestForm.assignment.value);
      else if (arrestForm.unit.value) body.unit = Number(arrestForm.unit.value);
      const res = await casework.api("POST", base + "/arrests/", body);
      if (!res.ok) { errors.textContent = casework.errorText(res.data); return; }
      renderArrest(res.data);
      arrestForm.reset();
      arrestForm.arrested_at.value = localNow();
    });
  }
  if (recoveryForm) {
    recoveryForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const errors = document.getElementById("recovery-errors");
      errors.textContent = "";
      const body = { items: recoveryForm.items.value.trim(), value: Number(recoveryForm.value.value || 0).toFixed(2) };
      if (recoveryForm.recovered_at.value) body.recovered_at = withOffset(recoveryForm.recovered_at.value);
      if (recoveryForm.assignment.value) body.assignment = Number(recoveryForm.assignment.value);
      const res = await casework.api("POST", base + "/recoveries/", body);
      if (!res.ok) { errors.textContent = casework.errorText(res.data); return; }
      renderRecovery({ recovered_at: body.recovered_at || new Date().toISOString(), ...res.data });
      recoveryForm.reset();
    });
  }

  // ---------------------------------------------------------------- live
  document.addEventListener("casework:event", (ev) => {
    const e = ev.detail;
    if (e.type && e.type.startsWith("assignment.")) {
      const iid = e.instruction_id;
      if (!instructions.has(iid)) { refreshInstruction(iid); scheduleUnits(); return; }
      const a = mergeAssignment(iid, e);
      if (a && e.type === "assignment.escalated") a.escalated = true;
      drawInstruction(iid);
      // the unit moved with its report, or its status changed: redraw it
      const u = e.unit && units.get(e.unit.id);
      const spot = e.positions && e.positions[e.status];
      if (u && spot) { u.position = { lat: spot[0], lon: spot[1], at: (e.times && e.times[e.status]) || new Date().toISOString() }; drawUnit(u); }
      scheduleUnits();
    } else if (e.type === "arrest.recorded") renderArrest(e);
    else if (e.type === "recovery.recorded") renderRecovery(e);
    else if (e.type === "entity.added") addEntity(e);
  });

  const ready = (async () => {
    await initMap();
    await loadUnits();
    await Promise.all([loadInstructions(), loadEntities(base + "/entities/"), loadSuggestions()]);
    await loadRecords();  // arrests name the instruction they were made under
    // instructions may have named targets before the entities arrived
    instructions.forEach((_, iid) => drawInstruction(iid));
  })();
  window.caseworkDispatch = { get map() { return map; }, ready, units, instructions };
})();
