// The compute backend a page starts on in Chromium: the automatic choice (wasm when the
// only WebGPU adapter is a software one, as SwiftShader is on a machine without a GPU),
// the badge that says why, and one click to WebGPU anyway.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { badge, openPage } from "./open-page.js";
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
    expect(first.text).toContain("wasm — WebGPU here is a software adapter");
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
});
