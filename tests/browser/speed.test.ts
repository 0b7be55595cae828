// The Speed page in Chromium on wasm (threaded: the test server isolates the site): the
// recorded wasm and torch figures of src/data/bench-reference.json shown before anything
// runs; Run times two light workloads (gcn, detector_train) with its progress drawn
// between steps, and the table gets finite positive ms, GFLOP/s equal to GFLOP / median
// seconds, ratios to the recorded medians, flat live tensors, a chart dot per figure and
// the estimates of typical runs; Stop ends a run of every workload early; the settings stay
// in the URL; nothing sticks out at 1024 px; no console error and nothing fetched from off
// the machine.
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { checkBenchReference } from "../../src/lib/bench/reference.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { overflowing } from "./layout.js";
import { badge, openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const SHOTS = "test-output/screenshots";
const REFERENCE = checkBenchReference(JSON.parse(readFileSync("src/data/bench-reference.json", "utf8")));
const WORKLOADS = ["gcn", "detector_train", "mae_infer", "mae_train", "student_kd_step"];
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

interface Row {
  workload: string;
  gflop: number;
  medianMs: number;
  minMs: number;
  gflops: number;
  steps: number;
  tensors: string;
  wasmMs: number;
  torchMs: number;
  vsWasm: number;
  vsTorch: number;
  here: string;
}

/** The table's rows, numbers from their data attributes (NaN where empty). */
function tableRows(page: Page): Promise<Row[]> {
  return page.locator(".maskau-speed-table:not(.maskau-run-estimates) tbody tr").evaluateAll((trs) =>
    trs.map((tr) => {
      const d = (tr as HTMLElement).dataset;
      const n = (v: string | undefined) => (v ? Number(v) : NaN);
      return {
        workload: d.workload!,
        gflop: n(d.gflop),
        medianMs: n(d.medianMs),
        minMs: n(d.minMs),
        gflops: n(d.gflops),
        steps: n(d.steps),
        tensors: d.tensors!,
        wasmMs: n(d.wasmMs),
        torchMs: n(d.torchMs),
        vsWasm: n(d.vsWasm),
        vsTorch: n(d.vsTorch),
        here: tr.querySelector("td.maskau-speed-here")?.textContent ?? "",
      };
    }),
  );
}

/** Records every status (and steps done) the status box shows from now on. */
async function watchStatus(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { seenStatus: string[] }).seenStatus = seen;
    new MutationObserver(() => {
      const s = document.querySelector<HTMLElement>(".maskau-speed-status");
      const entry = `${s?.dataset.status}:${s?.dataset.done ?? ""}`;
      if (s && seen.at(-1) !== entry) seen.push(entry);
    }).observe(document.getElementById("observablehq-main")!, { subtree: true, childList: true, attributes: true });
  });
}

