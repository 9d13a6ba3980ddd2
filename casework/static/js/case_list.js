(function () {
  const form = document.getElementById("create-case");
  if (!form) return;
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const f = new FormData(form);
    const body = Object.fromEntries(f.entries());
    // datetime-local has no zone: the server reads naive times as Asia/Shanghai
    if (body.reported_at && body.reported_at.length === 16) body.reported_at += ":00";
    if (!body.location) delete body.location;
    const res = await casework.api("POST", "/api/cases/", body);
    if (res.ok) { window.location = "/cases/" + res.data.id + "/"; return; }
    document.getElementById("create-errors").textContent = casework.errorText(res.data);
  });
})();
