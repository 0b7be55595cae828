// The Evaluation page in Chromium on wasm: the precomputed Fig. 3 curves and per-AU heatmaps
// drawn at once for the shipped random:0.5 models, for the regions and for another fill as
// well (and the Run sweep offer where no record covers the choice); a block sweep run here with its progress
// bar, drawing a curve per model and a heatmap per model; the teacher and student feature
// maps drawn by the projection worker (a module worker of the site, under its CSP), with
// their silhouette scores; a click on a point shows that face and each model's predictions
// and rings the point on every map; colouring by identity redraws the same map; a student
// "from this browser" with none saved leaves its map out, saying why; a reload restores
// every choice, the sweep and the picked face from the URL; screenshots at 1400, 1024 and 700 px with nothing past the
// viewport; no console error and nothing fetched from off the machine.
import { existsSync, mkdirSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { nearestPoint } from "../../src/lib/project/feature-map.js";
import { aggregateProtocol } from "../../src/lib/protocol/aggregate.js";
import { aggregateCurves } from "../../src/lib/protocol/curves.js";
import { readLedgerEvals } from "../../src/lib/protocol/ledger-node.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { LAYOUT_WIDTHS, overflowing } from "./layout.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

/** Clicks point `index` of the map of `model` where the page drew it; returns the face the page should pick. */
async function clickPoint(page: Page, model: string, index: number): Promise<number> {
  const card = page.locator(`.maskau-feature-map-card[data-model="${model}"]`);
  const pixels = JSON.parse((await card.getAttribute("data-pixels"))!) as number[];
  const svg = card.locator("svg.maskau-map-plot");
  await svg.scrollIntoViewIfNeeded();
  const box = (await svg.boundingBox())!; // in the viewport's coordinates, as the mouse takes them
  const width = Number(await svg.getAttribute("width"));
  const scale = box.width / width;
  await page.mouse.click(box.x + pixels[2 * index] * scale, box.y + pixels[2 * index + 1] * scale);
  return nearestPoint(pixels, pixels[2 * index], pixels[2 * index + 1]);
}

run("Evaluation page", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/evaluation.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("loads the precomputed curves, runs a sweep, draws feature maps, links a clicked point to its face and restores the view from the URL", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/evaluation?backend=wasm&frames=4`);
    await page.setViewportSize({ width: 1400, height: 900 });

    // Precomputed: the shipped random:0.5 teacher and student have Fig. 3 records (4 models x 7 ratios).
    const curves = page.locator(".maskau-sweep-curves");
    await curves.waitFor({ timeout: 60_000 });
    expect(await curves.getAttribute("data-source")).toBe("precomputed");
    expect(await curves.getAttribute("data-points")).toBe("28");
    expect(await curves.locator("svg g[aria-label=line] path").count()).toBe(4);
    expect(await page.locator(".maskau-au-heatmap").count()).toBe(4);
    expect(await page.locator(".maskau-au-heatmap").first().locator("svg g[aria-label=cell] rect").count()).toBe(12 * 7);

    // The protocol's curves over folds and seeds, from the committed ledger: a band and a line
    // per model on each curve, and every claim of docs/results.md in the forest.
    const ledger = readLedgerEvals("results/paper/bp4d");
    const pooled = aggregateCurves(ledger, { resamples: 10 })!;
    for (const name of ["random", "block"]) {
      const figure = page.locator(`.maskau-protocol-curve[data-curve=${name}]`);
      await figure.waitFor({ timeout: 30_000 });
      expect(await figure.getAttribute("data-runs")).toBe(String(pooled.pairs.length));
      expect(await figure.getAttribute("data-points")).toBe(String(pooled.points.filter((p) => p.curve === name).length));
      expect(await figure.locator("svg g[aria-label=line] path").count()).toBe(4);
      expect(await figure.locator("svg g[aria-label=area] path").count()).toBe(4);
    }
    const aggregated = aggregateProtocol(ledger, { resamples: 10 }).claims;
    const claims = aggregated.length;
    expect(await page.locator(".maskau-claims-forest").getAttribute("data-claims")).toBe(String(claims));
    expect(await page.locator(".maskau-claims-forest svg g[aria-label=dot] circle").count()).toBe(claims);
    // A tick per run on every claim's row: the paper's claims have every run of the ledger.
    const ticks = aggregated.reduce((n, c) => n + c.perRun.length, 0);
    expect(aggregated.filter((c) => !c.a.startsWith("(e:") && c.b !== "(f)").every((c) => c.perRun.length === ledger.length)).toBe(true);
    expect(await page.locator(".maskau-claims-forest svg g[aria-label=tick] line").count()).toBe(ticks);

    // The DISFA-like protocol, from its own ledger: its curves and claims, or a note that the
    // ledger has none yet; the choice is kept in the URL. Then back to BP4D-like.
    await page.getByLabel("DISFA-like").check();
    await expect.poll(() => new URL(page.url()).searchParams.get("protocol")).toBe("disfa");
    const disfa = existsSync("results/paper/disfa/evals") ? readLedgerEvals("results/paper/disfa") : [];
    if (disfa.length === 0) {
      await expect.poll(() => page.locator(".maskau-chart-empty", { hasText: "DISFA-like data yet" }).count()).toBe(2);
      expect(await page.locator(".maskau-claims-forest").count()).toBe(0);
    } else {
      const forest = page.locator(".maskau-claims-forest");
      await expect.poll(() => forest.getAttribute("data-claims")).toBe(String(aggregateProtocol(disfa, { resamples: 10 }).claims.length));
      expect(await page.locator(".maskau-protocol-curve[data-curve=random]").getAttribute("data-runs")).toBe(String(disfa.length));
    }
    await page.getByLabel("BP4D-like").check();
    await expect.poll(() => new URL(page.url()).searchParams.get("protocol")).toBe(null);
    await page.locator(".maskau-claims-forest").waitFor();

    // Regions and the other fills come precomputed too (fig3-regions.json, fig3-fills.json): no Run sweep.
    const caption = curves.locator("figcaption");
    await page.getByLabel("regions").check();
    await expect.poll(() => caption.textContent()).toContain("--occlusions region:brows");
    expect(await curves.getAttribute("data-source")).toBe("precomputed");
    expect(await curves.getAttribute("data-points")).toBe("28");
    expect(await curves.locator("svg g[aria-label=line] path").count()).toBe(4);
    expect(await page.locator(".maskau-au-heatmap").first().locator("svg g[aria-label=cell] rect").count()).toBe(12 * 7);
    await page.getByLabel("random patches").check();
    await page.getByLabel("Fill", { exact: true }).selectOption("hand");
    await expect.poll(() => caption.textContent()).toContain("fill hand;");
    expect(await curves.getAttribute("data-source")).toBe("precomputed");
    expect(await curves.getAttribute("data-points")).toBe("28");
    expect(new URL(page.url()).searchParams.get("fill")).toBe("hand");
    // Regions under another fill have no record: the page says so and offers Run sweep.
    await page.getByLabel("regions").check();
    await page.locator(".maskau-sweep-idle").waitFor({ timeout: 30_000 });
    await page.getByLabel("random patches").check();
    await page.getByLabel("Fill", { exact: true }).selectOption("gray");
    await expect.poll(() => caption.textContent()).toContain("fill gray;");
    expect(await page.locator(".maskau-sweep-idle").count()).toBe(0);

    // The feature maps: teacher and student, 14 subjects x 4 frames, projected in the worker.
    const maps = page.locator(".maskau-feature-map-card");
    await maps.nth(1).waitFor({ timeout: 120_000 });
    expect(await maps.evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.model))).toEqual(["teacher (d)", "student (e)"]);
    const n = Number(await maps.first().getAttribute("data-points"));
    expect(n).toBe(56);
    expect(await maps.first().locator("svg g[aria-label=dot] circle").count()).toBeGreaterThanOrEqual(n);
    const identity = Number(await maps.first().locator(".maskau-map-identity").textContent());
    expect(identity).toBeGreaterThanOrEqual(-1);
    expect(identity).toBeLessThanOrEqual(1);
    expect(await maps.first().locator(".maskau-map-au-scores tr").count()).toBe(12);
    expect(await page.evaluate(() => performance.getEntriesByType("resource").some((e) => /projection-worker\.[0-9a-f]+\.js$/.test(e.name)))).toBe(true);

    // Linked selection: a click on a student point shows that face with each model's predictions, ringed on both maps.
    const face = await clickPoint(page, "student (e)", 17);
    const shown = page.locator(".maskau-selected-face");
    await shown.waitFor({ timeout: 30_000 });
    expect(await shown.getAttribute("data-face")).toBe(String(face));
    expect(await shown.locator(".maskau-image-strip canvas").count()).toBe(3);
    expect(await shown.locator(".maskau-pred-table tbody tr").count()).toBe(12);
    expect(await shown.locator(".maskau-pred-table thead th").allTextContents()).toEqual(["AU", "label", "teacher (d)", "student (e)"]);
    expect(await maps.evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.selected))).toEqual([String(face), String(face)]);
    await expect.poll(() => new URL(page.url()).searchParams.get("face")).toBe(String(face));

    // Colouring by identity redraws the same map (no new projection) with a subject per colour.
    const pixels = await maps.first().getAttribute("data-pixels");
    await page.getByLabel("identity").check();
    await expect.poll(() => maps.first().locator(".maskau-feature-map").textContent()).toMatch(/[FM]\d{3}/);
    expect(await maps.first().getAttribute("data-pixels")).toBe(pixels);
    expect(new URL(page.url()).searchParams.get("colour")).toBe("identity");

    // A block sweep here: no record covers it, so Run sweep computes it with a progress bar.
    await page.getByLabel("one block").check();
    await page.locator(".maskau-sweep-idle").waitFor({ timeout: 30_000 });
    await page.getByLabel("Faces / occlusion").fill("8");
    await page.getByLabel("Faces / occlusion").press("Enter");
    const t0 = Date.now();
    await page.getByRole("button", { name: "Run sweep" }).click();
    await page.locator(".maskau-pending progress").first().waitFor({ timeout: 30_000 });
    await page.locator('.maskau-sweep-curves[data-source="browser"]').waitFor({ timeout: 120_000 });
    console.log(`block sweep (5 areas x 8 faces x 4 models) on wasm: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(await curves.getAttribute("data-points")).toBe("20");
    expect(await curves.locator("svg g[aria-label=line] path").count()).toBe(4);
    expect(await page.locator(".maskau-au-heatmap").first().locator("svg g[aria-label=cell] rect").count()).toBe(12 * 5);
    await expect.poll(() => new URL(page.url()).searchParams.get("sweep")).toBe("run");
    expect(new URL(page.url()).searchParams.get("type")).toBe("block");
    // The picked face outlives the sweep and the change of occlusion type.
    expect(new URL(page.url()).searchParams.get("face")).toBe(String(face));
    await page.locator(`.maskau-selected-face[data-face="${face}"]`).waitFor({ timeout: 120_000 });

    // Screenshots of the populated page at each width, nothing past the viewport or out of its card.
    await maps.nth(1).waitFor({ timeout: 120_000 });
    const overflow: Record<number, string[]> = {};
    for (const width of LAYOUT_WIDTHS) {
      await page.setViewportSize({ width, height: 900 });
      await page.waitForTimeout(800);
      await page.screenshot({ path: `${SHOTS}/evaluation-${width}.png`, fullPage: true });
      overflow[width] = await overflowing(page);
    }
    expect(overflow).toEqual({ 1400: [], 1024: [], 700: [] });
    await page.setViewportSize({ width: 1400, height: 900 });

    // No student distilled in this browser yet: its map is left out, saying where to make one; the teacher's stays.
    await page.getByLabel("Student", { exact: true }).selectOption({ label: "this browser's" });
    await page.locator(".maskau-map-missing").waitFor({ timeout: 60_000 });
    expect(await page.locator(".maskau-map-missing").textContent()).toContain("Student and KD page");
    expect(await maps.evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.model))).toEqual(["teacher (d)"]);
    await page.getByLabel("Student", { exact: true }).selectOption({ label: "random:0.5" });
    await maps.nth(1).waitFor({ timeout: 120_000 });

    // Reload: the choices, the sweep computed here and the picked face come back from the URL.
    const url = page.url();
    await page.reload({ waitUntil: "load" });
    expect(page.url()).toBe(url);
    await page.locator('.maskau-sweep-curves[data-source="browser"]').waitFor({ timeout: 120_000 });
    expect(await page.getByLabel("one block").isChecked()).toBe(true);
    await page.locator(`.maskau-selected-face[data-face="${face}"]`).waitFor({ timeout: 120_000 });
    expect(await maps.evaluateAll((cards) => cards.map((c) => (c as HTMLElement).dataset.selected))).toEqual([String(face), String(face)]);

    await page.close();
    expect(report.errors).toEqual([]);
    expect(report.offsite).toEqual([]);
  });
});
