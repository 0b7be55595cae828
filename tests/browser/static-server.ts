// A minimal static file server for the built site (dist/), on a free loopback port.
// Resolves Framework's clean URLs (/pages/data -> /pages/data.html). Sends the headers that
// make the site cross-origin isolated, as `npm start` does and as a host that lets a site
// set headers can (src/lib/coi.ts); `{ isolate: false }` serves the files bare, as a static
// host that cannot, where the site's service worker isolates it.
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { extname, join, normalize, resolve } from "node:path";
import { COI_HEADERS } from "../../src/lib/coi.js";

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".csv": "text/csv",
  ".arrow": "application/vnd.apache.arrow.file",
  ".safetensors": "application/octet-stream",
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

function resolveFile(root: string, pathname: string): string | undefined {
  const safe = normalize(decodeURIComponent(pathname)).replace(/^(\.\.[/\\])+/, "");
  const base = join(root, safe);
  const candidates = [base, base + ".html", join(base, "index.html")];
  return candidates.find((f) => f.startsWith(root) && existsSync(f) && statSync(f).isFile());
}

export async function serveStatic(dir: string, { isolate = true }: { isolate?: boolean } = {}): Promise<StaticServer> {
  const root = resolve(dir);
  const server: Server = createServer((req, res) => {
    const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
    const file = resolveFile(root, pathname);
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: ${pathname}`);
      return;
    }
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", ...(isolate ? COI_HEADERS : {}) });
    res.end(readFileSync(file));
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("static server has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((ok) => server.close(() => ok())),
  };
}
