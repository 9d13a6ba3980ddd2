// Small fetch wrapper: same-origin session auth with Django's CSRF token, JSON in and out.
(function () {
  function cookie(name) {
    const m = document.cookie.match(new RegExp("(^|; )" + name + "=([^;]*)"));
    return m ? decodeURIComponent(m[2]) : "";
  }
  async function api(method, url, body) {
    // the API answers in the page's language (it follows Accept-Language)
    const opts = { method, credentials: "same-origin", headers: { "X-CSRFToken": cookie("csrftoken"), "Accept": "application/json", "Accept-Language": document.documentElement.lang || "zh-hans" } };
    if (body instanceof FormData) opts.body = body;
    else if (body !== undefined) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    const res = await fetch(url, opts);
    let data = null;
    if (res.status !== 204) { try { data = await res.json(); } catch (e) { data = null; } }
    return { ok: res.ok, status: res.status, data };
  }
  // Turn a DRF error body into one readable line per field.
  function errorText(data) {
    if (!data) return "Error";
    if (typeof data === "string") return data;
    if (data.detail) return data.detail;
    return Object.entries(data).map(([k, v]) => k + ": " + (Array.isArray(v) ? v.join(" ") : v)).join("\n");
  }
  // merged: static/js/dom.js adds its helpers to the same namespace
  window.casework = Object.assign(window.casework || {}, { api, errorText, cookie });
})();
