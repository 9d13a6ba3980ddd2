// The patrol terminal's service worker (served as {{ config.page }}sw.js, scope {{ config.page }}).
// It keeps the terminal page and its static files on the device so that a reload without
// network still opens the terminal: the token, the cards and the queue of actions waiting
// to be sent live in localStorage, so the page is all that was missing. Nothing of the API
// is ever stored here: requests other than the page and its files go straight through.
//
// Network first, the device's copy when the network fails or hangs: an officer online
// always gets the current page and script (their URLs carry no hash), and every answer
// from the network refreshes the copy. The version below changes with those files, so a
// new release installs a new worker, which fetches them again and drops the old copies.
"use strict";
const CONFIG = {{ config_json|safe }};
const CACHE = "casework-terminal-" + CONFIG.version;
const FILES = [CONFIG.page, ...CONFIG.assets];
const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE)
    .then((cache) => cache.addAll(FILES.map((url) => new Request(url, { cache: "reload" }))))
    .then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys
      .filter((key) => key.startsWith("casework-terminal-") && key !== CACHE)
      .map((key) => caches.delete(key))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  let key = null;
  if (request.mode === "navigate" && url.pathname === CONFIG.page) key = CONFIG.page;
  else if (CONFIG.assets.includes(url.pathname)) key = url.pathname;
  if (key === null) return;   // the API, the socket, anything else: not ours to keep
  event.respondWith(networkFirst(request, key));
});

function timeout(ms) {
  return new Promise((resolve, reject) => setTimeout(() => reject(new Error("timeout")), ms));
}

async function networkFirst(request, key) {
  const cache = await caches.open(CACHE);
  try {
    const response = await Promise.race([fetch(request), timeout(NETWORK_TIMEOUT_MS)]);
    if (response.ok) await cache.put(key, response.clone());
    return response;
  } catch (error) {
    // Vary (language, cookies) must not hide the only copy there is
    const kept = await cache.match(key, { ignoreVary: true });
    if (!kept) throw error;
    // say where it came from (tests and whoever looks at the network panel)
    const headers = new Headers(kept.headers);
    headers.set("X-Casework-Offline-Copy", "1");
    return new Response(kept.body, { status: kept.status, statusText: kept.statusText, headers });
  }
}
