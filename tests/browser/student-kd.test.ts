// The Student & KD page in Chromium on wasm: the cost table with parameters, MACs and the
// measured ms per face; a short distillation from the shipped teacher (4 steps, batch 2)
// whose loss terms, held-out F1, per-AU KL heatmap and per-module gradient norms grow as it
// trains; the teacher-student comparison of one held-out face (predictions and both edge
// matrices) and the gallery of the faces where they disagree most, which picks the face;
// the finished run offered again after a reload; screenshots at 1400 and 1024 px with
// nothing past the viewport; no console error and nothing fetched from off the machine.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { LAYOUT_WIDTHS, overflowing } from "./layout.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

// MASKAU_DIST serves another copy of the built site (e.g. while dist/ is being rebuilt).
const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

async function runState(page: Page): Promise<{ status: string; step: number; points: number; evals: number; message: string }> {
  return page.evaluate(() => {
    const s = document.querySelector<HTMLElement>(".maskau-run-status");
    const d = document.querySelector<HTMLElement>(".maskau-kd-dynamics");
    return {
      status: s?.dataset.status ?? "",
      step: Number(s?.dataset.step ?? -1),
      points: Number(d?.dataset.points ?? -1),
      evals: Number(d?.dataset.evals ?? -1),
      message: s?.querySelector("p")?.textContent ?? "",
    };
  });
}

async function waitForRun(page: Page, what: string, ok: (s: Awaited<ReturnType<typeof runState>>) => boolean, timeout = 280_000) {
  const t0 = Date.now();
  for (;;) {
    const s = await runState(page);
    if (ok(s)) return s;
    if (s.status === "error") throw new Error(`the run stopped while waiting for ${what}: ${s.message}`);
    if (Date.now() - t0 > timeout) throw new Error(`timed out waiting for ${what}; last ${JSON.stringify(s)}`);
    await page.waitForTimeout(250);
  }
}

