// The compute backend a page starts on in Chromium: the automatic choice (wasm when the
// only WebGPU adapter is a software one, as SwiftShader is on a machine without a GPU),
// the badge that says why, one click to WebGPU anyway, the choice kept from page to
// page, and a visible message for a `?backend=` that names no backend.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { badge, errorsExceptAborted, openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

/** Whether this Chromium's default WebGPU adapter is a software one (no adapter counts as none on hardware). */
function softwareWebGPU(page: Page): Promise<boolean> {
  return page.evaluate(async () => {
    const adapter = await navigator.gpu?.requestAdapter();
    return !adapter || adapter.info.isFallbackAdapter || /swiftshader|llvmpipe/i.test(`${adapter.info.vendor} ${adapter.info.architecture}`);
  });
}

async function badgeDetails(page: Page) {
  const el = page.locator(".maskau-backend-badge");
  const { backend, adapter } = await badge(page);
  return { backend, adapter, speed: await el.getAttribute("data-speed"), text: (await el.textContent()) ?? "" };
}

run("compute backend choice", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error(`${DIST}/ is missing: run \`npm run build\` first`);
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("runs wasm by default when WebGPU is a software adapter, says why, and switches to WebGPU in one click", async () => {
    const { page, report } = await openPage(browser, `${server.url}/`);
    const first = await badgeDetails(page);
    await page.screenshot({ path: `${SHOTS}/backend-automatic.png` });
    if (!(await softwareWebGPU(page))) {
      // A machine with a GPU: WebGPU on it, green.
      expect(first.backend).toBe("webgpu");
      expect(first.speed).toBe("fast");
      await page.close();
      expect(report.errors).toEqual([]);
      return;
    }
    expect(first.backend).toBe("wasm");
    expect(first.speed).toBe("moderate");
    // The test server sends the isolation headers: wasm runs on a thread per CPU.
    expect(first.text).toMatch(/^wasm · \d+ threads? — WebGPU here is a software adapter/);
    expect(await page.locator(".maskau-backend-check").getAttribute("data-ok", { timeout: 60_000 })).toBe("true");

    await Promise.all([page.waitForURL(/backend=webgpu/, { timeout: 60_000 }), page.locator(".maskau-backend-badge button", { hasText: "use WebGPU anyway" }).click()]);
    const second = await badgeDetails(page);
    expect(second.backend).toBe("webgpu");
    expect(second.adapter).toMatch(/swiftshader/);
    expect(second.speed).toBe("slow");
    expect(second.text).not.toContain("use WebGPU anyway");
    await page.screenshot({ path: `${SHOTS}/backend-webgpu-anyway.png` });
    await page.close();
    expect(report.errors).toEqual([]);
  });

  it("keeps the backend chosen on one page for the pages after it", async () => {
    const { page, report } = await openPage(browser, `${server.url}/?backend=webgpu`);
    expect((await badge(page)).backend).toBe("webgpu");

    // Choose wasm in the badge's menu, then follow a sidebar link: the next page runs wasm.
    await Promise.all([page.waitForURL(/backend=wasm/, { timeout: 60_000 }), page.selectOption(".maskau-backend-select", "wasm")]);
    expect((await badge(page)).backend).toBe("wasm");
    await Promise.all([page.waitForURL(/\/pages\/data$/), page.locator("#observablehq-sidebar a", { hasText: "Data" }).click()]);
    expect((await badge(page)).backend).toBe("wasm");

    // cpu (never the automatic choice), asked for in the URL, is kept likewise.
    await page.goto(`${server.url}/pages/data?backend=cpu`);
    expect((await badge(page)).backend).toBe("cpu");
    await Promise.all([page.waitForURL(/\/pages\/report$/), page.locator("#observablehq-sidebar a", { hasText: "Report" }).click()]);
    const kept = await badgeDetails(page);
    expect(kept.backend).toBe("cpu");
    expect(kept.speed).toBe("slow");
    await page.screenshot({ path: `${SHOTS}/backend-kept.png` });

    // "automatic" in the menu forgets the kept choice, on this page and the next.
    const automatic = (await softwareWebGPU(page)) ? "wasm" : "webgpu";
    await Promise.all([page.waitForURL((url) => !url.search.includes("backend=cpu"), { timeout: 60_000 }), page.selectOption(".maskau-backend-select", "auto")]);
    expect((await badge(page)).backend).toBe(automatic);
    await Promise.all([page.waitForURL(/\/pages\/data$/), page.locator("#observablehq-sidebar a", { hasText: "Data" }).click()]);
    expect((await badge(page)).backend).toBe(automatic);
    await page.close();
    // Leaving a page that is still fetching its checkpoints cancels those requests.
    expect(errorsExceptAborted(report)).toEqual([]);
  });

  it("says on the page when ?backend= names no backend, and runs the automatic choice", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/report?backend=nonsense`);
    const { backend } = await badge(page);
    const notice = page.locator(".maskau-backend-notice");
    await notice.waitFor({ timeout: 30_000 });
    expect(await notice.isVisible()).toBe(true);
    expect(await notice.textContent()).toMatch(/\?backend=nonsense is not a backend/);
    expect(backend).toBe((await softwareWebGPU(page)) ? "wasm" : "webgpu");
    await page.screenshot({ path: `${SHOTS}/backend-invalid.png` });
    await page.close();
    expect(report.errors).toEqual([]);
  });
});
