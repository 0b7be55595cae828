// Soak in a page: 200 MAE pretraining steps on the MAE pretraining page (wasm, batch 2),
// with TensorFlow.js's live tensors and bytes read from the page's own tfjs-core module
// (the URL the page preloads, so the same engine). After a 20-step warm-up, the memory
// when paused there equals the memory when the run has finished, and the samples taken
// while it trains do not grow from the first quarter to the last.
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;
const STEPS = 200;
const WARMUP = 20;

interface Sample {
  status: string;
  step: number;
  tensors: number;
  bytes: number;
}

run("Soak in a page", () => {
  let browser: Browser;
  let server: StaticServer;
  let tfUrl: string;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/mae-pretraining.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    // The page's tfjs-core module, as the built page links it.
    const href = /href="\.\.\/(_node\/@tensorflow\/tfjs-core@[^"]+\.js)"/.exec(readFileSync(`${DIST}/pages/mae-pretraining.html`, "utf8"));
    if (!href) throw new Error("the built page does not link tfjs-core");
    tfUrl = `/${href[1]}`;
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function sample(page: Page): Promise<Sample> {
    return JSON.parse(
      await page.evaluate(`(async () => {
        const tf = await import(${JSON.stringify(tfUrl)});
        const s = document.querySelector(".maskau-run-status");
        const m = tf.memory();
        return JSON.stringify({ status: s?.dataset.status ?? "", step: Number(s?.dataset.step ?? -1), tensors: m.numTensors, bytes: m.numBytes });
      })()`),
    ) as Sample;
  }

  async function until(page: Page, what: string, ok: (s: Sample) => boolean, samples: Sample[] = []): Promise<Sample> {
    const t0 = Date.now();
    for (;;) {
      const s = await sample(page);
      samples.push(s);
      if (ok(s)) return s;
      if (s.status === "error") throw new Error(`the run stopped while waiting for ${what}: ${await page.locator(".maskau-run-status p").first().textContent()}`);
      if (Date.now() - t0 > 280_000) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(s)}`);
      await page.waitForTimeout(250);
    }
  }

  it(`${STEPS} training steps on wasm leave TensorFlow.js's tensors and bytes flat after a ${WARMUP}-step warm-up`, async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/mae-pretraining?backend=wasm&steps=${STEPS}&batch=2&frames=1`);
    const start = page.locator(".maskau-run-controls button[name=start]");
    await expect.poll(() => start.isEnabled(), { timeout: 120_000 }).toBe(true);
    const t0 = Date.now();
    await start.click();
    await until(page, "the warm-up", (s) => s.status === "training" && s.step >= WARMUP);
    await page.locator(".maskau-run-controls button[name=pause]").click();
    const warm = await until(page, "the pause", (s) => s.status === "paused");

    await page.locator(".maskau-run-controls button[name=resume]").click();
    const during: Sample[] = [];
    const end = await until(page, "the end of the run", (s) => s.status === "completed", during);
    const seconds = (Date.now() - t0) / 1000;
    const training = during.filter((s) => s.status === "training" && s.step > warm.step);
    const quarter = Math.max(1, Math.floor(training.length / 4));
    const peak = (xs: Sample[], k: "tensors" | "bytes") => Math.max(...xs.map((s) => s[k]));
    const first = training.slice(0, quarter);
    const last = training.slice(-quarter);
    console.log(
      `${STEPS} steps in ${seconds.toFixed(0)} s; paused at step ${warm.step}: ${warm.tensors} tensors, ${warm.bytes} bytes; finished: ${end.tensors} tensors, ${end.bytes} bytes; ` +
        `${training.length} samples while training, peak tensors first quarter ${peak(first, "tensors")} / last ${peak(last, "tensors")}, peak bytes ${peak(first, "bytes")} / ${peak(last, "bytes")}`,
    );
    expect(end.step).toBe(STEPS);
    // At rest, after the warm-up and at the end: the same tensors and bytes.
    expect(end.tensors).toBe(warm.tensors);
    expect(end.bytes).toBe(warm.bytes);
    // While training: no growth from the first quarter of the samples to the last.
    expect(training.length).toBeGreaterThanOrEqual(8);
    expect(peak(last, "tensors")).toBeLessThanOrEqual(peak(first, "tensors"));
    expect(peak(last, "bytes")).toBeLessThanOrEqual(peak(first, "bytes"));
    expect(await page.evaluate(() => 6 * 7)).toBe(42);
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
