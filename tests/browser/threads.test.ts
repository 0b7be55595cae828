// Threaded wasm in Chromium. Served with the isolation headers (as `npm start` and a host
// that sets headers serve it), every page is cross-origin isolated and runs the wasm backend
// on more than one thread, with no console error, no Content-Security-Policy violation and no
// request leaving the machine.
// Served bare (a static host that cannot set headers), the site's service worker isolates
// it after one reload, and the pages after it are isolated from the start. A pretraining
// step and a detector training step on the pages' settings give the same losses and the same
// weights, bit for bit, on several threads as on one; the time of each is printed
// (MASKAU_THREADS_STEPS sets how many steps are timed, 3 by default).
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { STAGE_PAGES } from "../../observablehq.config.js";
import { COI_SERVICE_WORKER_FILE } from "../../src/lib/coi.js";
import { builtModule } from "./built.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { badge, cspViolations, errorsExceptAborted, keepOnMachine, openPage, recordCspViolations, recordErrors, type PageReport } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const PAGES = [{ name: "Index", path: "/" }, ...STAGE_PAGES];
const TIMED_STEPS = Number(process.env.MASKAU_THREADS_STEPS ?? 3);
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

/** The badge's thread count (data-threads), once the backend runs. */
async function threads(page: Page): Promise<number> {
  await badge(page);
  return Number(await page.locator(".maskau-backend-badge").getAttribute("data-threads"));
}

/** Runs `f` in the page until it stops throwing (a reload destroys the page's context) and returns what it returns. */
async function settled<T>(page: Page, f: () => T, timeout = 60_000): Promise<T> {
  const end = Date.now() + timeout;
  for (;;) {
    try {
      await page.waitForLoadState("load");
      return await page.evaluate(f);
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((ok) => setTimeout(ok, 250));
    }
  }
}

/** A context whose pages' console errors, failed and off-machine requests are recorded (the off-machine ones aborted). */
async function recordedContext(browser: Browser, origin: string): Promise<{ context: BrowserContext; report: PageReport }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const report: PageReport = { errors: [], offsite: [] };
  await keepOnMachine(context, origin, report);
  context.on("page", (page) => recordErrors(page, report));
  return { context, report };
}

interface StepResult {
  losses: number[];
  weights: string;
  ms: number[];
}

/**
 * In the page: `steps` training steps of a pretraining run (the page's settings: tiny MAE,
 * batch 32) and of a detector run (the Teacher page's: tiny ResNet detector, batch 16, from
 * scratch on clean faces, the same step as a teacher's on cached composites), each on a
 * dataset of 8 frames per subject; the losses, a hash of the trained weights and each step's
 * milliseconds.
 */