run("Student & KD page", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/student-kd.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("draws Fig. 3 of the shipped models from src/data/fig3.json: a line per model, a dot per occlusion", async () => {
    const fig = JSON.parse(readFileSync("src/data/fig3.json", "utf8")) as { occlusions: string[]; points: { condition: string; meanF1: number }[] };
    const { page, report } = await openPage(browser, `${server.url}/pages/student-kd?backend=wasm`);
    const curve = page.locator(".maskau-occlusion-curve");
    await curve.locator("svg").first().waitFor({ timeout: 60_000 });
    const conditions = new Set(fig.points.map((p) => p.condition));
    // One line per model; its dots carry the titles "<label>\n<occlusion>: <F1>".
    expect(await curve.locator("svg g[aria-label=line] path").count()).toBe(conditions.size);
    const titles = await curve.locator("svg g[aria-label=dot] circle title").allTextContents();
    expect(titles.length).toBe(fig.points.length);
    const shown = titles.map((t) => Number(t.split(": ").at(-1))).sort((a, b) => a - b);
    expect(shown).toEqual(fig.points.map((p) => Number((100 * p.meanF1).toFixed(1))).sort((a, b) => a - b));
    expect(await curve.locator("figcaption").textContent()).toContain("maskau reproduce fig3");
    await page.close();
    expect(report.errors).toEqual([]);
  });

  it("distils on wasm with live KD curves, compares teacher and student face by face, and lays out at 1400, 1024 and 700 px", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/student-kd?backend=wasm&steps=4&batch=2&frames=1&every=2&eval=8&face=1`);
    await page.setViewportSize({ width: 1400, height: 900 });

    // Costs: the clean detector, the teacher and the student, then their measured latency.
    const costRows = page.locator(".maskau-cost-table tbody tr");
    await costRows.nth(2).waitFor({ timeout: 180_000 });
    expect(await costRows.evaluateAll((trs) => trs.map((tr) => (tr as HTMLElement).dataset.model))).toEqual(["detector", "teacher", "student"]);
    await page.locator('.maskau-cost-table[data-measured="true"]').waitFor({ timeout: 180_000 });
    const ms = (await costRows.locator("td:last-child").allTextContents()).map((t) => Number(t.split(" ")[0]));
    for (const v of ms) expect(v).toBeGreaterThan(0);
    expect(await page.locator(".maskau-cost-table tbody tr[data-model=student] td").nth(1).textContent()).toBe("612,532");

    // The teacher of the URL's occlusion is named; nothing to compare before a run.
    await page.getByText("teacher-tiny-mefl-random0.5.safetensors").first().waitFor({ timeout: 60_000 });
    expect(await page.locator(".maskau-kd-face").count()).toBe(0);
    const start = page.locator(".maskau-run-controls button[name=start]");
    await expect.poll(() => start.isEnabled(), { timeout: 60_000 }).toBe(true);
    expect((await runState(page)).status).toBe("idle");

    // Distil: composites, then steps; comparisons at 0, 2 and 4.
    const t0 = Date.now();
    await start.click();
    const done = await waitForRun(page, "the end of the run", (s) => s.status === "completed");
    console.log(`4 distillation steps (batch 2) on wasm, composites and comparisons included: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(done.step).toBe(4);
    expect(done.points).toBe(4);
    expect(done.evals).toBe(3);
    // Loss terms, F1, KL heatmap, gradient norms: four plots, each with its legend.
    expect(await page.locator(".maskau-kd-dynamics figure svg").count()).toBeGreaterThanOrEqual(4);
    expect(await page.locator(".maskau-kd-dynamics .maskau-chart-empty").count()).toBe(0);
    const legend = (await page.locator(".maskau-kd-dynamics").textContent()) ?? "";
    for (const term of ["L_AU", "λ·L_E", "α·L_kd (node)", "α·β·L_kd (edge)", "encoder (backbone.*)", "alignment (align.*)", "head (global_linear.*, head.*)", "teacher (composite)", "student (occluded)"]) {
      expect(legend, term).toContain(term);
    }

    // Face 1 from the URL: both inputs, 12 AUs x (student, teacher), both edge matrices.
    const faceView = page.locator(".maskau-kd-face");
    await faceView.waitFor({ timeout: 60_000 });
    expect(await faceView.getAttribute("data-face")).toBe("1");
    expect(await faceView.getAttribute("data-step")).toBe("4");
    expect(await faceView.locator(".maskau-image-strip figcaption").allTextContents()).toEqual([
      expect.stringContaining("occluded → student (step 4)"),
      expect.stringContaining("MAE composite → teacher"),
    ]);
    expect(await faceView.locator(".maskau-pred-table tbody tr").count()).toBe(12);
    const probs = (await faceView.locator(".maskau-pred-table tbody td").allTextContents()).filter((t) => /^\d\.\d\d$/.test(t)).map(Number);
    expect(probs).toHaveLength(24);
    expect(await faceView.locator(".maskau-kd-edges figure svg").count()).toBeGreaterThanOrEqual(2);

    // The gallery: the 8 held-out faces by disagreement; a click shows that face.
    const gallery = page.locator(".maskau-kd-gallery button");
    expect(await gallery.count()).toBe(8);
    const kls = (await gallery.locator("span:last-child").allTextContents()).map((t) => Number(t.split("KL ")[1]));
    expect(kls).toEqual([...kls].sort((a, b) => b - a));
    const target = (await gallery.nth(0).getAttribute("data-face"))!;
    const other = target === "1" ? gallery.nth(1) : gallery.nth(0);
    const picked = (await other.getAttribute("data-face"))!;
    await other.click();
    await page.waitForFunction((f) => document.querySelector<HTMLElement>(".maskau-kd-face")?.dataset.face === f, picked, { timeout: 30_000 });
    await expect.poll(() => new URL(page.url()).searchParams.get("face")).toBe(picked === "0" ? null : picked);
    expect(new URL(page.url()).searchParams.get("steps")).toBe("4");

    // Screenshots of the populated page at each width, nothing past the viewport or out of its card.
    const overflow: Record<number, string[]> = {};
    for (const width of LAYOUT_WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(800); // resize() redraws the charts at this width
      await page.screenshot({ path: `${SHOTS}/student-kd-${width}.png`, fullPage: true });
      overflow[width] = await overflowing(page);
    }
    expect(overflow).toEqual({ 1400: [], 1024: [], 700: [] });

    // Reload: the finished run is saved and offered again.
    await page.reload({ waitUntil: "load" });
    const resume = page.locator(".maskau-run-controls button[name=resume]");
    await expect.poll(async () => (await resume.isVisible()) && (await resume.isEnabled()), { timeout: 120_000 }).toBe(true);
    expect(await resume.textContent()).toBe("Open saved run (finished)");
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
