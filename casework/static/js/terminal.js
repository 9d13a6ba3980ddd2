// The patrol terminal (/terminal/, dispatch/terminal.html): log in once with an API token
// (kept in localStorage; a 401 anywhere clears it), receive the unit's instructions live
// over /ws/units/<id>/ (a fresh ticket per connection, reconnect with backoff, `resume`
// after the last event id seen), acknowledge and report each step with the position, and
// keep whatever is done offline in a queue that is sent, in order, when the network is back.
(function () {
  "use strict";
  const root = document.getElementById("terminal");
  if (!root) return;
  const L = JSON.parse(document.getElementById("terminal-labels").textContent);
  const T = L.text;
  const LANG = document.documentElement.lang || "zh-hans";
  const $ = (id) => document.getElementById(id);
  const conn = $("conn"), queueBadge = $("queue"), loginBox = $("login"), app = $("app");
  const cardsBox = $("assignments"), empty = $("empty"), notice = $("notice");
  const baseTitle = document.title;

  const KEY = { token: "casework.terminal.token", me: "casework.terminal.me",
                queue: "casework.terminal.queue", last: "casework.terminal.lastEvent.",
                cards: "casework.terminal.assignments." };
  const OPEN = new Set(["sent", "delivered", "acknowledged", "en_route", "on_scene"]);
  const UNACKED = new Set(["sent", "delivered"]);
  // the state machine only moves forward: a replayed event never undoes a fresher answer
  const RANK = { sent: 0, delivered: 1, acknowledged: 2, en_route: 3, on_scene: 4,
                 completed: 5, declined: 5, cancelled: 5 };
  const PRIORITY_ORDER = { urgent: 0, high: 1, normal: 2, low: 3 };

  function load(key, fallback) {
    try { const v = localStorage.getItem(key); return v === null ? fallback : JSON.parse(v); }
    catch (e) { return fallback; }
  }
  function save(key, value) { localStorage.setItem(key, JSON.stringify(value)); }  // may throw (quota)
  function drop(key) { localStorage.removeItem(key); }

  let token = load(KEY.token, null);
  let me = load(KEY.me, null);
  let queue = load(KEY.queue, []);
  const assignments = new Map();   // assignment id → its latest known state (events.for_terminal)
  let socket = null, connectSeq = 0, retry = 0, reconnectTimer = null;
  let pingTimer = null, pongTimer = null, resuming = false;
  const resumed = new Set();       // assignments first heard of during a resume
  let flushing = false, flushTimer = null, flushRetry = 0;
  let positionTimer = null, tickTimer = null, watchId = null, lastPos = null, reported = false;
  let noticeTimer = null;

  // ---- helpers -------------------------------------------------------------------------
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === null || v === undefined || v === false) return;
      if (k === "class") n.className = v; else n.setAttribute(k, v === true ? "" : v);
    });
    children.flat().forEach((c) => { if (c !== null && c !== undefined && c !== false) n.append(c); });
    return n;
  }
  function fmt(text, values) {
    return text.replace(/%\((\w+)\)s/g, (_, k) => (values[k] === undefined ? "" : values[k]));
  }
  function errorText(data) {
    if (!data) return "";
    if (typeof data === "string") return data;
    if (data.detail) return data.detail;
    return Object.entries(data).map(([k, v]) => k + ": " + (Array.isArray(v) ? v.join(" ") : v)).join("\n");
  }
  function clock(iso) {
    return iso ? new Date(iso).toLocaleString(LANG.startsWith("zh") ? "zh-CN" : "en-GB", {
      timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit",
      minute: "2-digit", hour12: false }) : "";
  }
  function mmss(ms) {
    const s = Math.floor(Math.abs(ms) / 1000);
    const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    const two = (x) => String(x).padStart(2, "0");
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(r);
  }
  function showNotice(text) {
    if (!text) { notice.hidden = true; return; }
    notice.textContent = text;
    notice.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { notice.hidden = true; }, 20000);
  }

  // ---- HTTP ------------------------------------------------------------------------------
  // Token auth only: no cookies go along, so a browser session never stands in for the token.
  async function call(method, url, body, opts) {
    opts = opts || {};
    const headers = { "Accept": "application/json", "Accept-Language": LANG };
    if (token && !opts.anonymous) headers.Authorization = "Token " + token;
    if (opts.key) headers["Idempotency-Key"] = opts.key;
    const init = { method, headers, credentials: "omit", cache: "no-store" };
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) { init.body = JSON.stringify(body); headers["Content-Type"] = "application/json"; }
    let res;
    try { res = await fetch(url, init); }
    catch (e) { return { ok: false, status: 0, network: true, data: null }; }
    let data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch (e) { data = null; } }
    if (res.status === 401 && !opts.anonymous && token) signedOut(T.session_ended);
    return { ok: res.ok, status: res.status, data };
  }

  // ---- connection indicator and queue badge ------------------------------------------------
  function setConn(state) {
    conn.dataset.state = state;
    conn.textContent = T[state];
  }
  function renderQueue() {
    const n = queue.length;
    queueBadge.hidden = n === 0;
    queueBadge.dataset.count = String(n);
    queueBadge.textContent = n === 1 ? T.waiting_one : fmt(T.waiting_many, { n });
  }

  // ---- assignments -------------------------------------------------------------------------
  function strip(e) {
    const a = Object.assign({}, e);
    ["type", "event_id", "unit_id", "resent"].forEach((k) => delete a[k]);
    return a;
  }
  function merge(a) {
    const old = assignments.get(a.id);
    if (old && RANK[old.status] > RANK[a.status]) {
      if (a.escalated) old.escalated = true;
      return old;
    }
    const merged = old ? Object.assign({}, old, a, { escalated: !!(a.escalated || old.escalated) }) : a;
    assignments.set(a.id, merged);
    return merged;
  }
  function pendingFor(id) { return queue.filter((q) => q.assignment === id); }
  function pendingStatus(id) {
    const steps = pendingFor(id).filter((q) => q.kind === "status" && q.body.status !== "delivered");
    return steps.length ? steps[steps.length - 1].body.status : null;
  }
  function shownStatus(a) {
    const pending = pendingStatus(a.id);
    return pending && RANK[pending] >= RANK[a.status] ? pending : a.status;
  }

  function targetText(target) {
    // a person known by no ID number has a random local key: nothing an officer can use
    const kind = L.entity_kind[target.kind] || target.kind;
    const name = target.label || (String(target.key || "").startsWith("local:") ? "" : target.key);
    return name ? kind + " " + name : kind;
  }
  function badge(cls, text) { return el("span", { class: "badge " + cls }, text); }

  function actionsFor(a, shown) {
    const id = a.id;
    if (UNACKED.has(shown)) {
      return [
        el("button", { type: "button", class: "t-ack t-big", "data-id": id }, T.acknowledge),
        el("button", { type: "button", class: "t-decline-open", "data-id": id }, T.decline),
      ];
    }
    if (shown === "acknowledged") return [el("button", { type: "button", class: "t-step t-big", "data-to": "en_route", "data-id": id }, T.step_en_route)];
    if (shown === "en_route") return [el("button", { type: "button", class: "t-step t-big", "data-to": "on_scene", "data-id": id }, T.step_on_scene)];
    if (shown === "on_scene") {
      const form = $("result-tpl").content.firstElementChild.cloneNode(true);
      form.dataset.id = id;
      if (a.target && a.target.kind === "person") {
        form.querySelector(".t-target-pick").hidden = false;
        form.querySelector(".t-target-key").textContent = targetText(a.target);
      }
      return [form];
    }
    return [el("button", { type: "button", class: "t-dismiss", "data-id": id }, T.dismiss)];
  }

  function buildCard(a, shown) {
    const pending = pendingFor(a.id).filter((q) => !(q.kind === "status" && q.body.status === "delivered"));
    const ended = !OPEN.has(shown);
    const stateText = (L.status[shown] || shown) + (a.result && shown === "completed" ? " · " + (L.result[a.result] || a.result) : "");
    const facts = [];
    if (a.target) facts.push(el("dt", {}, T.target), el("dd", { class: "t-target" }, targetText(a.target)));
    if (a.place || a.lat !== null && a.lat !== undefined) {
      const where = [a.place || ""];
      if (a.lat !== null && a.lat !== undefined) {
        where.push(" ", el("a", { class: "t-map", href: "geo:" + a.lat + "," + a.lon + (a.place ? "?q=" + a.lat + "," + a.lon + "(" + encodeURIComponent(a.place) + ")" : "") }, T.map));
      }
      facts.push(el("dt", {}, T.place), el("dd", {}, where));
    }
    facts.push(el("dt", {}, T.case), el("dd", {}, a.case_number || ""));
    facts.push(el("dt", {}, T.issued_by), el("dd", {}, ((a.issued_by && a.issued_by.display_name) || "") + " · " + clock(a.issued_at)));
    const card = el("article", {
        class: ["t-card", "prio-" + a.priority, a.drill ? "drill" : "", a.escalated ? "escalated" : "", ended ? "ended" : ""].join(" ").trim(),
        "data-assignment": a.id, "data-status": shown, "data-server-status": a.status,
        "data-pending": pending.length ? String(pending.length) : null },
      el("div", { class: "t-card-head" },
        el("span", { class: "t-prio" }, L.priority[a.priority] || a.priority),
        el("span", { class: "t-kind" }, L.kind[a.kind] || a.kind),
        a.drill ? badge("t-drill", T.drill) : null,
        a.escalated ? badge("t-escalated", T.escalated) : null,
        el("span", { class: "t-state", "data-status": shown }, stateText)),
      el("p", { class: "t-text" }, a.text || ""),
      el("dl", { class: "t-facts" }, facts),
      UNACKED.has(shown) ? el("p", { class: "t-countdown", "data-deadline": a.ack_deadline_at || "" }) : null,
      a.reason && shown === "declined" ? el("p", { class: "muted" }, a.reason) : null,
      pending.length ? el("p", { class: "t-pending" }, T.pending + " (" + pending.length + ")") : null,
      el("div", { class: "t-actions" }, actionsFor(a, shown)));
    return card;
  }

  function sortKey(card) {
    const a = assignments.get(Number(card.dataset.assignment));
    if (!a) return [9, 9, 0];
    const shown = card.dataset.status;
    const group = UNACKED.has(shown) ? 0 : OPEN.has(shown) ? 1 : 2;
    return [group, PRIORITY_ORDER[a.priority] === undefined ? 5 : PRIORITY_ORDER[a.priority], -a.id];
  }
  function sortCards() {
    const cards = Array.from(cardsBox.children);
    const keyed = cards.map((c) => [sortKey(c), c]);
    keyed.sort((x, y) => x[0][0] - y[0][0] || x[0][1] - y[0][1] || x[0][2] - y[0][2]);
    keyed.forEach(([, c], i) => { if (cardsBox.children[i] !== c) cardsBox.insertBefore(c, cardsBox.children[i] || null); });
  }
  function render(id) {
    const a = assignments.get(id);
    const old = cardsBox.querySelector('article[data-assignment="' + id + '"]');
    if (!a) { if (old) old.remove(); afterRender(); return; }
    const shown = shownStatus(a);
    // rebuild only when something shown changed: a half-filled result form survives events
    const sig = JSON.stringify([shown, a.status, a.escalated, pendingFor(a.id).length, a.result, a.reason, a.text, a.place]);
    if (old && old.dataset.sig === sig) return;
    const card = buildCard(a, shown);
    card.dataset.sig = sig;
    if (old) old.replaceWith(card); else cardsBox.append(card);
    sortCards();
    tick();
    afterRender();
  }
  function renderAll() { assignments.forEach((a) => render(a.id)); afterRender(); }
  // The cards are kept on the device too, so that a reload without network (the page
  // comes from the service worker) still shows them with their waiting actions. Saved at
  // once, not later: a reload may come right after the tap (a unit holds a few cards).
  function keepCards() {
    if (!me) return;
    const open = Array.from(assignments.values()).filter((a) => OPEN.has(a.status) || pendingFor(a.id).length);
    try { save(KEY.cards + me.unit.id, open); } catch (e) { /* full: the queue matters more */ }
  }
  function afterRender() {
    keepCards();
    empty.hidden = cardsBox.children.length > 0;
    const waiting = Array.from(assignments.values()).filter((a) => UNACKED.has(shownStatus(a))).length;
    document.title = (waiting ? "(" + waiting + ") " : "") + baseTitle;
  }
  function tick() {
    const now = Date.now();
    cardsBox.querySelectorAll(".t-countdown").forEach((p) => {
      const due = Date.parse(p.dataset.deadline);
      if (isNaN(due)) return;
      const left = due - now;
      p.classList.toggle("overdue", left < 0);
      p.textContent = (left >= 0 ? T.deadline : T.overdue) + " " + mmss(left);
    });
  }

  // ---- alerts: sound and vibration ---------------------------------------------------------
  let audio = null;
  function unlockAudio() {
    // browsers let a page make sound only after a tap: the first one creates the context
    try {
      const AC = window.AudioContext || window.webkitAudioContext;
      if (!audio && AC) audio = new AC();
      if (audio && audio.state === "suspended") audio.resume();
    } catch (e) { audio = null; }
  }
  function beep(times) {
    if (!audio) return;
    try {
      const t0 = audio.currentTime + 0.02;
      for (let i = 0; i < times; i++) {
        const t = t0 + i * 0.28, osc = audio.createOscillator(), gain = audio.createGain();
        osc.type = "square";
        osc.frequency.value = i % 2 ? 660 : 880;
        gain.gain.setValueAtTime(0.0001, t);
        gain.gain.exponentialRampToValueAtTime(0.25, t + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.2);
        osc.connect(gain).connect(audio.destination);
        osc.start(t);
        osc.stop(t + 0.22);
      }
    } catch (e) { /* no sound on this device */ }
  }
  function alertNew(a) {
    beep(a.priority === "urgent" || a.priority === "high" ? 4 : 2);
    try { if (navigator.vibrate) navigator.vibrate([300, 120, 300, 120, 300]); } catch (e) { /* not allowed */ }
    const card = cardsBox.querySelector('article[data-assignment="' + a.id + '"]');
    if (card) { card.classList.remove("flash"); void card.offsetWidth; card.classList.add("flash"); }
  }
  function arrived(a, resent) {
    // a new (or re-sent) instruction the unit has not acknowledged yet
    if (!UNACKED.has(shownStatus(a))) return;
    alertNew(a);
    if (resent) showNotice(T.resent + ": " + (L.kind[a.kind] || a.kind) + " · " + (a.text || ""));
    if (a.status === "sent" && !pendingFor(a.id).some((q) => q.kind === "status")) {
      // tell the room the terminal has it (`delivered` is optional in the state machine)
      enqueue([{ kind: "status", assignment: a.id, instruction: a.instruction_id, body: { status: "delivered" } }]);
    }
  }

  // ---- the unit's WebSocket ----------------------------------------------------------------
  function lastEvent() { return me ? load(KEY.last + me.unit.id, null) : null; }
  function setLastEvent(n) { if (me) save(KEY.last + me.unit.id, n); }

  function handle(e) {
    switch (e.type) {
      case "pong": clearTimeout(pongTimer); pongTimer = null; return;
      case "resume.done": {
        resuming = false;
        setConn("online");
        const fresh = Array.from(resumed);
        resumed.clear();
        fresh.forEach((id) => { const a = assignments.get(id); if (a) arrived(a, false); });
        return;
      }
      case "error": return;
    }
    if (typeof e.event_id === "number") setLastEvent(Math.max(lastEvent() || 0, e.event_id));
    if (!["instruction.sent", "assignment.updated", "assignment.cancelled"].includes(e.type)) return;
    const known = assignments.has(e.id);
    // an assignment heard of only once it has ended (another terminal of the unit saw it
    // through) is nothing to show
    if (!known && !OPEN.has(e.status)) return;
    const a = merge(strip(e));
    render(a.id);
    if (e.type === "instruction.sent" && (!known || e.resent)) {
      if (resuming) resumed.add(a.id); else arrived(a, !!e.resent);
    }
  }

  function dropSocket() {
    if (socket) {
      const s = socket;
      socket = null;
      s.onopen = s.onmessage = s.onclose = s.onerror = null;
      try { s.close(); } catch (e) { /* already closed */ }
    }
    clearInterval(pingTimer); pingTimer = null;
    clearTimeout(pongTimer); pongTimer = null;
    resuming = false;
  }
  function scheduleReconnect() {
    if (reconnectTimer || !token) return;
    retry = Math.min(retry + 1, 6);
    const delay = Math.min(30000, 500 * 2 ** retry) * (0.75 + Math.random() / 2);
    reconnectTimer = setTimeout(() => { reconnectTimer = null; connect(); }, delay);
  }
  function lost() {
    dropSocket();
    setConn("offline");
    scheduleReconnect();
  }
  async function connect() {
    clearTimeout(reconnectTimer); reconnectTimer = null;
    if (!token || !me) return;
    dropSocket();
    const mine = ++connectSeq;
    if (navigator.onLine === false) { setConn("offline"); return; }  // "online" reconnects
    setConn("connecting");
    // a fresh single-use ticket for each handshake: the API token never goes in a URL
    const r = await call("POST", "/api/auth/ws-ticket/");
    if (mine !== connectSeq || !token) return;
    if (!r.ok) { setConn("offline"); scheduleReconnect(); return; }
    const proto = location.protocol === "https:" ? "wss://" : "ws://";
    const ws = new WebSocket(proto + location.host + "/ws/units/" + me.unit.id + "/?ticket=" + encodeURIComponent(r.data.ticket));
    let opened = false;
    socket = ws;
    ws.onopen = () => {
      opened = true;
      retry = 0;
      resuming = true;
      ws.send(JSON.stringify({ type: "resume", after: lastEvent() || 0 }));
      // a socket can die without a close (a tunnel, a sleeping radio): ping, expect a pong
      pingTimer = setInterval(() => {
        if (socket !== ws || pongTimer) return;
        try { ws.send(JSON.stringify({ type: "ping" })); } catch (e) { lost(); return; }
        pongTimer = setTimeout(() => { pongTimer = null; if (socket === ws) lost(); }, 10000);
      }, 25000);
      flush();
    };
    ws.onmessage = (m) => {
      let e;
      try { e = JSON.parse(m.data); } catch (err) { return; }
      handle(e);
    };
    ws.onclose = (ev) => {
      socket = null;
      dropSocket();
      setConn("offline");
      // refused at the handshake: is the token still good? (a 401 shows the log-in)
      if (!opened || ev.code === 4403) loadAll();
      scheduleReconnect();
    };
  }

  // ---- the queue of actions ----------------------------------------------------------------
  function saveQueue() { save(KEY.queue, queue); }
  function enqueue(items) {
    const user = me.username;
    items.forEach((item, i) => { item.qid = Date.now() + "-" + i + "-" + Math.random().toString(36).slice(2, 8); item.user = user; item.at = new Date().toISOString(); });
    queue.push(...items);
    try { saveQueue(); }
    catch (e) { queue.splice(queue.length - items.length, items.length); throw e; }
    renderQueue();
    new Set(items.map((i) => i.assignment)).forEach((id) => render(id));
    flush();
  }
  function dataUrlToBlob(url) {
    const comma = url.indexOf(",");
    const type = (url.slice(0, comma).match(/^data:([^;,]+)/) || [])[1] || "application/octet-stream";
    const bin = atob(url.slice(comma + 1));
    const bytes = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
    return new Blob([bytes], { type });
  }
  function send(item) {
    const id = item.assignment, b = item.body;
    switch (item.kind) {
      case "status":
        if (b.status === "acknowledged") {
          const pos = b.lat === undefined ? {} : { lat: b.lat, lon: b.lon };
          return call("POST", "/api/assignments/" + id + "/ack/", pos);
        }
        return call("POST", "/api/assignments/" + id + "/status/", b);
      // the item's queue id is its Idempotency-Key: a replay after a lost answer (the
      // server recorded it, the phone never heard) gets the first record, not a second
      case "arrest": return call("POST", "/api/cases/" + item.case_id + "/arrests/", b, { key: item.qid });
      case "recovery": return call("POST", "/api/cases/" + item.case_id + "/recoveries/", b, { key: item.qid });
      case "photo": {
        const form = new FormData();
        form.append("file", dataUrlToBlob(b.data), b.name || "photo.jpg");
        if (b.description) form.append("description", b.description);
        if (b.lat !== undefined) { form.append("lat", b.lat); form.append("lon", b.lon); }
        return call("POST", "/api/assignments/" + id + "/photos/", form, { key: item.qid });
      }
    }
    return Promise.resolve({ ok: false, status: 400, data: null });
  }
  async function flush() {
    clearTimeout(flushTimer); flushTimer = null;
    if (flushing || !token || !me) return;
    // the device says it has no network: nothing is tried and no retry backs off; the
    // "online" event flushes the queue
    if (navigator.onLine === false) return;
    flushing = true;
    try {
      while (queue.length && token) {
        const item = queue[0];
        if (item.user !== me.username) { queue.shift(); saveQueue(); continue; }  // someone else's
        const r = await send(item);
        if (r.network || r.status >= 500 || r.status === 429 || r.status === 408) {
          // not sent: keep it (and everything after it, in order) for later
          flushRetry = Math.min(flushRetry + 1, 5);
          flushTimer = setTimeout(flush, 1000 * 2 ** flushRetry);
          break;
        }
        if (r.status === 401) break;  // logged out: the queue waits for the next log-in
        flushRetry = 0;
        queue.shift();
        if (r.ok) {
          if (item.kind === "status") merge(r.data);
          if (item.kind === "status" && item.body.status === "completed") showNotice(T.recorded);
        } else if (item.kind === "status") {
          // 409: the assignment moved on meanwhile (cancelled, reassigned…): never retry;
          // drop the steps that were to follow and show the real state
          queue = queue.filter((q) => !(q.assignment === item.assignment && q.kind === "status"));
          const a = await refetch(item.assignment);
          if (item.body.status !== "delivered") {
            showNotice(r.status === 409 && a
              ? fmt(T.changed, { id: item.assignment, status: L.status[a.status] || a.status })
              : fmt(T.refused, { error: errorText(r.data) || r.status }));
          }
        } else {
          showNotice(fmt(T.refused, { error: errorText(r.data) || r.status }));
        }
        saveQueue();
        renderQueue();
        render(item.assignment);
      }
    } finally {
      flushing = false;
      renderQueue();
    }
  }

  // ---- loading state from the API ----------------------------------------------------------
  async function refetch(id) {
    const known = assignments.get(id);
    if (!known || !known.instruction_id) { await loadAll(); return assignments.get(id); }
    const r = await call("GET", "/api/instructions/" + known.instruction_id + "/");
    if (!r.ok) return known;
    const mine = (r.data.assignments || []).find((x) => x.id === id);
    if (!mine) return known;
    const instruction = Object.assign({}, r.data);
    delete instruction.assignments;
    const fresh = Object.assign({}, known, instruction, mine);
    assignments.set(id, fresh);
    render(id);
    return fresh;
  }
  async function loadAll() {
    if (!me) return false;
    const r = await call("GET", "/api/units/" + me.unit.id + "/assignments/");
    if (!r.ok) return false;
    const open = new Set();
    r.data.results.forEach((a) => { open.add(a.id); merge(a); });
    const last = lastEvent();
    if (last === null || last > r.data.last_event_id) setLastEvent(r.data.last_event_id);
    // what we show as open but the server no longer lists has ended: fetch how
    const gone = Array.from(assignments.values()).filter((a) => OPEN.has(a.status) && !open.has(a.id));
    for (const a of gone) await refetch(a.id);
    renderAll();
    return true;
  }

  // ---- position ----------------------------------------------------------------------------
  function startPosition() {
    if (!navigator.geolocation || watchId !== null) return;
    watchId = navigator.geolocation.watchPosition((p) => {
      lastPos = { lat: p.coords.latitude, lon: p.coords.longitude, at: Date.now() };
      if (!reported) { reported = true; reportPosition(); }
    }, () => { /* no fix, or not allowed: steps go without a position */ },
    { enableHighAccuracy: true, maximumAge: 15000, timeout: 30000 });
  }
  function position() {
    if (lastPos && Date.now() - lastPos.at < 30000) return Promise.resolve(lastPos);
    if (!navigator.geolocation) return Promise.resolve(lastPos);
    return new Promise((resolve) => {
      // an unanswered permission prompt must not hold the step back for long
      const giveUp = setTimeout(() => resolve(lastPos), 6000);
      navigator.geolocation.getCurrentPosition((p) => {
        lastPos = { lat: p.coords.latitude, lon: p.coords.longitude, at: Date.now() };
        clearTimeout(giveUp);
        resolve(lastPos);
      }, () => { clearTimeout(giveUp); resolve(lastPos); },
      { enableHighAccuracy: true, maximumAge: 15000, timeout: 5000 });
    });
  }
  async function reportPosition() {
    if (!token || !me || !lastPos || navigator.onLine === false) return;
    await call("POST", "/api/units/" + me.unit.id + "/position/", { lat: lastPos.lat, lon: lastPos.lon });
  }

  // ---- actions -----------------------------------------------------------------------------
  function withPosition(body, pos) {
    if (pos) { body.lat = pos.lat; body.lon = pos.lon; }
    return body;
  }
  async function step(id, status, extra) {
    const a = assignments.get(id);
    if (!a) return;
    const pos = await position();
    enqueue([{ kind: "status", assignment: id, instruction: a.instruction_id,
               body: withPosition(Object.assign({ status }, extra || {}), pos) }]);
  }
  function readFile(file) {
    return new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(reader.result);
      reader.onerror = () => reject(reader.error);
      reader.readAsDataURL(file);
    });
  }
  async function reportResult(form) {
    const id = Number(form.dataset.id), a = assignments.get(id);
    const error = form.querySelector(".error");
    error.textContent = "";
    if (!a) return;
    const result = (form.querySelector("input[name=result]:checked") || {}).value;
    const names = form.names.value.split("\n").map((s) => s.trim()).filter(Boolean);
    const targetTaken = !form.querySelector(".t-target-pick").hidden && form.target_captured.checked;
    if (result === "captured" && !names.length && !targetTaken) { error.textContent = T.need_person; return; }
    const button = form.querySelector("button[type=submit]");
    button.disabled = true;
    const pos = await position();
    const now = new Date().toISOString();
    const items = [];
    const base = { assignment: id, instruction: a.instruction_id, case_id: a.case_id };
    if (result === "captured") {
      if (targetTaken) items.push(Object.assign({ kind: "arrest", body: withPosition({ arrested_at: now, person: a.target.id, place: a.place || "", assignment: id }, pos) }, base));
      names.forEach((name) => items.push(Object.assign({ kind: "arrest", body: withPosition({ arrested_at: now, name, place: a.place || "", assignment: id }, pos) }, base)));
    }
    const what = form.items.value.trim();
    if (what) items.push(Object.assign({ kind: "recovery", body: { items: what, value: form.value.value || "0", assignment: id } }, base));
    const file = form.photo.files && form.photo.files[0];
    if (file) {
      let data;
      try { data = await readFile(file); } catch (e) { data = null; }
      if (data) items.push(Object.assign({ kind: "photo", body: withPosition({ data, name: file.name, description: form.photo_description.value.trim() }, pos) }, base));
    }
    items.push(Object.assign({ kind: "status", body: withPosition({ status: "completed", result }, pos) }, base));
    try { enqueue(items); }
    catch (e) { error.textContent = T.photo_too_big; button.disabled = false; }
  }

  cardsBox.addEventListener("click", (ev) => {
    const button = ev.target.closest("button");
    if (!button || !cardsBox.contains(button)) return;
    unlockAudio();
    const card = button.closest("article"), id = Number(card.dataset.assignment);
    if (button.classList.contains("t-ack")) {
      card.querySelectorAll(".t-actions button").forEach((b) => { b.disabled = true; });
      step(id, "acknowledged");
    } else if (button.classList.contains("t-step")) {
      button.disabled = true;
      step(id, button.dataset.to);
    } else if (button.classList.contains("t-decline-open")) {
      if (!card.querySelector(".t-decline")) {
        const form = $("decline-tpl").content.firstElementChild.cloneNode(true);
        form.dataset.id = id;
        button.after(form);
        form.reason.focus();
      }
    } else if (button.classList.contains("t-dismiss")) {
      assignments.delete(id);
      render(id);
    }
  });
  cardsBox.addEventListener("change", (ev) => {
    if (ev.target.name !== "result") return;
    const form = ev.target.closest("form");
    form.querySelector(".t-captured").hidden = ev.target.value !== "captured";
  });
  cardsBox.addEventListener("submit", (ev) => {
    ev.preventDefault();
    const form = ev.target;
    if (form.classList.contains("t-decline")) {
      const reason = form.reason.value.trim();
      if (!reason) { form.querySelector(".error").textContent = T.need_reason; return; }
      form.querySelector("button").disabled = true;
      step(Number(form.dataset.id), "declined", { reason });
    } else if (form.classList.contains("t-result")) {
      reportResult(form);
    }
  });

  // ---- log in, log out, start --------------------------------------------------------------
  function stop() {
    connectSeq++;
    dropSocket();
    clearTimeout(reconnectTimer); reconnectTimer = null;
    clearTimeout(flushTimer); flushTimer = null;
    clearInterval(positionTimer); positionTimer = null;
    clearInterval(tickTimer); tickTimer = null;
    if (watchId !== null && navigator.geolocation) navigator.geolocation.clearWatch(watchId);
    watchId = null; reported = false;
  }
  function showLogin(message) {
    app.hidden = true;
    loginBox.hidden = false;
    const n = $("login-notice");
    n.hidden = !message;
    n.textContent = message || "";
    setConn(navigator.onLine === false ? "offline" : "connecting");
    conn.hidden = true;
    renderQueue();
    const user = $("login-form").username;
    if (!user.value) user.focus();
  }
  function signedOut(message) {
    if (me) drop(KEY.cards + me.unit.id);
    token = null; me = null;
    drop(KEY.token); drop(KEY.me);
    stop();
    assignments.clear();
    cardsBox.replaceChildren();
    afterRender();
    showLogin(message);
  }
  async function start() {
    loginBox.hidden = true;
    app.hidden = false;
    conn.hidden = false;
    const unit = me.unit;
    $("unit-name").textContent = (unit.call_sign ? unit.call_sign + " · " : "") + unit.name;
    $("officer").textContent = me.display_name || me.username;
    // the cards as last seen, before anything renders (and saves) an empty list
    load(KEY.cards + unit.id, []).forEach((a) => merge(a));
    renderQueue();
    renderAll();
    startPosition();
    tickTimer = setInterval(tick, 1000);
    positionTimer = setInterval(reportPosition, 60000);
    await loadAll();
    if (!token) return;  // the token was refused
    connect();
    flush();
  }

  $("login-form").addEventListener("submit", async (ev) => {
    ev.preventDefault();
    unlockAudio();
    const form = ev.target, error = $("login-error"), button = form.querySelector("button");
    error.textContent = "";
    button.disabled = true;
    try {
      const r = await call("POST", "/api/auth/token/", { username: form.username.value.trim(), password: form.password.value }, { anonymous: true });
      if (!r.ok) {
        error.textContent = r.network ? T.no_network : r.status === 401 ? T.wrong_login : errorText(r.data);
        return;
      }
      token = r.data.token;
      const m = await call("GET", "/api/me/");
      if (!m.ok) { error.textContent = m.network ? T.no_network : errorText(m.data); return; }
      if (m.data.org_role !== "patrol" || !m.data.unit) {
        await call("POST", "/api/auth/logout/");
        token = null;
        error.textContent = T.not_patrol;
        return;
      }
      me = m.data;
      save(KEY.token, token);
      save(KEY.me, me);
      // actions left by someone else on this device are not theirs to send
      queue = queue.filter((q) => q.user === me.username);
      saveQueue();
      form.password.value = "";
      $("login-notice").hidden = true;
      start();
    } finally {
      button.disabled = false;
    }
  });
  $("logout").addEventListener("click", async () => {
    const button = $("logout");
    button.disabled = true;
    await call("POST", "/api/auth/logout/");   // revoke the token on the server
    button.disabled = false;
    signedOut("");
  });

  window.addEventListener("offline", () => {
    if (!token) return;
    connectSeq++;
    dropSocket();
    clearTimeout(reconnectTimer); reconnectTimer = null;
    setConn("offline");
  });
  window.addEventListener("online", () => {
    if (!token) return;
    retry = 0; flushRetry = 0;
    connect();
    flush();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState !== "visible" || !token) return;
    if (!socket) connect();
    flush();
  });
  document.addEventListener("pointerdown", unlockAudio, { once: true });

  // The page and its files kept on the device (dispatch/terminal_sw.js): a reload without
  // network still opens the terminal, its cards and its queue. Browsers allow a service
  // worker only in a secure context (HTTPS, or localhost).
  if ("serviceWorker" in navigator && window.isSecureContext && root.dataset.sw) {
    navigator.serviceWorker.register(root.dataset.sw, { scope: root.dataset.swScope })
      .catch(() => { /* the terminal works without it, only not after an offline reload */ });
  }

  window.caseworkTerminal = { queue: () => queue.slice(), assignments: () => Array.from(assignments.values()) };
  if (token && me && me.unit) start(); else showLogin("");
})();