function trainSteps(page: Page, steps: number): Promise<{ pretrain: StepResult; detector: StepResult }> {
  const modules = {
    mae: builtModule(DIST, "lib/train/mae-run"),
    detector: builtModule(DIST, "lib/train/detector-browser"),
    generate: builtModule(DIST, "lib/data/generate"),
    hash: builtModule(DIST, "lib/data/hash"),
  };
  // A string, so that the test runner does not rewrite the dynamic imports.
  return page.evaluate(`(async () => {
    const { createPretrainRun, pretrainDataConfig, PRETRAIN_SETTINGS } = await import(${JSON.stringify(modules.mae)});
    const { createDetectorRun, detectorRunDataConfig, DETECTOR_RUN_SETTINGS } = await import(${JSON.stringify(modules.detector)});
    const { generateFaceDataset } = await import(${JSON.stringify(modules.generate)});
    const { fnv1a64 } = await import(${JSON.stringify(modules.hash)});
    const steps = ${steps};
    const weights = (vars) => fnv1a64(...Object.keys(vars).sort().map((k) => new Uint8Array(vars[k].dataSync().slice().buffer)));
    const train = async (run, vars) => {
      const losses = [], ms = [];
      for (let i = 0; i < steps; i++) {
        const report = await run.trainer.trainStep();
        losses.push(report.loss);
        ms.push(report.ms);
      }
      const out = { losses, ms, weights: weights(vars()) };
      run.dispose();
      return out;
    };
    const p = PRETRAIN_SETTINGS.normalize({ frames: 8, steps: 100 });
    const mae = await createPretrainRun(p, generateFaceDataset(pretrainDataConfig(p)));
    const pretrain = await train(mae, () => mae.mae.trainable());
    const d = DETECTOR_RUN_SETTINGS.normalize({ input: "clean", init: "scratch", frames: 8, steps: 100 });
    const det = await createDetectorRun(d, generateFaceDataset(detectorRunDataConfig(d)));
    const detector = await train(det, () => det.detector.trainable());
    return { pretrain, detector };
  })()`) as Promise<{ pretrain: StepResult; detector: StepResult }>;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

run("threaded wasm in Chromium", () => {
  let browser: Browser;
  let isolated: StaticServer;
  let bare: StaticServer;

  beforeAll(async () => {
    if (!existsSync(`${DIST}/index.html`)) throw new Error(`${DIST}/ is missing: run \`npm run build\` first`);
    isolated = await serveStatic(DIST);
    bare = await serveStatic(DIST, { isolate: false });
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await isolated?.close();
    await bare?.close();
  });

  for (const { name, path } of PAGES) {
    it(`${name} (${path}) is cross-origin isolated, runs wasm on more than one thread, with no CSP violation`, async () => {
      const { page, report } = await openPage(browser, `${isolated.url}${path}?backend=wasm`, { initScript: recordCspViolations });
      const n = await threads(page);
      const label = await page.locator(".maskau-backend-label").textContent();
      const facts = await page.evaluate(() => ({ isolated: crossOriginIsolated, shared: typeof SharedArrayBuffer === "function", cpus: navigator.hardwareConcurrency }));
      await page.waitForLoadState("networkidle");
      const violations = await cspViolations(page);
      await page.close();
      expect(violations, "Content-Security-Policy violations").toEqual([]);
      expect(facts.isolated).toBe(true);
      expect(facts.shared).toBe(true);
      expect(n).toBe(Math.min(facts.cpus, 8));
      expect(n).toBeGreaterThan(1);
      expect(label).toBe(`wasm · ${n} threads`);
      expect(report.offsite, "requests that left the machine").toEqual([]);
      expect(report.errors).toEqual([]);
    });
  }

  it("?wasm-threads=1 runs the single-threaded build, and the badge says so", async () => {
    const { page, report } = await openPage(browser, `${isolated.url}/?backend=wasm&wasm-threads=1`);
    expect(await threads(page)).toBe(1);
    expect(await page.locator(".maskau-backend-label").textContent()).toBe("wasm · 1 thread");
    expect(await page.locator(".maskau-backend-check").getAttribute("data-ok", { timeout: 60_000 })).toBe("true");
    await page.close();
    expect(report.errors).toEqual([]);
  });

  it("served without headers, the service worker isolates the site after one reload", async () => {
    const { context, report } = await recordedContext(browser, bare.url);
    const page = await context.newPage();
    // Documents parsed in the tab (DOMContentLoaded; same-document URL changes such as the
    // pages' query updates do not count, and the worker's reload can come before a load event).
    let pageLoads = 0;
    page.on("domcontentloaded", () => pageLoads++);
    await page.goto(`${bare.url}/?backend=wasm`, { waitUntil: "load" });
    // First load: not isolated, the worker registers, the page reloads once under it.
    // (Polled: an evaluation can land on the first load, before the worker's reload.)
    await expect.poll(() => settled(page, () => crossOriginIsolated), { timeout: 60_000 }).toBe(true);
    expect(await threads(page)).toBeGreaterThan(1);
    expect(await page.locator(".maskau-backend-check").getAttribute("data-ok", { timeout: 60_000 })).toBe("true");
    expect(pageLoads, "documents of the first page: the first and at most one reload").toBeLessThanOrEqual(2);
    const worker = await page.evaluate(async () => (await navigator.serviceWorker.getRegistration())?.active?.scriptURL);
    expect(worker).toBe(`${bare.url}/${COI_SERVICE_WORKER_FILE}`);
    // The next page is isolated at once, with no reload.
    pageLoads = 0;
    await Promise.all([page.waitForURL(/\/pages\/mae-pretraining/), page.locator("#observablehq-sidebar a", { hasText: "MAE pretraining" }).click()]);
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    expect(await threads(page)).toBeGreaterThan(1);
    await page.waitForLoadState("networkidle");
    expect(pageLoads, "loads of the next page: no reload").toBe(1);
    await context.close();
    expect(report.offsite, "requests that left the machine").toEqual([]);
    // The worker's reload aborts what the first document still had in flight (e.g. its icon).
    expect(errorsExceptAborted(report)).toEqual([]);
  });

  it("training steps on several threads equal the single-threaded ones bit for bit", async () => {
    const one = await openPage(browser, `${isolated.url}/?backend=wasm&wasm-threads=1`);
    expect(await threads(one.page)).toBe(1);
    const single = await trainSteps(one.page, TIMED_STEPS);
    await one.page.close();
    const many = await openPage(browser, `${isolated.url}/?backend=wasm`);
    const n = await threads(many.page);
    expect(n).toBeGreaterThan(1);
    const threaded = await trainSteps(many.page, TIMED_STEPS);
    await many.page.close();
    for (const kind of ["pretrain", "detector"] as const) {
      // The first step builds kernels and warms caches: the median of the others.
      const [a, b] = [median(single[kind].ms.slice(1)), median(threaded[kind].ms.slice(1))];
      console.log(`${kind} step in Chromium: 1 thread ${a.toFixed(0)} ms, ${n} threads ${b.toFixed(0)} ms (${(a / b).toFixed(2)}x); steps ${single[kind].ms.map((m) => m.toFixed(0)).join(" ")} | ${threaded[kind].ms.map((m) => m.toFixed(0)).join(" ")}`);
      expect(threaded[kind].losses, kind).toEqual(single[kind].losses);
      expect(threaded[kind].weights, kind).toBe(single[kind].weights);
      expect(single[kind].losses.every(Number.isFinite)).toBe(true);
    }
    expect(one.report.errors).toEqual([]);
    expect(many.report.errors).toEqual([]);
  });
});
