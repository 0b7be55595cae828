// The headers that make the site cross-origin isolated, for Node servers that serve it
// (scripts/observable.mjs, `npm start`). The same as src/lib/coi.ts's COI_HEADERS, which
// plain Node cannot import (tests/lib/coi.test.ts checks that they agree).
export const COI_HEADERS = {
  "Cross-Origin-Opener-Policy": "same-origin",
  "Cross-Origin-Embedder-Policy": "require-corp",
  "Cross-Origin-Resource-Policy": "same-origin",
};

/** Sets the headers on every response of `server`, before its own request handlers run. */
export function isolate(server) {
  server.prependListener("request", (_req, res) => {
    for (const [name, value] of Object.entries(COI_HEADERS)) res.setHeader(name, value);
  });
  return server;
}
