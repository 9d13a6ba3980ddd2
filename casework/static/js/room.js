// The case room: live events over /ws/cases/<id>/ with resume after reconnect.
(function () {
  const room = document.getElementById("room");
  if (!room) return;
  const caseId = room.dataset.caseId;
  const me = Number(room.dataset.userId);
  let lastEvent = Number(room.dataset.lastEvent || 0);
  const labels = JSON.parse(document.getElementById("event-labels").textContent || "{}");
  const roleLabels = JSON.parse(document.getElementById("role-labels").textContent || "{}");
  const conn = document.getElementById("conn");
  const messages = document.getElementById("messages");
  const timeline = document.getElementById("timeline");
  const members = document.getElementById("members");
  let socket = null, retry = 0;

  function setConn(state) {
    conn.className = "conn " + state;
    conn.textContent = conn.dataset["label" + state.charAt(0).toUpperCase() + state.slice(1)];
  }
  function hhmm(iso) {
    const d = iso ? new Date(iso) : new Date();
    return d.toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).replace("/", "-");
  }
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => (k === "class" ? (n.className = v) : n.setAttribute(k, v)));
    children.forEach((c) => n.append(c));
    return n;
  }
  function name(u) { return u ? (u.display_name || u.username) : ""; }

  function addMessage(e) {
    if (messages.querySelector('li[data-id="' + e.id + '"]')) return;
    messages.append(el("li", { "data-id": e.id }, el("b", {}, name(e.author)), " ", el("time", {}, hhmm(e.created_at)), el("p", {}, e.text)));
    messages.scrollTop = messages.scrollHeight;
  }
  function addTimeline(e) {
    if (!labels[e.type] || timeline.querySelector('li[data-event="' + e.event_id + '"]')) return;
    const about = e.user ? [" ", el("b", {}, name(e.user))] : [];
    timeline.append(el("li", { "data-event": e.event_id }, el("time", {}, hhmm()), " ", el("span", { class: "ev", "data-type": e.type }, labels[e.type]), ...about, " ", el("small", { class: "muted" }, name(e.actor))));
  }
  function upsertMember(e) {
    const old = members.querySelector('li[data-id="' + e.id + '"]');
    const li = el("li", { "data-id": e.id, "data-user": e.user.id }, el("span", {}, name(e.user)), " ", el("span", { class: "badge role" }, roleLabels[e.role] || e.role));
    if (old) old.replaceWith(li); else members.append(li);
  }
  function handle(e) {
    if (e.event_id) lastEvent = Math.max(lastEvent, e.event_id);
    // the evidence and entity panels (room_evidence.js) listen for these too
    document.dispatchEvent(new CustomEvent("casework:event", { detail: e }));
    switch (e.type) {
      case "message.posted": addMessage(e); break;
      case "member.added": case "member.changed": upsertMember(e); break;
      case "member.removed": { const li = members.querySelector('li[data-id="' + e.id + '"]'); if (li) li.remove(); break; }
      case "case.closed": case "case.reopened": window.location.reload(); return;
      case "error": alert(e.message); return;
    }
    addTimeline(e);
  }
  function connect() {
    setConn("connecting");
    const proto = location.protocol === "https:" ? "wss" : "ws";
    socket = new WebSocket(proto + "://" + location.host + "/ws/cases/" + caseId + "/");
    socket.onopen = () => { retry = 0; setConn("open"); socket.send(JSON.stringify({ type: "resume", after: lastEvent })); };
    socket.onmessage = (m) => handle(JSON.parse(m.data));
    socket.onclose = (ev) => {
      setConn("closed");
      if (ev.code === 4403) return;  // refused: no point retrying
      retry = Math.min(retry + 1, 6);
      setTimeout(connect, 500 * 2 ** retry);
    };
  }
  connect();

  const form = document.getElementById("message-form");
  if (form) {
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const text = form.text.value.trim();
      if (!text) return;
      // over the API, so a message typed while the socket reconnects is not lost
      const res = await casework.api("POST", "/api/cases/" + caseId + "/messages/", { text });
      if (res.ok) { form.reset(); addMessage(res.data); } else alert(casework.errorText(res.data));
    });
    form.text.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) form.requestSubmit(); });
  }

  const memberForm = document.getElementById("member-form");
  if (memberForm) {
    const options = document.getElementById("user-options");
    memberForm.username.addEventListener("input", async () => {
      const q = memberForm.username.value.trim();
      if (q.length < 1) return;
      const res = await casework.api("GET", "/api/users/?search=" + encodeURIComponent(q));
      if (!res.ok) return;
      options.replaceChildren(...res.data.results.map((u) => el("option", { value: u.username }, name(u) + (u.unit_name ? " · " + u.unit_name : ""))));
    });
    memberForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const errors = document.getElementById("member-errors");
      errors.textContent = "";
      const lookup = await casework.api("GET", "/api/users/?username=" + encodeURIComponent(memberForm.username.value.trim()));
      const user = lookup.ok && lookup.data.results[0];
      if (!user) { errors.textContent = "?"; return; }
      const res = await casework.api("POST", "/api/cases/" + caseId + "/members/", { user: user.id, role: memberForm.role.value, can_dispatch: memberForm.can_dispatch.checked });
      if (res.ok) { memberForm.reset(); upsertMember({ id: res.data.id, user: res.data.user_detail, role: res.data.role }); }
      else errors.textContent = casework.errorText(res.data);
    });
  }
  document.querySelectorAll(".remove-member").forEach((b) => b.addEventListener("click", async () => {
    const res = await casework.api("DELETE", "/api/cases/" + caseId + "/members/" + b.dataset.id + "/");
    if (!res.ok) alert(casework.errorText(res.data));
  }));
  document.querySelectorAll("[data-action]").forEach((b) => b.addEventListener("click", async () => {
    const res = await casework.api("POST", "/api/cases/" + caseId + "/" + b.dataset.action + "/");
    if (res.ok) window.location.reload(); else alert(casework.errorText(res.data));
  }));
})();
