// The Occlusion lab in Chromium: the shipped MAE reconstructs a held-out face under
// the occlusion in the URL, the five panels appear, and the controls write the URL.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

run("Occlusion lab", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync("dist/index.html")) throw new Error("dist/ is missing: run `npm run build` first");
    mkdirSync("test-output/screenshots", { recursive: true });
    server = await serveStatic("dist");
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("reconstructs the face under the URL's occlusion and keeps controls in the URL", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/occlusion-lab?occlusion=random:0.5:3&face=2&fill=noise`);
    const figures = page.locator(".maskau-image-strip figure");
    await figures.nth(4).waitFor({ timeout: 180_000 });
    expect(await figures.count()).toBe(5);
    const captions = await page.locator(".maskau-image-strip figcaption").allTextContents();
    expect(captions[1]).toContain("32/64 patches");
    expect(captions[3]).toMatch(/MSE on removed patches \d\.\d{3}/);
    await page.screenshot({ path: "test-output/screenshots/occlusion-lab-random.png", fullPage: true });

    // Switch to a block: the URL follows and the panels update.
    await page.getByLabel("block").check();
    await page.waitForFunction(() => location.search.includes("occlusion=block"), null, { timeout: 60_000 });
    await page.waitForFunction(() => /\((1[6-9]|2[0-2])\/64 patches\)/.test(document.querySelectorAll(".maskau-image-strip figcaption")[1]?.textContent ?? ""), null, { timeout: 120_000 });
    expect(new URL(page.url()).searchParams.get("occlusion")).toBe("block:0.3:0.5:0.5:1");
    expect(new URL(page.url()).searchParams.get("face")).toBe("2");
    await page.screenshot({ path: "test-output/screenshots/occlusion-lab-block.png", fullPage: true });
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
