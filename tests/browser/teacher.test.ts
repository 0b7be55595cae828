// The Teacher page in Chromium: the Table-2 F1 table and bars, the learned relation
// graph beside the label co-occurrence, and the predictions for one occluded face
// appear; a short training run moves the loss and held-out F1 curves and pauses;
// no console error and nothing fetched from off the machine.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { screenshotWidths } from "./layout.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

async function runState(page: Page): Promise<{ status: string; step: number; points: number; evals: number; message: string }> {
  return page.evaluate(() => {
    const s = document.querySelector<HTMLElement>(".maskau-run-status");
    const c = document.querySelector<HTMLElement>(".maskau-train-curves");
    return {
      status: s?.dataset.status ?? "",
      step: Number(s?.dataset.step ?? -1),
      points: Number(c?.dataset.points ?? -1),
      evals: Number(c?.dataset.evals ?? -1),
      message: s?.querySelector("p")?.textContent ?? "",
    };
  });
}

async function waitForRun(page: Page, what: string, ok: (s: Awaited<ReturnType<typeof runState>>) => boolean, timeout = 240_000) {
  const t0 = Date.now();
  for (;;) {
    const s = await runState(page);
    if (ok(s)) return s;
    if (s.status === "error") throw new Error(`the run stopped while waiting for ${what}: ${s.message}`);
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(s)}`);
    await page.waitForTimeout(250);
  }
}

run("Teacher page", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/teacher.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows Table 2, the relation graphs and the predictions, and trains with live curves", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/teacher?steps=6&batch=8&every=3&eval=24&frames=3&face=1&occlusion=random:0.5:2`);

    // Table 2: the four conditions of the first occlusion, 12 AUs, the mean and the paper's.
    const conditions = page.locator(".maskau-f1-table thead th[data-condition]");
    await conditions.nth(3).waitFor({ timeout: 180_000 });
    expect(await conditions.evaluateAll((ths) => ths.map((th) => (th as HTMLElement).dataset.condition))).toEqual(["(a)", "(b)", "(c)", "(d)"]);
    expect(await page.locator(".maskau-f1-table tbody tr").count()).toBe(12);
    expect(await page.locator(".maskau-f1-table tfoot th").allTextContents()).toEqual(["mean F1", "paper (BP4D)"]);
    expect(await page.locator(".maskau-f1-table tfoot tr.maskau-paper td").allTextContents()).toEqual(["65.50", "30.73", "54.30", "63.38"]);
    expect(await page.locator(".maskau-compare").textContent()).toMatch(/65\.5 → 30\.73 → 54\.3, teacher 63\.38/);

    // Relation graph: learned (matrix + diagram) and label co-occurrence (matrix + diagram).
    await page.locator(".maskau-learned-graph svg.maskau-relation-diagram").waitFor({ timeout: 180_000 });
    expect(Number(await page.locator(".maskau-learned-graph svg.maskau-relation-diagram").getAttribute("data-edges"))).toBeGreaterThan(0);
    expect(await page.locator(".maskau-learned-graph svg.maskau-relation-diagram circle").count()).toBe(12);
    expect(await page.locator(".maskau-cooc-graph svg.maskau-relation-diagram path").count()).toBe(24);

    // Predictions: three images and 12 AUs x 4 detectors.
    await page.locator(".maskau-pred-table tbody tr").nth(11).waitFor({ timeout: 180_000 });
    const captions = await page.locator(".maskau-image-strip figcaption").allTextContents();
    expect(captions).toHaveLength(3);
    expect(captions[1]).toContain("32/64 patches");
    expect(await page.locator(".maskau-pred-table tbody tr").first().locator("td").count()).toBe(6);
    const probs = (await page.locator(".maskau-pred-table tbody td").allTextContents()).filter((t) => /^-?\d\.\d\d$/.test(t)).map(Number);
    expect(probs).toHaveLength(48);
    for (const p of probs) expect(Math.abs(p)).toBeLessThanOrEqual(1);
    expect(new URL(page.url()).searchParams.get("occlusion")).toBe("random:0.5:2");
    await page.screenshot({ path: `${SHOTS}/teacher-loaded.png`, fullPage: true });

    // Train: the curves start at step 0 (initial F1) and grow; pause, resume, finish.
    expect((await runState(page)).status).toBe("idle");
    await page.locator(".maskau-run-controls button[name=start]").click();
    const first = await waitForRun(page, "the first steps", (s) => s.points >= 2 && s.evals >= 1);
    expect(first.status).toMatch(/training|pausing|paused|completed/);
    const done = await waitForRun(page, "the end of the run", (s) => s.status === "completed");
    expect(done.step).toBe(6);
    expect(done.points).toBe(6);
    expect(done.evals).toBe(3); // steps 0, 3 and 6
    expect(await page.locator(".maskau-train-curves svg").count()).toBeGreaterThanOrEqual(2);
    expect(new URL(page.url()).searchParams.get("steps")).toBe("6");

    // The run's graph can be shown instead of the shipped teacher's.
    await page.getByLabel("run trained above").check();
    await page.waitForFunction(() => document.querySelector(".maskau-learned-graph")?.previousElementSibling?.textContent?.includes("at step 6"), null, { timeout: 60_000 });
    // The shipped teacher may be a stage-2 head (edge-class matrix); the run's is stage 1 (none).
    await page.waitForFunction(() => ![...document.querySelectorAll("label")].some((l) => l.textContent === "Edge class"), null, { timeout: 30_000 });
    await page.screenshot({ path: `${SHOTS}/teacher-trained.png`, fullPage: true });
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("lays out at 1400, 1024 and 700 px with nothing sticking out of the page or its card", async () => {
    const { overflow, reports } = await screenshotWidths(browser, `${server.url}/pages/teacher`, {
      name: "teacher",
      shots: SHOTS,
      ready: (page) => page.locator(".maskau-pred-table tbody tr").nth(11).waitFor({ timeout: 180_000 }),
    });
    expect(overflow).toEqual({ 1400: [], 1024: [], 700: [] });
    for (const r of reports) expect(r.errors).toEqual([]);
  });
});
