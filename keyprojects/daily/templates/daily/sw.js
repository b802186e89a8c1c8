// The site app's service worker (served by keyprojects.daily.site.service_worker, scope /daily/).
// Pages: from the network when there is one (a copy kept of those that ask for it), else the kept copy.
// Assets: the kept copy at once, refreshed from the network behind it. Posts are never touched: a report
// that cannot be sent waits in the page's IndexedDB, not here.
"use strict";
const VERSION = "{{ version }}";
const CACHE = "keyprojects-site-" + VERSION;
const ASSETS = {{ assets|safe }};
const HOME = "{{ home }}";
const KEEP_HEADER = "{{ header }}";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(ASSETS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(
        keys.filter((key) => key.startsWith("keyprojects-site-") && key !== CACHE).map((key) => caches.delete(key))
      ))
      .then(() => self.clients.claim())
  );
});

async function page(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    // Only the site pages say they may be kept; a redirect (to the login page) is never kept.
    if (response.ok && !response.redirected && response.headers.get(KEEP_HEADER) === "keep") {
      await cache.put(request.url, response.clone());
    }
    return response;
  } catch (offline) {
    const options = { ignoreSearch: true, ignoreVary: true };
    const kept = (await cache.match(request.url, options)) || (await cache.match(HOME, options));
    if (kept) return kept;
    throw offline;
  }
}

async function asset(event) {
  const cache = await caches.open(CACHE);
  const kept = await cache.match(event.request);
  const fresh = fetch(event.request).then((response) => {
    if (response.ok) cache.put(event.request, response.clone());
    return response;
  });
  if (kept) {
    event.waitUntil(fresh.catch(() => undefined));
    return kept;
  }
  return fresh;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // A page asks for the app's pages to be kept with this header (daily_site.js), as a navigation would.
  if (request.mode === "navigate" || request.headers.get("Keyprojects-Keep") === "1") {
    event.respondWith(page(request));
  } else if (ASSETS.includes(url.pathname)) {
    event.respondWith(asset(event));
  }
});
