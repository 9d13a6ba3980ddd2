// The leadership dashboard (/dashboard/): every panel is read from the statistics API with
// the user's session, so a panel never shows more than the API lets this user read. One
// set of filters (period, unit or county, category) drives every panel; a change reloads
// them all and is kept in the address (bookmarkable). Charts: Apache ECharts (SVG, so that
// they print sharp); map: Leaflet over the offline district GeoJSON, with the districts
// shaded by how many open cases and sightings fall inside them.
(function () {
  const root = document.getElementById("dashboard");
  if (!root) return;
  const T = JSON.parse(document.getElementById("dashboard-text").textContent);
  const CATEGORY = JSON.parse(document.getElementById("category-labels").textContent);
  const lang = document.documentElement.lang || "zh-hans";
  const en = lang === "en";
  const locale = en ? "en" : "zh-CN";
  const caseFigures = root.dataset.caseFigures === "1";
  const form = document.getElementById("filters");
  const unitSelect = form.elements.namedItem("unit");
  const OPEN_SHOWN = 15;          // open cases listed before "show all"
  const MONTHS_AFTER_DAYS = 92;   // longer periods are charted per month
  const STATUS_RANK = { red: 4, orange: 3, yellow: 2, green: 1, none: 0 };

  // ------------------------------------------------------------------ helpers
  const { el, fill, escapeHtml } = window.casework;   // static/js/dom.js
  const numberFmt = new Intl.NumberFormat(locale);
  const moneyFmt = new Intl.NumberFormat(locale, { style: "currency", currency: "CNY", currencyDisplay: "narrowSymbol", maximumFractionDigits: 0 });
  function int(v) { return v === null || v === undefined ? "—" : numberFmt.format(Number(v)); }
  function pct(v) { return v === null || v === undefined ? "—" : fill(T.percent, { v: Number(v).toFixed(2) }); }
  function cny(v) { return v === null || v === undefined ? "—" : moneyFmt.format(Number(v)); }
  // "13 h 47 min" (as the legend's targets are written, casework.stats.views._duration)
  function dur(sec) {
    if (sec === null || sec === undefined) return "—";
    sec = Math.max(0, Math.round(Number(sec)));
    const h = Math.floor(sec / 3600), m = Math.floor((sec % 3600) / 60), s = sec % 60;
    if (h >= 48) return fill(T.dur_dh, { d: Math.floor(h / 24), h: h % 24 });
    if (h) return fill(m ? T.dur_hm : T.dur_h, { h, m });
    if (m) return fill(s ? T.dur_ms : T.dur_m, { m, s });
    return fill(T.dur_s, { s });
  }
  const SH = { timeZone: "Asia/Shanghai", hour12: false };
  function when(iso) {
    const d = new Date(iso);
    const day = d.toLocaleDateString("sv-SE", SH);  // YYYY-MM-DD
    return day + " " + d.toLocaleTimeString("zh-CN", { ...SH, hour: "2-digit", minute: "2-digit" });
  }
  function unitName(u) { return en ? (u.name_en || u.name) : u.name; }
  // "平和县公安局" → "平和县", "Pinghe County Public Security Bureau" → "Pinghe County"
  function countyName(c) { return c ? unitName(c).replace(/公安(分)?局$/, "").replace(/ Public Security (Sub-)?Bureau$/, "") : ""; }
  function shanghaiToday() { return new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10); }
  function addDays(iso, n) { const d = new Date(iso + "T00:00:00Z"); d.setUTCDate(d.getUTCDate() + n); return d.toISOString().slice(0, 10); }
  function daysBetween(a, b) { return Math.round((new Date(b + "T00:00:00Z") - new Date(a + "T00:00:00Z")) / 86400e3); }
  function panelError(panel, err) {
    const p = panel && panel.querySelector(".error");
    if (!p) return;
    if (err) { p.textContent = fill(T.failed, { error: err.message || String(err) }); p.hidden = false; } else { p.hidden = true; p.textContent = ""; }
  }

  // ------------------------------------------------------------------ filters
  function filters() {
    const out = {};
    ["from", "to", "unit", "category"].forEach((k) => {
      const f = form.elements.namedItem(k);
      if (f && f.value) out[k] = f.value;
    });
    return out;
  }
  // the filters, with `extra` added (an empty value removes a key)
  function query(extra) {
    const p = new URLSearchParams(filters());
    Object.entries(extra || {}).forEach(([k, v]) => { if (v === "" || v === null || v === undefined) p.delete(k); else p.set(k, v); });
    return p.toString();
  }
  function span() { const f = filters(); return f.from && f.to ? daysBetween(f.from, f.to) + 1 : 0; }
  function bucket() { return span() > MONTHS_AFTER_DAYS ? "month" : "day"; }
  function selectedLabel(select) {
    if (!select || !select.value) return "";
    return select.options[select.selectedIndex].textContent.trim();
  }
  function summaryLine() {
    const f = filters();
    const parts = [(f.from || "") + " – " + (f.to || "")];
    parts.push(selectedLabel(unitSelect) || T.all_units);
    const cat = form.elements.namedItem("category");
    if (cat.value) parts.push(selectedLabel(cat));
    document.getElementById("filter-summary").textContent = parts.join(" · ");
  }
  function setPeriod(days) {
    const to = shanghaiToday();
    form.elements.namedItem("to").value = to;
    form.elements.namedItem("from").value = addDays(to, -(days - 1));
  }
  function setUnit(id) {
    if (!unitSelect) return;
    if (id && !Array.from(unitSelect.options).some((o) => o.value === String(id))) return;
    unitSelect.value = id ? String(id) : "";
    reload();
  }
  let pending = null;
  form.addEventListener("change", () => { clearTimeout(pending); pending = setTimeout(reload, 120); });
  form.addEventListener("submit", (e) => { e.preventDefault(); reload(); });
  form.querySelectorAll(".presets button").forEach((b) => b.addEventListener("click", () => { setPeriod(Number(b.dataset.days)); reload(); }));

  async function getJSON(url, signal) {
    const res = await fetch(url, { credentials: "same-origin", signal, headers: { Accept: "application/json", "Accept-Language": lang } });
    let data = null;
    try { data = await res.json(); } catch (e) { data = null; }
    if (!res.ok) {
      const detail = data && (data.detail || Object.entries(data).map(([k, v]) => k + ": " + [].concat(v).join(" ")).join("; "));
      throw new Error(detail || res.status + " " + res.statusText);
    }
    return data;
  }
  function csvLink(id, path, extra) {
    const a = document.getElementById(id);
    if (a) a.href = path + "?" + query({ ...(extra || {}), format: "csv" });
  }

  // ------------------------------------------------------------------ headline figures
  const TILES = {
    cases_opened: (s) => [int(s.cases_opened), fill(T.with_arrests_n, { n: int(s.cases_with_arrests) })],
    case_clearance_rate: (s) => [pct(s.case_clearance_rate), fill(T.of_cases, { part: int(s.cases_with_arrests), whole: int(s.cases_opened) })],
    arrest_rate: (s) => [pct(s.arrest_rate), fill(T.of_suspects, { part: int(s.suspects_arrested), whole: int(s.suspects_identified) })],
    suspects_arrested: (s) => [int(s.suspects_arrested), ""],
    median_time_to_arrest_s: (s) => [dur(s.median_time_to_arrest_s), ""],
    recovery_rate: (s) => [pct(s.recovery_rate), fill(T.of_loss, { loss: cny(s.reported_loss) })],
    recovered_value: (s) => [cny(s.recovered_value), ""],
    capture_rate: (s) => [pct(s.capture_rate), fill(T.of_assignments, { part: int(s.captured), whole: int(s.received) })],
    median_capture_s: (s) => [dur(s.median_capture_s), s.p90_capture_s === null ? "" : fill(T.p90, { t: dur(s.p90_capture_s) })],
    ack_within_deadline_rate: (s) => [pct(s.ack_within_deadline_rate), fill(T.acked_in_time, { part: int(s.acknowledged_in_time), whole: int(s.received) })],
  };
  function drawTiles(s) {
    document.querySelectorAll("#tiles .tile").forEach((tile) => {
      const key = tile.dataset.figure;
      const [value, sub] = TILES[key](s);
      tile.querySelector(".tile-value").textContent = value;
      tile.querySelector(".tile-sub").textContent = sub;
      // the API's own value, for whoever checks the page against the API
      tile.dataset.raw = s[key] === null || s[key] === undefined ? "" : String(s[key]);
    });
    const note = document.getElementById("drills-note");
    const d = s.drills || {};
    note.hidden = !(d.received || d.arrests);
    note.textContent = note.hidden ? "" : fill(T.drills, { received: int(d.received), arrests: int(d.arrests) });
  }
  document.getElementById("tiles").addEventListener("click", (e) => {
    const tile = e.target.closest(".tile");
    if (!tile) return;
    const label = tile.querySelector(".tile-label").textContent;
    if (tile.dataset.drill === "assigned") {
      const unit = (unitSelect && unitSelect.value) || root.dataset.rootUnit;
      openDrill({ which: "", assigned: unit, title: label + " · " + fill(T.drill_assigned, { unit: selectedLabel(unitSelect) || T.all_units }) });
    } else {
      openDrill({ which: tile.dataset.drill === "all" ? "" : tile.dataset.drill, title: label });
    }
  });

  // ------------------------------------------------------------------ charts
  const charts = {};
  function chart(id) {
    if (!window.echarts) throw new Error("ECharts");
    if (!charts[id]) {
      const node = document.getElementById(id);
      charts[id] = echarts.init(node, null, { renderer: "svg", locale: en ? "EN" : "ZH" });
      if (window.ResizeObserver) new ResizeObserver(() => charts[id].resize()).observe(node);
    }
    return charts[id];
  }
  const BLUE = "#1f4e9c", GREEN = "#1a7f37", AMBER = "#dc6803";
  let trendRows = [], trendBucket = "day";
  function drawTrend(rows, b) {
    trendRows = rows; trendBucket = b;
    const c = chart("trend-chart");
    const labels = rows.map((r) => (b === "month" ? r.date.slice(0, 7) : r.date.slice(5)));
    c.setOption({
      animation: false,
      color: [BLUE, GREEN, AMBER],
      tooltip: { trigger: "axis" },
      legend: { top: 0, textStyle: { fontSize: 12 } },
      grid: { left: 8, right: 12, top: 34, bottom: 4, containLabel: true },
      xAxis: { type: "category", data: labels, axisTick: { alignWithLabel: true } },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        ...(caseFigures ? [
          { name: T.cases_opened, type: "bar", data: rows.map((r) => r.cases_opened), barMaxWidth: 18 },
          { name: T.cases_with_arrests, type: "bar", data: rows.map((r) => r.cases_with_arrests), barMaxWidth: 18 },
        ] : []),
        { name: T.captured, type: "line", data: rows.map((r) => r.captured), symbolSize: 5, itemStyle: { color: AMBER }, lineStyle: { color: AMBER } },
      ],
    }, true);
    c.off("click");
    if (caseFigures) c.on("click", (p) => openDrill(periodDrill(trendRows[p.dataIndex])));
  }
  // the cases opened in one bar's day (or month, within the filtered period)
  function periodDrill(row) {
    const f = filters();
    let from = row.date, to = row.date;
    if (trendBucket === "month") {
      const d = new Date(row.date + "T00:00:00Z"); d.setUTCMonth(d.getUTCMonth() + 1);
      to = addDays(d.toISOString().slice(0, 10), -1);
      if (f.from && from < f.from) from = f.from;
      if (f.to && to > f.to) to = f.to;
    }
    return { which: "", from, to, title: fill(T.drill_day, { day: from === to ? from : from + " – " + to }) };
  }

  let countyRows = [];
  function drawCounties(rows) {
    countyRows = rows;
    const node = document.getElementById("county-chart");
    node.style.height = Math.max(240, rows.length * 38 + 64) + "px";
    const c = chart("county-chart");
    c.resize();
    const names = rows.map((r) => countyName(r.county));
    c.setOption({
      animation: false,
      color: [BLUE, GREEN],
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, valueFormatter: (v) => pct(v) },
      legend: { top: 0, textStyle: { fontSize: 12 } },
      grid: { left: 8, right: 44, top: 34, bottom: 4, containLabel: true },
      xAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
      yAxis: { type: "category", data: names, inverse: true, axisTick: { show: false }, triggerEvent: true },
      series: [
        { name: T.clearance_rate, type: "bar", data: rows.map((r) => r.case_clearance_rate), barMaxWidth: 14, label: { show: true, position: "right", fontSize: 11, formatter: (p) => (p.value === null ? "" : Number(p.value).toFixed(1)) } },
        { name: T.arrest_rate, type: "bar", data: rows.map((r) => r.arrest_rate), barMaxWidth: 14, label: { show: true, position: "right", fontSize: 11, formatter: (p) => (p.value === null ? "" : Number(p.value).toFixed(1)) } },
      ],
      graphic: rows.length ? [] : [{ type: "text", left: "center", top: "middle", style: { text: T.no_data, fill: "#667085" } }],
    }, true);
    // a county's row (its bars or the band around them, easier on a phone) or its name:
    // show only that county
    c.off("click");
    c.on("click", (p) => { if (p.componentType === "yAxis") pickCounty(names.indexOf(p.value)); });
    if (!c.__rowClicks) {
      c.__rowClicks = true;
      c.getZr().on("click", (e) => {
        if (!c.containPixel("grid", [e.offsetX, e.offsetY])) return;
        pickCounty(c.convertFromPixel({ seriesIndex: 0 }, [e.offsetX, e.offsetY])[1]);
      });
    }
    const all = document.getElementById("all-counties");
    if (all) all.hidden = !(unitSelect && unitSelect.value);
  }
  function pickCounty(i) { if (countyRows[i]) setUnit(countyRows[i].county.id); }
  const allCounties = document.getElementById("all-counties");
  if (allCounties) allCounties.addEventListener("click", () => setUnit(""));

  // ------------------------------------------------------------------ per-unit table
  const unitTable = document.getElementById("unit-table");
  let unitRows = [];
  const sort = { key: null, desc: false };
  const TEXT_KEYS = new Set(["call_sign", "county"]);
  const API_SORTS = new Set(["received", "captured", "capture_rate", "median_capture_s", "p90_capture_s", "ack_within_deadline_rate", "median_ack_s", "declined"]);
  function sortValue(r, key) {
    if (key === "status") return r.status === "none" ? null : STATUS_RANK[r.status];
    if (key === "call_sign") return r.unit.call_sign || unitName(r.unit);
    if (key === "county") return r.unit.county ? countyName(r.unit.county) : null;
    return r[key];
  }
  function sortedUnits() {
    if (!sort.key) return unitRows;
    const present = unitRows.filter((r) => sortValue(r, sort.key) !== null && sortValue(r, sort.key) !== undefined);
    const absent = unitRows.filter((r) => !present.includes(r));
    present.sort((a, b) => {
      const x = sortValue(a, sort.key), y = sortValue(b, sort.key);
      const c = TEXT_KEYS.has(sort.key) ? String(x).localeCompare(String(y), locale, { numeric: true }) : x - y;
      return sort.desc ? -c : c;
    });
    return present.concat(absent);  // units without the figure last, either way (as the API)
  }
  function dot(status) { return el("span", { class: "dot status-" + status, title: T["status_" + status] || status, "data-status": status }); }
  function drawUnits(rows) {
    if (rows) unitRows = rows;
    const body = unitTable.tBodies[0];
    body.replaceChildren();
    sortedUnits().forEach((r) => {
      const tr = el("tr", { "data-unit": r.unit.id, tabindex: "0", class: "clickable" },
        el("td", {}, dot(r.status)),
        el("td", { class: "unit-cell" }, el("b", { class: "call-sign" }, r.unit.call_sign || ""), " ", el("span", { class: "unit-name" }, unitName(r.unit))),
        el("td", { class: "col-county" }, countyName(r.unit.county)),
        el("td", { class: "num" }, int(r.received)),
        el("td", { class: "num" }, int(r.captured)),
        el("td", { class: "num" }, pct(r.capture_rate)),
        el("td", { class: "num" }, dur(r.median_capture_s)),
        el("td", { class: "num" }, dur(r.p90_capture_s)),
        el("td", { class: "num" }, pct(r.ack_within_deadline_rate)),
        el("td", { class: "num" }, dur(r.median_ack_s)),
        el("td", { class: "num" }, dur(r.median_arrive_s)),
        el("td", { class: "num" }, int(r.declined)));
      body.append(tr);
    });
    if (!unitRows.length) body.append(el("tr", {}, el("td", { colspan: 12, class: "muted" }, T.no_data)));
    unitTable.querySelectorAll("th[data-sort]").forEach((th) => {
      th.setAttribute("aria-sort", th.dataset.sort === sort.key ? (sort.desc ? "descending" : "ascending") : "none");
    });
    csvLink("units-csv", "/api/stats/units/", { ordering: API_SORTS.has(sort.key) ? (sort.desc ? "-" : "") + sort.key : "" });
  }
  unitTable.querySelectorAll("th[data-sort]").forEach((th) => {
    const button = th.querySelector("button");
    button.title = fill(T.sort_hint, { column: button.textContent });
    button.addEventListener("click", () => {
      const key = th.dataset.sort;
      // figures start with the highest, names with A
      if (sort.key === key) sort.desc = !sort.desc; else { sort.key = key; sort.desc = !TEXT_KEYS.has(key); }
      drawUnits();
    });
  });
  function unitDrill(tr) {
    const r = unitRows.find((u) => String(u.unit.id) === tr.dataset.unit);
    if (r) openDrill({ which: "", assigned: r.unit.id, title: fill(T.drill_assigned, { unit: (r.unit.call_sign ? r.unit.call_sign + " " : "") + unitName(r.unit) }) });
  }
  unitTable.tBodies[0].addEventListener("click", (e) => { const tr = e.target.closest("tr[data-unit]"); if (tr) unitDrill(tr); });
  unitTable.tBodies[0].addEventListener("keydown", (e) => {
    const tr = e.target.closest("tr[data-unit]");
    if (tr && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); unitDrill(tr); }
  });

  // ------------------------------------------------------------------ open cases
  let openRows = [], openAll = false;
  function drawOpen(rows) {
    if (rows) { openRows = rows; openAll = false; }
    const table = document.getElementById("open-table");
    const body = table.tBodies[0];
    body.replaceChildren();
    const now = Date.now();
    (openAll ? openRows : openRows.slice(0, OPEN_SHOWN)).forEach((r) => {
      const time = r.time_to_first_arrest_s !== null
        ? fill(T.first_arrest_after, { t: dur(r.time_to_first_arrest_s) })
        : fill(T.since_alarm, { t: dur((now - new Date(r.reported_at).getTime()) / 1000) });
      body.append(el("tr", { "data-case": r.case.id },
        el("td", {}, dot(r.status)),
        el("td", { class: "case-cell" }, el("a", { href: r.case.url }, r.case.number), el("div", { class: "muted small" }, r.case.title)),
        el("td", { class: "nowrap" }, when(r.reported_at)),
        el("td", {}, time),
        el("td", { class: "num" }, int(r.suspects_arrested) + " / " + int(r.suspects_identified))));
    });
    if (!openRows.length) body.append(el("tr", {}, el("td", { colspan: 5, class: "muted" }, T.no_data)));
    document.getElementById("open-count").textContent = openRows.length ? "(" + int(openRows.length) + ")" : "";
    const more = document.getElementById("open-more");
    more.hidden = openRows.length <= OPEN_SHOWN;
    more.textContent = openAll ? T.show_fewer : fill(T.show_all, { n: int(openRows.length) });
  }
  const openMore = document.getElementById("open-more");
  if (openMore) openMore.addEventListener("click", () => { openAll = !openAll; drawOpen(); });

  // ------------------------------------------------------------------ map
  const mapEl = document.getElementById("dash-map");
  const STATUS_COLOUR = { green: "#1a7f37", yellow: "#eab308", orange: "#ea580c", red: "#b42318", none: "#98a2b3" };
  const DENSITY = ["#f4f6fb", "#d6e0f5", "#a9bfe9", "#6f93d6", "#3461b8"];
  let map = null, geo = null, districtLayer = null, pointLayer = null;
  // ring contains (lon, lat)? GeoJSON rings are [lon, lat]
  function inRing(lon, lat, ring) {
    let inside = false;
    for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      const [xi, yi] = ring[i], [xj, yj] = ring[j];
      if ((yi > lat) !== (yj > lat) && lon < ((xj - xi) * (lat - yi)) / (yj - yi) + xi) inside = !inside;
    }
    return inside;
  }
  // each feature's bounding box, once: most points are far from most districts
  const boxes = new WeakMap();
  function bbox(f) {
    let b = boxes.get(f);
    if (!b) {
      b = [Infinity, Infinity, -Infinity, -Infinity];
      const g = f.geometry;
      const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
      polygons.forEach((rings) => rings[0].forEach(([x, y]) => {
        b[0] = Math.min(b[0], x); b[1] = Math.min(b[1], y); b[2] = Math.max(b[2], x); b[3] = Math.max(b[3], y);
      }));
      boxes.set(f, b);
    }
    return b;
  }
  function inFeature(lon, lat, f) {
    const b = bbox(f);
    if (lon < b[0] || lon > b[2] || lat < b[1] || lat > b[3]) return false;
    const g = f.geometry;
    const polygons = g.type === "Polygon" ? [g.coordinates] : g.type === "MultiPolygon" ? g.coordinates : [];
    // inside the outer ring and outside every hole
    return polygons.some((rings) => inRing(lon, lat, rings[0]) && !rings.slice(1).some((h) => inRing(lon, lat, h)));
  }
  const mapReady = (async function initMap() {
    if (!window.L) throw new Error("Leaflet");
    // no wheel zoom: scrolling the page over the map must not zoom it (buttons and pinch do)
    map = L.map(mapEl, { minZoom: 7, maxZoom: 18, zoomSnap: 0.5, scrollWheelZoom: false });
    map.attributionControl.setPrefix("Leaflet");
    map.setView([24.35, 117.4], 9);
    const tileUrl = root.dataset.tileUrl;
    if (tileUrl) L.tileLayer(tileUrl, { maxZoom: 18 }).addTo(map);
    map.createPane("districts").style.zIndex = 350;  // under the markers, over the tiles
    map.createPane("district-labels").style.zIndex = 360;  // over the shading
    const res = await fetch(root.dataset.geojson, { credentials: "same-origin" });
    geo = await res.json();
    districtLayer = L.geoJSON(geo, {
      pane: "districts",
      style: (f) => (f.properties.level === "county"
        ? { color: "#1f4e9c", weight: 1.5, fillColor: DENSITY[0], fillOpacity: tileUrl ? 0.55 : 0.9, className: "district county" }
        : { color: "#7d8aa3", weight: 1, dashArray: "4 3", fill: false, className: "district town" }),
    }).addTo(map);
    districtLayer.eachLayer((layer) => {
      const p = layer.feature.properties;
      if (p.level !== "county") return;
      L.tooltip({ permanent: true, direction: "center", className: "district-label", interactive: false, pane: "district-labels" })
        .setLatLng(p.label_at ? [p.label_at[1], p.label_at[0]] : layer.getBounds().getCenter())
        .setContent(escapeHtml(en ? p.name_en : p.name)).addTo(map);
    });
    pointLayer = L.layerGroup().addTo(map);
    map.fitBounds(districtLayer.getBounds(), { padding: [8, 8], animate: false });
    const zoomClass = () => mapEl.classList.toggle("zoom-near", map.getZoom() >= 11);
    map.on("zoomend", zoomClass); zoomClass();
  })();
  async function drawMap(data) {
    await mapReady;
    pointLayer.clearLayers();
    // density: open cases and sightings per district polygon (point in polygon, here)
    const counts = new Map();
    const points = data.cases.map((c) => [c.lon, c.lat]).concat(data.sightings.map((s) => [s.lon, s.lat]));
    geo.features.forEach((f) => counts.set(f, 0));
    points.forEach(([lon, lat]) => geo.features.forEach((f) => { if (inFeature(lon, lat, f)) counts.set(f, counts.get(f) + 1); }));
    const countyCounts = geo.features.filter((f) => f.properties.level === "county").map((f) => counts.get(f));
    const max = Math.max(0, ...countyCounts);
    const shade = (n) => (n === 0 || max === 0 ? 0 : 1 + Math.min(3, Math.floor((4 * (n - 1)) / max)));
    districtLayer.eachLayer((layer) => {
      const f = layer.feature, n = counts.get(f);
      layer.feature.properties.count = n;
      if (f.properties.level === "county") layer.setStyle({ fillColor: DENSITY[shade(n)] });
      const path = layer.getElement && layer.getElement();
      if (path) path.setAttribute("data-count", n);
      layer.bindTooltip(escapeHtml(en ? f.properties.name_en : f.properties.name) + "<br>" + escapeHtml(fill(T.count_in, { n })), { sticky: true });
    });
    drawRamp(max);
    data.sightings.forEach((s) => {
      L.circleMarker([s.lat, s.lon], { radius: 3, weight: 0, fillColor: "#7a5af8", fillOpacity: 0.85, className: "sighting-marker" })
        .bindTooltip(escapeHtml(T.sighting + " · " + when(s.seen_at) + (s.place ? " · " + s.place : ""))).addTo(pointLayer);
    });
    data.units.forEach((u) => {
      L.circleMarker([u.lat, u.lon], { radius: 5, weight: 2, color: "#14305f", fillColor: "#fff", fillOpacity: 1, className: "unit-marker" })
        .bindTooltip(escapeHtml(u.call_sign), { permanent: true, direction: "right", offset: [5, 0], className: "unit-label" })
        .bindPopup("<b>" + escapeHtml(T.unit_pin + " " + u.call_sign) + "</b>" + (u.position_at ? "<br>" + escapeHtml(fill(T.position_at, { t: when(u.position_at) })) : ""))
        .addTo(pointLayer);
    });
    data.cases.forEach((c) => {
      L.circleMarker([c.lat, c.lon], { radius: 8, weight: 2, color: "#fff", fillColor: STATUS_COLOUR[c.status] || STATUS_COLOUR.none, fillOpacity: 1, className: "case-marker status-" + c.status })
        .bindPopup("<a href=\"/cases/" + encodeURIComponent(c.id) + "/\">" + escapeHtml(c.number) + "</a><br>" + escapeHtml(c.title) + "<br>" + escapeHtml(T["status_" + c.status] || c.status))
        .addTo(pointLayer);
    });
    const marks = data.cases.concat(data.units);
    view = marks.length ? { bounds: L.latLngBounds(marks.map((m) => [m.lat, m.lon])).pad(0.25), maxZoom: 10 }
      : { bounds: districtLayer.getBounds(), maxZoom: 18 };
    fitView();
  }
  // what the map shows: the markers (or every district), also after a resize for printing
  let view = null;
  function fitView() {
    if (!map || !view) return;
    map.invalidateSize({ animate: false });
    map.fitBounds(view.bounds, { maxZoom: view.maxZoom, padding: [8, 8], animate: false });
  }
  function drawRamp(max) {
    const ramp = document.getElementById("density-ramp");
    ramp.replaceChildren(...DENSITY.map((c, i) => el("span", { class: "ramp-step", style: "background:" + c, title: i === 0 ? "0" : "" })), el("span", { class: "ramp-max" }, "0 – " + int(max)));
  }

  // ------------------------------------------------------------------ drill-down
  const dialog = document.getElementById("drill");
  let drill = null, drillController = null;
  function openDrill(ctx) {
    drill = ctx;
    if (!dialog.open) dialog.showModal();
    loadDrill();
  }
  function drillQuery() {
    const extra = { which: drill.which || "", limit: 200 };
    // a unit's cases are those it had instructions in, whichever unit owns them
    if (drill.assigned) { extra.assigned_unit = drill.assigned; extra.unit = ""; }
    if (drill.from) { extra.from = drill.from; extra.to = drill.to; }
    return query(extra);
  }
  async function loadDrill() {
    if (drillController) drillController.abort();
    drillController = new AbortController();
    const q = drillQuery();
    document.getElementById("drill-title").textContent = drill.title;
    dialog.querySelectorAll(".drill-tabs button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.which === (drill.which || ""))));
    const count = document.getElementById("drill-count");
    const body = document.getElementById("drill-table").tBodies[0];
    count.textContent = T.loading;
    dialog.dataset.state = "loading";
    document.getElementById("drill-csv").href = "/api/stats/cases/?" + q.replace(/(^|&)limit=\d+/, "$1limit=1000") + "&format=csv";
    try {
      const data = await getJSON("/api/stats/cases/?" + q, drillController.signal);
      body.replaceChildren(...data.results.map((r) => el("tr", { "data-case": r.case.id },
        el("td", { class: "case-cell" }, el("a", { href: r.case.url, class: "case-number" }, r.case.number), el("div", { class: "muted small" }, r.case.title)),
        el("td", {}, CATEGORY[r.category] || r.category),
        el("td", { class: "nowrap" }, when(r.reported_at)),
        el("td", { class: "num" }, int(r.suspects_arrested) + " / " + int(r.suspects_identified)),
        el("td", {}, dur(r.time_to_first_arrest_s)),
        el("td", { class: "num" }, cny(r.reported_loss)),
        el("td", { class: "num" }, cny(r.recovered_value)),
        el("td", {}, el("span", { class: "badge " + (r.open ? "open" : "closed") }, r.open ? T.open_status : T.closed_status)))));
      count.textContent = data.count === 0 ? T.drill_none
        : data.count > data.results.length ? fill(T.drill_shown, { count: int(data.count), shown: int(data.results.length) })
          : fill(T.drill_count, { count: int(data.count) });
      dialog.dataset.state = "ready";
    } catch (err) {
      if (err.name === "AbortError") return;
      body.replaceChildren();
      count.textContent = fill(T.failed, { error: err.message });
      dialog.dataset.state = "error";
    }
  }
  dialog.querySelectorAll(".drill-tabs button").forEach((b) => b.addEventListener("click", () => { drill.which = b.dataset.which; loadDrill(); }));
  document.getElementById("drill-close").addEventListener("click", () => dialog.close());
  dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });  // the backdrop

  // ------------------------------------------------------------------ loading
  let controller = null, loads = 0;
  function syncAddress() {
    const url = new URL(window.location.href);
    url.search = query();
    window.history.replaceState(null, "", url);
    // switching the language keeps the filters
    document.querySelectorAll("form.lang input[name=next]").forEach((i) => { i.value = url.pathname + url.search; });
  }
  async function reload() {
    const f = filters();
    if (f.from && f.to && f.from > f.to) {  // a reversed period: take it the right way round
      form.elements.namedItem("from").value = f.to; form.elements.namedItem("to").value = f.from;
    }
    if (controller) controller.abort();
    controller = new AbortController();
    const signal = controller.signal;
    root.dataset.state = "loading";
    syncAddress();
    summaryLine();
    const b = bucket();
    csvLink("trend-csv", "/api/stats/trend/", { bucket: b });
    csvLink("county-csv", "/api/stats/breakdown/", { by: "county" });
    csvLink("open-csv", "/api/stats/open-cases/");
    csvLink("summary-csv", "/api/stats/summary/");
    const job = (panelId, url, draw) => getJSON(url, signal).then((d) => { if (!signal.aborted) { panelError(document.getElementById(panelId)); return draw(d); } })
      .catch((err) => { if (err.name !== "AbortError" && !signal.aborted) panelError(document.getElementById(panelId), err); throw err; });
    const jobs = [
      job("tiles", "/api/stats/summary/?" + query(), drawTiles),
      job("trend-panel", "/api/stats/trend/?" + query({ bucket: b }), (d) => drawTrend(d.results, b)),
      job("units-panel", "/api/stats/units/?" + query(), (d) => drawUnits(d.results)),
      job("map-panel", "/api/stats/map/?" + query(), drawMap),
    ];
    if (caseFigures) {
      jobs.push(job("county-panel", "/api/stats/breakdown/?" + query({ by: "county" }), (d) => drawCounties(d.results)));
      jobs.push(job("open-panel", "/api/stats/open-cases/?" + query(), (d) => drawOpen(d.results)));
    }
    const results = await Promise.allSettled(jobs);
    if (signal.aborted) return;
    loads += 1;
    root.dataset.loads = String(loads);
    root.dataset.state = results.some((r) => r.status === "rejected") ? "error" : "ready";
  }

  // ------------------------------------------------------------------ printing
  // Charts and the map are drawn for the width they have; the print layout (A4 landscape,
  // dashboard.css) is narrower or wider, so they are redrawn for it before printing and
  // back after. `printing` applies that layout on screen for the time of the measurement.
  function fitAll() {
    Object.values(charts).forEach((c) => c.resize());
    fitView();
  }
  function preparePrint() {
    if (document.body.classList.contains("printing")) return;
    document.body.classList.add("printing");
    fitAll();
  }
  function endPrint() {
    if (!document.body.classList.contains("printing")) return;
    document.body.classList.remove("printing");
    fitAll();
  }
  window.addEventListener("beforeprint", preparePrint);
  window.addEventListener("afterprint", endPrint);
  const printMedia = window.matchMedia("print");
  printMedia.addEventListener("change", (e) => (e.matches ? preparePrint() : endPrint()));
  document.getElementById("print").addEventListener("click", () => { preparePrint(); window.print(); });

  window.caseworkDashboard = { charts, get map() { return map; }, reload, openDrill, preparePrint, endPrint };
  reload();
})();
