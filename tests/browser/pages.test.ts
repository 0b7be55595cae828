// Opens every page of the built site in a real Chromium on WebGPU (asked for: without a
// GPU the automatic choice is wasm, see backend.test.ts): no console error, no failed or
// off-machine request, the badge shows WebGPU, `?backend=wasm` works, and a screenshot of
// each page lands in test-output/screenshots/.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { STAGE_PAGES } from "../../observablehq.config.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { badge, openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const PAGES = [{ name: "Index", path: "/" }, ...STAGE_PAGES];
// In CI a missing browser is a failure; locally the suite is skipped (and says so).
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

run("built site in Chromium", () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error("dist/ is missing: run `npm run build` first (npm run test:browser does)");
    if (!chromiumAvailable()) throw new Error("Chromium not found at /usr/bin/chromium: apt-get install chromium libvulkan1");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const { name, path } of PAGES) {
    it(`${name} (${path}) loads on WebGPU with no error`, async () => {
      const { page, report } = await openPage(browser, `${server.url}${path}?backend=webgpu`);
      const { backend, adapter } = await badge(page);
      await page.waitForLoadState("networkidle");
      await page.screenshot({ path: `${SHOTS}/${path === "/" ? "index" : path.split("/").pop()}.png`, fullPage: true });
      await page.close();
      expect(report.offsite, "requests that left the machine").toEqual([]);
      expect(report.errors).toEqual([]);
      expect(backend).toBe("webgpu");
      expect(adapter).toBeTruthy();
    });
  }

  it("?backend=wasm runs the page on wasm and computes correctly", async () => {
    const { page, report } = await openPage(browser, `${server.url}/?backend=wasm`);
    const { backend } = await badge(page);
    const check = page.locator(".maskau-backend-check");
    await check.waitFor({ timeout: 60_000 });
    const ok = await check.getAttribute("data-ok");
    await page.screenshot({ path: `${SHOTS}/index-wasm.png`, fullPage: true });
    await page.close();
    expect(report.errors).toEqual([]);
    expect(backend).toBe("wasm");
    expect(ok).toBe("true");
  });

  it("the badge's menu switches the backend through the URL", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/data`);
    await badge(page);
    await Promise.all([page.waitForURL(/backend=cpu/), page.selectOption(".maskau-backend-select", "cpu")]);
    const { backend } = await badge(page);
    await page.close();
    expect(report.errors).toEqual([]);
    expect(backend).toBe("cpu");
  });

  it("dist/ names no CDN", async () => {
    const { execFileSync } = await import("node:child_process");
    let hits = "";
    try {
      hits = execFileSync("grep", ["-rlE", "cdn\\.|unpkg\\.com|esm\\.sh|skypack|jsdelivr|fonts\\.googleapis", DIST], { encoding: "utf8" });
    } catch (e) {
      // grep exits 1 when nothing matches, which is what we want.
      if ((e as { status?: number }).status !== 1) throw e;
    }
    expect(hits).toBe("");
  });
});
