// Small DOM helpers shared by the page scripts (loaded before them): build an element,
// fill "{name}" placeholders of a translated text, escape text for HTML.
(function () {
  // el("button", {class: "x", disabled: true}, "text", child): attributes that are
  // undefined, null or false are left out, true sets an empty one; empty children too
  function el(tag, attrs, ...children) {
    const n = document.createElement(tag);
    Object.entries(attrs || {}).forEach(([k, v]) => {
      if (v === undefined || v === null || v === false) return;
      if (k === "class") n.className = v; else n.setAttribute(k, v === true ? "" : v);
    });
    children.forEach((c) => { if (c !== null && c !== undefined && c !== "") n.append(c); });
    return n;
  }
  function fill(text, vars) { return text.replace(/\{(\w+)\}/g, (m, k) => (k in vars ? vars[k] : m)); }
  function escapeHtml(s) { return String(s == null ? "" : s).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]); }
  window.casework = Object.assign(window.casework || {}, { el, fill, escapeHtml });
})();
