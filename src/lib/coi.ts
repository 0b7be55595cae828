// Cross-origin isolation of the site. A page that is cross-origin isolated may use
// SharedArrayBuffer, which the threaded wasm backend needs (../lib/tf/wasm-threads-browser.ts).
// Isolation takes two response headers on the page (and on its workers' scripts):
//   Cross-Origin-Opener-Policy: same-origin      no other origin's window shares the process
//   Cross-Origin-Embedder-Policy: require-corp   nothing from another origin is embedded unless
//                                                it opts in (the site embeds nothing from
//                                                another origin: its CSP allows 'self' only)
// `npm start` sends them (scripts/observable.mjs); so can any host that lets a site set
// headers. Where a static host cannot, a small service worker at the site's root (COI_SERVICE_WORKER,
// built as /coi-sw.js) re-serves the site's own responses with the headers, and the page
// reloads once under it (coiRegistration, inline in every page's head).

/** The headers that make a page cross-origin isolated, plus CORP for the site's own files. */
export const COI_HEADERS: Readonly<Record<string, string>> = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** The service worker's file name, at the site's root (a worker's scope is its folder and below). */
export const COI_SERVICE_WORKER_FILE = "coi-sw.js";

/** The sessionStorage key that marks the one reload a page makes under the service worker. */
export const COI_RELOAD_KEY = "maskau.coi-reload";

/**
 * The service worker. It answers the site's own requests (same origin) from the network, as
 * they are, with the isolation headers added; it caches nothing and leaves other origins'
 * requests alone (the site's policy refuses them anyway).
 */
export const COI_SERVICE_WORKER = `// Re-serves this site's responses with the headers that make its pages cross-origin
// isolated (COOP same-origin, COEP require-corp), for hosts that cannot set headers.
"use strict";
const HEADERS = ${JSON.stringify(COI_HEADERS)};
self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (new URL(request.url).origin !== self.location.origin) return;
  if (request.cache === "only-if-cached" && request.mode !== "same-origin") return;
  event.respondWith(
    fetch(request).then((response) => {
      if (response.type === "opaque" || response.type === "opaqueredirect" || response.status === 0) return response;
      const headers = new Headers(response.headers);
      for (const [name, value] of Object.entries(HEADERS)) headers.set(name, value);
      return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
    }),
  );
});
`;

/** The site's root relative to a page's path ("/pages/data" -> "../", "/index" -> "./"). */
export function siteRoot(path: string): string {
  const depth = path.split("/").length - 2;
  return depth <= 0 ? "./" : "../".repeat(depth);
}

/**
 * The inline script of a page at `path`: when the page is not cross-origin isolated (its
 * host sent no headers), it registers the service worker and, once it is active, reloads
 * the page once (a sessionStorage mark stops a second reload, so a browser that cannot be
 * isolated keeps running single-threaded). A page that is isolated clears the mark.
 */
export function coiRegistration(path: string): string {
  const root = siteRoot(path);
  return `(() => {
  const key = ${JSON.stringify(COI_RELOAD_KEY)};
  let storage = null;
  try { storage = window.sessionStorage; } catch {}
  if (window.crossOriginIsolated) { storage?.removeItem(key); return; }
  if (!window.isSecureContext || !("serviceWorker" in navigator) || !storage) return;
  navigator.serviceWorker.register(${JSON.stringify(root + COI_SERVICE_WORKER_FILE)}, { scope: ${JSON.stringify(root)} }).then(
    () => navigator.serviceWorker.ready.then(() => {
      if (storage.getItem(key)) return;
      storage.setItem(key, "1");
      location.reload();
    }),
    (e) => console.warn("MaskAU: no service worker, so wasm runs on one thread here:", e),
  );
})();`;
}
