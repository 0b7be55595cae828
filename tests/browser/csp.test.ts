// The built site's Content-Security-Policy (observablehq.config.ts): every page carries it
// in a <meta> tag ahead of its scripts (that every page loads under it on the wasm backend,
// WebAssembly compiled under 'wasm-unsafe-eval', with no violation is checked by
// threads.test.ts, which opens every page on wasm anyway), and a page cannot
// reach another origin: fetch, a module script, an image and a WebSocket are refused by the
// policy before any request leaves (the other origin's server sees none), while the same
// server answers a page of its own.
import { existsSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { contentSecurityPolicy, STAGE_PAGES } from "../../observablehq.config.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { cspViolations, recordCspViolations } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const PAGES = [{ name: "Index", path: "/" }, ...STAGE_PAGES];
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

/** Another origin (another port): a JSON file, a module, an image and a page of its own, each allowed to any origin by CORS. */
async function otherOrigin(): Promise<{ url: string; requests: string[]; close(): Promise<void> }> {
  const requests: string[] = [];
  const bodies: Record<string, [string, string]> = {
    "/data.json": ["application/json", '{"secret": 42}'],
    "/module.js": ["text/javascript", "export const secret = 42;"],
    "/image.svg": ["image/svg+xml", '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"/>'],
    "/page.html": ["text/html", "<!doctype html><title>other</title>"],
  };
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? "");
    const body = bodies[new URL(req.url ?? "/", "http://x").pathname];
    if (!body) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": body[0], "access-control-allow-origin": "*" }).end(body[1]);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** A page whose CSP violations are recorded from the start. */
async function openRecorded(browser: Browser, url: string): Promise<{ page: Page; violations: () => Promise<string[]> }> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  await page.addInitScript(recordCspViolations);
  await page.goto(url, { waitUntil: "load" });
  return { page, violations: () => cspViolations(page) };
}

run("Content-Security-Policy of the built site", () => {
  let browser: Browser;
  let server: StaticServer;
  let other: Awaited<ReturnType<typeof otherOrigin>>;

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error("dist/ is missing: run `npm run build` first (npm run test:browser does)");
    server = await serveStatic(DIST);
    other = await otherOrigin();
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await other?.close();
  });

  it("every page sets the policy in a <meta> tag ahead of its first script", () => {
    for (const { path } of PAGES) {
      const html = readFileSync(`${DIST}${path === "/" ? "/index" : path}.html`, "utf8");
      const meta = /<meta http-equiv="Content-Security-Policy" content="([^"]*)">/.exec(html);
      expect(meta, path).not.toBeNull();
      expect(meta![1]).toBe(contentSecurityPolicy(path));
      expect(meta!.index).toBeLessThan(html.indexOf("<script"));
      expect(meta![1]).toMatch(/(^|; )default-src 'self'(;|$)/);
      expect(meta![1]).toMatch(/(^|; )connect-src 'self'(;|$)/);
      expect(meta![1].includes("'unsafe-eval'")).toBe(path === "/pages/data");
    }
  });

  it("a page cannot fetch, run a script from, show an image of or connect to another origin", async () => {
    // The other origin answers a page of its own: what stops the site below is its policy.
    const own = await browser.newPage();
    await own.goto(`${other.url}/page.html`);
    expect(await own.evaluate(async (u) => (await (await fetch(u)).json()).secret, `${other.url}/data.json`)).toBe(42);
    await own.close();
    other.requests.length = 0;

    const { page, violations } = await openRecorded(browser, `${server.url}/`);
    const outcome = await page.evaluate(async (base) => {
      const attempt = async (f: () => Promise<unknown>) => {
        try {
          await f();
          return "reached";
        } catch (e) {
          return `refused (${(e as Error).name})`;
        }
      };
      const image = () =>
        new Promise((ok, fail) => {
          const img = new Image();
          img.onload = ok;
          img.onerror = () => fail(new Error("image refused"));
          img.src = `${base}/image.svg`;
        });
      const script = () =>
        new Promise((ok, fail) => {
          const el = document.createElement("script");
          el.type = "module";
          el.onload = ok;
          el.onerror = () => fail(new Error("script refused"));
          el.src = `${base}/module.js`;
          document.head.append(el);
        });
      const socket = () =>
        new Promise((ok, fail) => {
          const ws = new WebSocket(base.replace("http", "ws"));
          ws.onopen = ok;
          ws.onerror = () => fail(new Error("socket refused"));
        });
      return {
        fetch: await attempt(() => fetch(`${base}/data.json`)),
        script: await attempt(script),
        image: await attempt(image),
        websocket: await attempt(socket),
      };
    }, other.url);
    await new Promise((ok) => setTimeout(ok, 200)); // let the violation events arrive
    const seen = await violations();
    await page.close();
    expect(outcome).toEqual({ fetch: "refused (TypeError)", script: "refused (Error)", image: "refused (Error)", websocket: "refused (Error)" });
    for (const directive of ["connect-src", "script-src-elem", "img-src"]) expect(seen.some((v) => v.startsWith(`${directive} blocked ${other.url}`)), directive).toBe(true);
    expect(other.requests).toEqual([]);
  });
});
