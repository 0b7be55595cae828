// The MAE pretraining page in a real Chromium (WebGPU): start a small run, watch the
// step counter and the loss curve move, pause (the run is saved to IndexedDB),
// reload, resume from the saved step and finish; no console error on the way. A reload while
// the run trains resumes from its last periodic save (every 50 steps).
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { errorsExceptAborted } from "./open-page.js";
import { screenshotWidths } from "./layout.js";
import { serveStatic, type StaticServer } from "./static-server.js";

// MASKAU_DIST serves another copy of the built site (e.g. while dist/ is being rebuilt).
const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

async function status(page: Page): Promise<{ status: string; step: number; saved: number | null; points: number }> {
  return page.evaluate(() => {
    const s = document.querySelector<HTMLElement>(".maskau-run-status");
    const chart = document.querySelector<HTMLElement>(".maskau-loss-chart");
    return {
      status: s?.dataset.status ?? "",
      step: Number(s?.dataset.step ?? -1),
      saved: s?.dataset.savedStep === undefined ? null : Number(s.dataset.savedStep),
      points: Number(chart?.dataset.points ?? -1),
    };
  });
}

async function waitFor(page: Page, what: string, ok: (s: Awaited<ReturnType<typeof status>>) => boolean, timeout = 180_000) {
  const t0 = Date.now();
  for (;;) {
    const s = await status(page);
    if (ok(s)) return s;
    if (s.status === "error") throw new Error(`the run stopped while waiting for ${what}: ${await page.locator(".maskau-run-status p").textContent()}`);
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}; last status ${JSON.stringify(s)}`);
    await page.waitForTimeout(200);
  }
}

run("MAE pretraining page", () => {
  let browser: Browser;
  let server: StaticServer;

  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/mae-pretraining.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    page.on("console", (msg) => {
      if (msg.type() === "error") errors.push(`console: ${msg.text()}`);
    });
    page.on("pageerror", (err) => errors.push(`page error: ${err.message}`));
    page.on("requestfailed", (req) => errors.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
    page.on("response", (res) => {
      if (res.status() >= 400) errors.push(`HTTP ${res.status()}: ${res.url()}`);
    });
    await page.goto(url, { waitUntil: "load" });
    return { page, errors };
  }

  /** RGB bytes of every canvas in each row of the held-out reconstruction grid: rows[r][i]. */
  async function gridPixels(page: Page): Promise<number[][][]> {
    return page.evaluate(() =>
      [...document.querySelectorAll(".maskau-recon-grid .maskau-image-strip")].map((strip) =>
        [...strip.querySelectorAll("canvas")].map((canvas) => {
          const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
          return Array.from(data).filter((_, k) => k % 4 !== 3);
        }),
      ),
    );
  }

  it("shows the composite (the input's visible patches exactly) and switches to the raw reconstruction", async () => {
    const size = 64;
    const patch = 8;
    const { page, errors } = await open(`${server.url}/pages/mae-pretraining?backend=wasm`);
    const strips = page.locator(".maskau-recon-grid .maskau-image-strip");
    await expect.poll(() => strips.count(), { timeout: 180_000 }).toBe(3);
    expect(await page.getByLabel("composite", { exact: true }).isChecked()).toBe(true);
    const [original, input, composite] = await gridPixels(page);
    expect(original.length).toBe(6);

    // A patch is visible when the masked input still shows the original there.
    const grid = size / patch;
    const patchPixels = (p: number) =>
      Array.from({ length: patch * patch }, (_, k) => ((Math.floor(p / grid) * patch + Math.floor(k / patch)) * size + (p % grid) * patch + (k % patch)) * 3);
    const isVisible = (i: number, p: number) => patchPixels(p).every((q) => [0, 1, 2].every((c) => input[i][q + c] === original[i][q + c]));
    for (let i = 0; i < original.length; i++) {
      let visible = 0;
      for (let p = 0; p < grid * grid; p++) {
        if (!isVisible(i, p)) continue;
        visible++;
        const differing = patchPixels(p).filter((q) => [0, 1, 2].some((c) => composite[i][q + c] !== input[i][q + c])).length;
        expect(differing, `face ${i}, visible patch ${p}: pixels where the composite differs from the input`).toBe(0);
      }
      expect(visible, `face ${i}: half of the 64 patches are visible`).toBe(32);
    }
    await page.screenshot({ path: `${SHOTS}/mae-pretraining-composite.png`, fullPage: true });

    // The raw reconstruction predicts the visible patches too, so the row changes there.
    await page.getByLabel("reconstruction", { exact: true }).check();
    await expect.poll(async () => (await gridPixels(page))[2].some((rgb, i) => rgb.some((v, k) => v !== composite[i][k])), { timeout: 60_000 }).toBe(true);
    const [, , reconstruction] = await gridPixels(page);
    let visibleChanged = 0;
    for (let i = 0; i < original.length; i++) {
      for (let p = 0; p < grid * grid; p++) {
        if (isVisible(i, p) && patchPixels(p).some((q) => [0, 1, 2].some((c) => reconstruction[i][q + c] !== input[i][q + c]))) visibleChanged++;
      }
    }
    expect(visibleChanged, "visible patches that the raw reconstruction redraws").toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/mae-pretraining-reconstruction.png`, fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });

  it("lays out at 1400, 1024 and 700 px with nothing sticking out of the page or its card", async () => {
    const { overflow, reports } = await screenshotWidths(browser, `${server.url}/pages/mae-pretraining?backend=wasm`, {
      name: "mae-pretraining",
      shots: SHOTS,
      ready: (page) => expect.poll(() => page.locator(".maskau-recon-grid .maskau-image-strip").count(), { timeout: 180_000 }).toBe(3),
    });
    expect(overflow).toEqual({ 1400: [], 1024: [], 700: [] });
    for (const r of reports) expect(r.errors).toEqual([]);
  });

  // The whole flow on wasm: SwiftShader's WebGPU (no GPU here) needs ~30 s per step.
  it("starts, pauses, survives a reload and resumes from the saved step", async () => {
    const steps = 60;
    const { page, errors } = await open(`${server.url}/pages/mae-pretraining?backend=wasm&steps=${steps}&batch=4&frames=2`);
    const badge = page.locator(".maskau-backend-badge");
    await badge.waitFor({ timeout: 120_000 });
    expect(await badge.getAttribute("data-backend")).toBe("wasm");

    // Settings from the URL are in the form; the shipped model's reconstructions are shown before any training.
    await page.locator(".maskau-recon-grid").first().waitFor({ timeout: 120_000 });
    await expect.poll(() => page.locator(".maskau-recon-grid .maskau-image-strip").count(), { timeout: 120_000 }).toBe(3);
    const start = page.locator(".maskau-run-controls button[name=start]");
    await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true);
    expect((await status(page)).status).toBe("idle");

    // Start: the step counter and the loss curve move.
    await start.click();
    const early = await waitFor(page, "two steps", (s) => s.status === "training" && s.step >= 2);
    expect(early.points).toBe(early.step);
    await page.locator(".maskau-recon-grid .maskau-image-strip").nth(3).waitFor({ timeout: 60_000 });

    // Pause: the run stops after the current step and is saved at that step.
    await page.locator(".maskau-run-controls button[name=pause]").click();
    const paused = await waitFor(page, "the pause", (s) => s.status === "paused");
    expect(paused.step).toBeGreaterThanOrEqual(2);
    expect(paused.step).toBeLessThan(steps);
    expect(paused.saved).toBe(paused.step);
    await page.waitForTimeout(500);
    expect((await status(page)).step).toBe(paused.step);

    // Reload: the page offers the saved run; resuming continues from its step.
    await page.reload({ waitUntil: "load" });
    const resume = page.locator(".maskau-run-controls button[name=resume]");
    await expect.poll(async () => (await resume.isVisible()) && (await resume.isEnabled()), { timeout: 120_000 }).toBe(true);
    expect(await resume.textContent()).toContain(`step ${paused.step}`);
    const offered = await status(page);
    expect(offered.status).toBe("idle");
    expect(offered.saved).toBe(paused.step);
    // Before resuming, the curve shows the saved run's loss at every step so far, not "No loss recorded yet".
    await expect.poll(async () => (await status(page)).points, { timeout: 30_000, message: "loss points of the saved run" }).toBe(paused.step);
    expect(await page.locator(".maskau-chart-empty").count()).toBe(0);
    expect(await page.locator(".maskau-loss-chart svg").count()).toBeGreaterThan(0);
    await page.screenshot({ path: `${SHOTS}/mae-pretraining-reloaded.png`, fullPage: true });
    await resume.click();
    const resumed = await waitFor(page, "a step after the resume", (s) => s.status === "training" && s.step > paused.step);
    // The history came back with the weights: one loss point per step since step 1.
    expect(resumed.points).toBe(resumed.step);
    const done = await waitFor(page, "the end of the run", (s) => s.status === "completed");
    expect(done.step).toBe(steps);
    expect(done.points).toBe(steps);
    expect(done.saved).toBe(steps);
    expect(await page.locator(".maskau-run-status .maskau-run-step").textContent()).toBe(`${steps} / ${steps}`);

    // The checkpoint downloads as safetensors.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.locator(".maskau-run-controls button[name=download]").click(),
    ]);
    expect(download.suggestedFilename()).toBe(`mae-tiny-step${steps}.safetensors`);
    const path = await download.path();
    const { readFileSync } = await import("node:fs");
    const bytes = readFileSync(path);
    const headerLength = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString("utf8"));
    const meta = JSON.parse(header.__metadata__.maskau);
    expect(meta.model).toBe("mae");
    expect(meta.step).toBe(steps);
    expect(meta.trainer.history.length).toBe(steps);
    expect(header["optimizer.patch_embed.proj.weight.exp_avg"]).toBeTruthy();

    await page.screenshot({ path: `${SHOTS}/mae-pretraining-run.png`, fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  });

  it("a reload in the middle of training resumes from the last periodic save, losing fewer than 50 steps", async () => {
    const steps = 400;
    const { page, errors } = await open(`${server.url}/pages/mae-pretraining?backend=wasm&steps=${steps}&batch=4&frames=2`);
    const start = page.locator(".maskau-run-controls button[name=start]");
    await expect.poll(() => start.isEnabled(), { timeout: 120_000 }).toBe(true);
    await start.click();
    // Training, past the first save (every 50 steps), not paused: then the tab is reloaded.
    const saved = await waitFor(page, "the first save while training", (s) => s.status === "training" && (s.saved ?? 0) >= 50);
    expect(saved.saved! % 50).toBe(0);
    const last = await status(page);
    expect(last.status).toBe("training");
    await page.reload({ waitUntil: "load" });

    const resume = page.locator(".maskau-run-controls button[name=resume]");
    await expect.poll(async () => (await resume.isVisible()) && (await resume.isEnabled()), { timeout: 120_000 }).toBe(true);
    const offered = await status(page);
    expect(offered.status).toBe("idle");
    // A periodic save: at or after the one seen, within 50 steps of where the run was at the reload.
    expect(offered.saved! % 50).toBe(0);
    expect(offered.saved!).toBeGreaterThanOrEqual(saved.saved!);
    expect(offered.saved!).toBeGreaterThan(last.step - 50);
    expect(offered.saved!).toBeLessThan(steps);
    expect(await resume.textContent()).toContain(`step ${offered.saved}`);
    await resume.click();
    const resumed = await waitFor(page, "a step after the resume", (s) => s.status === "training" && s.step > offered.saved!);
    expect(resumed.points).toBe(resumed.step);
    await page.locator(".maskau-run-controls button[name=pause]").click();
    await waitFor(page, "the pause", (s) => s.status === "paused" || s.status === "completed");
    await page.close();
    // The reload cancels what the first document still had in flight.
    expect(errorsExceptAborted({ errors, offsite: [] })).toEqual([]);
  });

  it("trains on WebGPU when asked: a step, a pause, a save", async () => {
    const { page, errors } = await open(`${server.url}/pages/mae-pretraining?backend=webgpu&steps=3&batch=2&frames=1`);
    const badge = page.locator(".maskau-backend-badge");
    await badge.waitFor({ timeout: 120_000 });
    expect(await badge.getAttribute("data-backend")).toBe("webgpu");
    const start = page.locator(".maskau-run-controls button[name=start]");
    await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true);
    await start.click();
    await waitFor(page, "the first step", (s) => s.status === "training" && s.step >= 1, 240_000);
    await page.locator(".maskau-run-controls button[name=pause]").click();
    const paused = await waitFor(page, "the pause", (s) => s.status === "paused" || s.status === "completed", 240_000);
    expect(paused.saved).toBe(paused.step);
    expect(paused.points).toBe(paused.step);
    const loss = Number(await page.locator(".maskau-run-stat b").nth(1).textContent());
    expect(Number.isFinite(loss) && loss > 0).toBe(true);
    await page.screenshot({ path: `${SHOTS}/mae-pretraining-webgpu.png`, fullPage: true });
    await page.close();
    expect(errors).toEqual([]);
  }, 600_000);
});