run("Speed page", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/speed.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("times gcn and detector_train on wasm beside the recorded wasm and torch figures, and a stop ends a run early", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/speed?backend=wasm&workloads=gcn,detector_train&warmup=1&iters=3`);
    await page.setViewportSize({ width: 1024, height: 900 });
    expect((await badge(page)).backend).toBe("wasm");
    const threads = Number(await page.locator(".maskau-backend-badge").getAttribute("data-threads"));
    expect(threads).toBeGreaterThan(1);
    const here = `wasm · ${threads} threads`;

    // Before a run: every workload with its recorded figures, none measured here.
    await page.locator(".maskau-speed-status[data-status=idle]").waitFor({ timeout: 60_000 });
    let rows = await tableRows(page);
    expect(rows.map((r) => r.workload)).toEqual(WORKLOADS);
    for (const r of rows) {
      expect(r.wasmMs, r.workload).toBe(REFERENCE.workloads[r.workload].wasm!.median_ms);
      expect(r.torchMs, r.workload).toBe(REFERENCE.workloads[r.workload].torch!.median_ms);
      expect(r.medianMs).toBeNaN();
      expect(r.here).toBe("not run");
    }
    const text = await page.locator("#observablehq-main").textContent();
    expect(text).toContain(REFERENCE.command);
    expect(text).toContain(`MaskAU's wasm backend (${REFERENCE.backend})`);
    expect(text).toContain(`PyTorch ${REFERENCE.torch!.version} on the CPU`);
    // The settings came from the URL.
    const checked = await page.locator(".maskau-speed-form input[type=checkbox]:checked").evaluateAll((is) => is.map((i) => (i as HTMLInputElement).value));
    expect(checked).toHaveLength(2);

    // Run: progress drawn between steps, then the two rows measured.
    await watchStatus(page);
    const started = Date.now();
    await page.locator("button[name=run]").click();
    await page.locator(".maskau-speed-status[data-status=finished]").waitFor({ timeout: 60_000 });
    console.log(`Speed page: gcn and detector_train (1 + 3 steps each) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const seen = await page.evaluate(() => (window as unknown as { seenStatus: string[] }).seenStatus);
    const steps = seen.filter((s) => s.startsWith("running:")).map((s) => Number(s.split(":")[1]));
    expect(new Set(steps).size, `progress drawn while running: ${seen.join(" ")}`).toBeGreaterThan(3);
    rows = await tableRows(page);
    for (const r of rows.slice(0, 2)) {
      console.log(`  ${r.workload}: ${r.medianMs.toFixed(1)} ms (min ${r.minMs.toFixed(1)}), ${r.gflops.toFixed(1)} GFLOP/s; recorded wasm ${r.wasmMs.toFixed(1)} ms (${r.vsWasm.toFixed(2)}x), torch ${r.torchMs.toFixed(1)} ms (${r.vsTorch.toFixed(2)}x)`);
      expect(Number.isFinite(r.medianMs) && r.medianMs > 0, r.workload).toBe(true);
      expect(r.minMs).toBeGreaterThan(0);
      expect(r.minMs).toBeLessThanOrEqual(r.medianMs);
      expect(r.gflops).toBeCloseTo(r.gflop / (r.medianMs / 1000), 6);
      expect(r.gflop).toBeCloseTo(REFERENCE.workloads[r.workload].gflop, 6);
      expect(r.steps).toBe(3);
      const [after, end] = r.tensors.split(",").map(Number);
      expect(after).toBeGreaterThan(0);
      expect(end, `${r.workload}: live tensors after the warm-up and at the end`).toBe(after);
      expect(r.vsWasm).toBeCloseTo(r.medianMs / r.wasmMs, 9);
      expect(r.vsTorch).toBeCloseTo(r.medianMs / r.torchMs, 9);
      expect(r.here).toMatch(/^[\d.]+ \([\d.]+\)$/);
    }
    for (const r of rows.slice(2)) expect(r.medianMs, r.workload).toBeNaN();
    const status = page.locator(".maskau-speed-status");
    expect(await status.getAttribute("data-tensors-after")).toBe(await status.getAttribute("data-tensors-before"));
    expect(await status.textContent()).toContain(`On ${here}.`);
    // A dot per figure: 2 measured here, 5 recorded wasm, 5 recorded torch.
    const chart = page.locator("figure.maskau-speed-chart");
    expect(await chart.getAttribute("data-points")).toBe("12");
    expect(await chart.locator("svg g[aria-label=dot] circle").count()).toBe(12 + 2);
    const detector = rows.find((r) => r.workload === "detector_train")!;
    const estimate = Number(await page.locator(".maskau-run-estimates tr[data-workload=detector_train]").getAttribute("data-seconds"));
    expect(estimate).toBeCloseTo((detector.medianMs * 1500) / 1000, 6);
    await page.screenshot({ path: `${SHOTS}/speed-1024.png`, fullPage: true });
    expect(await overflowing(page), "past the viewport or a card at 1024 px").toEqual([]);

    // Every workload, then Stop once the first is timed: the run ends early with what it timed.
    await page.locator(".maskau-speed-form input[type=checkbox]").evaluateAll((is) => {
      for (const i of is as HTMLInputElement[]) if (!i.checked) i.click();
    });
    expect(new URL(page.url()).searchParams.get("workloads")).toBeNull();
    expect(new URL(page.url()).searchParams.get("iters")).toBe("3");
    await page.locator("button[name=run]").click();
    await page.locator(".maskau-speed-table[data-measured]:not([data-measured='0'])").waitFor({ timeout: 60_000 });
    await page.locator("button[name=stop]").click();
    await page.locator(".maskau-speed-status[data-status=stopped]").waitFor({ timeout: 30_000 });
    const measured = Number(await page.locator(".maskau-speed-table:not(.maskau-run-estimates)").getAttribute("data-measured"));
    expect(measured).toBeGreaterThanOrEqual(1);
    expect(measured).toBeLessThan(WORKLOADS.length);
    expect(await status.textContent()).toMatch(/Stopped: \d of 5 workloads timed/);
    expect(await page.locator("button[name=run]").isEnabled()).toBe(true);
    expect(await status.getAttribute("data-tensors-after")).toBe(await status.getAttribute("data-tensors-before"));
    await page.close();
    expect(report.offsite, "requests that left the machine").toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
