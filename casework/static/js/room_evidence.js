// Evidence, entities and imports in the case room: lists from the API, live additions
// from the room's WebSocket (room.js re-dispatches every event as "casework:event").
(function () {
  const room = document.getElementById("room");
  if (!room) return;
  const caseId = room.dataset.caseId;
  const base = "/api/cases/" + caseId;
  const evidenceKinds = Object.fromEntries(JSON.parse(document.getElementById("evidence-kinds").textContent));
  const entityKinds = Object.fromEntries(JSON.parse(document.getElementById("entity-kinds").textContent));
  const evidenceList = document.getElementById("evidence");
  const entityRows = document.getElementById("entities");
  const linkRows = document.getElementById("links");
  const linkKinds = Object.fromEntries(JSON.parse(document.getElementById("link-kinds").textContent));
  const entityNames = {};
  const linkForm = document.getElementById("link-form");
  function addOption(select, value, text) {
    if (!select || select.querySelector('option[value="' + value + '"]')) return;
    select.append(el("option", { value: String(value) }, text));
  }

  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => (k === "class" ? (n.className = v) : n.setAttribute(k, v)));
    children.forEach((c) => n.append(c));
    return n;
  }
  function when(iso) {
    return new Date(iso).toLocaleString("zh-CN", { timeZone: "Asia/Shanghai", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", hour12: false }).replace("/", "-");
  }

  function renderEvidence(item) {
    const old = evidenceList.querySelector('li[data-id="' + item.id + '"]');
    const who = item.collected_by ? (item.collected_by.display_name || item.collected_by.username) : "";
    const parts = [el("b", {}, evidenceKinds[item.kind] || item.kind), " ", el("span", {}, item.description),
      el("br"), el("small", { class: "muted" }, when(item.collected_at) + " · " + who + (item.place ? " · " + item.place : ""))];
    if (item.version > 1) parts.push(" ", el("span", { class: "badge" }, "v" + item.version));
    if (item.status !== "active") parts.push(" ", el("span", { class: "badge" }, item.status));
    if (item.sha256) {
      parts.push(el("br"), el("span", { class: "hash", title: "SHA-256" }, "SHA-256 " + item.sha256.slice(0, 16) + "…"), " ",
        el("a", { href: base + "/evidence/" + item.id + "/download/" }, "⬇"));
    }
    const li = el("li", { "data-id": item.id, class: item.status }, ...parts);
    if (old) old.replaceWith(li); else evidenceList.prepend(li);
    if (linkForm && item.status === "active") addOption(linkForm.evidence, item.id, "#" + item.id + " " + item.description.slice(0, 30));
  }
  function renderEntity(e) {
    const old = entityRows.querySelector('tr[data-id="' + e.id + '"]');
    const tr = el("tr", { "data-id": e.id }, el("td", {}, entityKinds[e.kind] || e.kind), el("td", {}, e.label || ""),
      el("td", { class: "hash" }, e.key.startsWith("local:") ? "—" : e.key), el("td", {}, e.role || ""));
    if (old) old.replaceWith(tr); else entityRows.append(tr);
    entityNames[e.id] = e.label || e.key;
    if (linkForm) {
      addOption(linkForm.source, e.id, entityNames[e.id]);
      addOption(linkForm.target, e.id, entityNames[e.id]);
    }
  }
  function renderLink(l) {
    const old = linkRows.querySelector('tr[data-id="' + l.id + '"]');
    const tr = el("tr", { "data-id": l.id }, el("td", {}, entityNames[l.source] || "#" + l.source),
      el("td", {}, linkKinds[l.kind] || l.kind), el("td", {}, entityNames[l.target] || "#" + l.target), el("td", {}, String(l.count)));
    if (old) old.replaceWith(tr); else linkRows.append(tr);
  }

  async function loadEntities(url) {
    const en = await casework.api("GET", url);
    if (!en.ok) return;
    en.data.results.forEach(renderEntity);
    if (en.data.next) await loadEntities(en.data.next);
  }
  async function load() {
    const ev = await casework.api("GET", base + "/evidence/");
    evidenceList.replaceChildren();
    if (ev.ok) ev.data.results.slice().reverse().forEach(renderEvidence);
    await loadEntities(base + "/entities/");
    loadLinks(base + "/links/");
  }
  async function loadLinks(url) {
    const res = await casework.api("GET", url);
    if (!res.ok) return;
    res.data.results.forEach(renderLink);
    if (res.data.next) loadLinks(res.data.next);
  }
  load();

  document.addEventListener("casework:event", (ev) => {
    const e = ev.detail;
    if (e.type === "evidence.added" || e.type === "evidence.corrected" || e.type === "evidence.withdrawn") renderEvidence(e);
    if (e.type === "evidence.corrected" && e.supersedes) {
      const old = evidenceList.querySelector('li[data-id="' + e.supersedes + '"]');
      if (old) old.className = "superseded";
    }
    if (e.type === "entity.added") renderEntity(e);
    if (e.type === "import.succeeded") loadEntities(base + "/entities/").then(() => loadLinks(base + "/links/"));
    if (e.type === "link.added") renderLink(e);
  });

  // XMLHttpRequest rather than fetch: it reports upload progress
  function upload(url, form, bar) {
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", url);
      xhr.setRequestHeader("X-CSRFToken", casework.cookie("csrftoken"));
      xhr.setRequestHeader("Accept", "application/json");
      xhr.setRequestHeader("Accept-Language", document.documentElement.lang || "zh-hans");
      bar.hidden = false; bar.value = 0;
      xhr.upload.onprogress = (p) => { if (p.lengthComputable) bar.value = (100 * p.loaded) / p.total; };
      xhr.onload = () => { let data = null; try { data = JSON.parse(xhr.responseText); } catch (e) {} resolve({ ok: xhr.status < 300, status: xhr.status, data }); };
      xhr.onerror = () => resolve({ ok: false, status: 0, data: { detail: "network error" } });
      xhr.send(form);
    });
  }

  const evidenceForm = document.getElementById("evidence-form");
  if (evidenceForm) {
    evidenceForm.use_position.addEventListener("change", () => {
      if (!evidenceForm.use_position.checked || !navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition((pos) => {
        evidenceForm.lat.value = pos.coords.latitude.toFixed(6);
        evidenceForm.lon.value = pos.coords.longitude.toFixed(6);
      });
    });
    evidenceForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const errors = document.getElementById("evidence-errors");
      errors.textContent = "";
      const data = new FormData();
      ["kind", "description", "place", "lat", "lon"].forEach((k) => { if (evidenceForm[k].value) data.append(k, evidenceForm[k].value); });
      const file = evidenceForm.camera.files[0] || evidenceForm.file.files[0];
      if (file) data.append("file", file);
      const res = await upload(base + "/evidence/", data, document.getElementById("evidence-progress"));
      if (res.ok) { evidenceForm.reset(); renderEvidence(res.data); }
      else errors.textContent = casework.errorText(res.data);
    });
  }

  const entityForm = document.getElementById("entity-form");
  if (entityForm) {
    entityForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { kind: entityForm.kind.value, value: entityForm.value.value, label: entityForm.label.value, role: entityForm.role.value };
      if (entityForm.id_number.value) body.details = { id_number: entityForm.id_number.value };
      const res = await casework.api("POST", base + "/entities/", body);
      const errors = document.getElementById("entity-errors");
      if (res.ok) { entityForm.reset(); errors.textContent = ""; renderEntity(res.data); }
      else errors.textContent = casework.errorText(res.data);
    });
  }

  if (linkForm) {
    linkForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const body = { kind: linkForm.kind.value, source: Number(linkForm.source.value), target: Number(linkForm.target.value),
        evidence: Number(linkForm.evidence.value), count: Number(linkForm.count.value || 1) };
      const res = await casework.api("POST", base + "/links/", body);
      const errors = document.getElementById("link-errors");
      if (res.ok) { errors.textContent = ""; renderLink(res.data); }
      else errors.textContent = casework.errorText(res.data);
    });
  }

  const importForm = document.getElementById("import-form");
  if (importForm) {
    const bar = document.getElementById("import-progress");
    const status = document.getElementById("import-status");
    const table = document.getElementById("import-errors");
    function showErrors(errors) {
      table.hidden = !errors || !errors.length;
      table.tBodies[0].replaceChildren(...(errors || []).map((e) => el("tr", {}, el("td", {}, String(e.row)), el("td", {}, e.column), el("td", {}, e.message))));
    }
    function done(job) {
      bar.value = 100;
      status.textContent = job.status === "succeeded" ? "✓ " + JSON.stringify(job.counts) : "✗ " + job.status;
      showErrors(job.errors);
    }
    async function poll(url) {
      const res = await casework.api("GET", url);
      if (!res.ok) { status.textContent = casework.errorText(res.data); return; }
      const job = res.data;
      if (job.status === "succeeded" || job.status === "failed") return done(job);
      bar.value = job.rows_total ? (100 * job.rows_done) / job.rows_total : 5;
      status.textContent = job.status + " " + job.rows_done + " / " + (job.rows_total || "?");
      setTimeout(() => poll(url), 700);
    }
    importForm.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      showErrors([]);
      status.textContent = "…";
      const res = await upload(base + "/imports/", new FormData(importForm), bar);
      if (res.status === 201) done(res.data);
      else if (res.status === 202) poll(res.data.status_url);
      else { bar.hidden = true; status.textContent = res.data && res.data.errors ? "✗ " + res.data.errors.length : casework.errorText(res.data); showErrors(res.data && res.data.errors); }
    });
  }
})();
