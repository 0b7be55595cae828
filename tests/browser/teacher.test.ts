// The Teacher page in Chromium: the Table-2 F1 table and bars, the learned relation
// graph beside the label co-occurrence, and the predictions for one occluded face
// appear, with each detector's agreement over all held-out faces; a short teacher run on
// MAE composites moves the loss and held-out F1 curves and downloads as a checkpoint and as its run record;
// no console error and nothing fetched from off the machine.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { loadDetector } from "../../src/lib/models/detector-checkpoint.js";
import { checkRecord } from "../../src/lib/records/check.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { builtFile, builtModule } from "./built.js";
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


type AgreementRow = { condition: string; meanF1: number; meanAcc: number; rightPerFace: number; cells: string[] };

/** The agreement table's rows as drawn (each value at full precision from its data attributes). */
async function agreementRows(page: Page): Promise<AgreementRow[]> {
  return page.evaluate(() =>
    [...document.querySelectorAll<HTMLElement>(".maskau-agreement tr[data-condition]")].map((tr) => ({
      condition: tr.dataset.condition ?? "",
      meanF1: Number(tr.dataset.meanF1),
      meanAcc: Number(tr.dataset.meanAcc),
      rightPerFace: Number(tr.dataset.rightPerFace),
      cells: [...tr.querySelectorAll("td")].map((td) => td.textContent ?? ""),
    })),
  );
}

/**
 * heldOutAgreement computed in the page itself (the site's built modules, the page's tfjs
 * and backend) on the page's held-out faces and the shipped models, under `occlusion`.
 */
async function agreementInPage(page: Page, occlusion: string): Promise<Omit<AgreementRow, "cells">[]> {
  const modules = Object.fromEntries(
    ["lib/eval/held-out-agreement", "lib/data/page-dataset", "lib/models/detector-checkpoint", "lib/models/mae-checkpoint", "lib/masks/spec", "lib/config"].map((m) => [m, builtModule(DIST, m)]),
  );
  const files = Object.fromEntries(["detector-tiny-clean", "teacher-tiny-random0.5", "mae-tiny"].map((f) => [f, builtFile(DIST, `_file/checkpoints/${f}.safetensors`)]));
  // A string, so that the test runner does not rewrite the dynamic imports.
  return (await page.evaluate(`(async () => {
    const m = ${JSON.stringify(modules)};
    const f = ${JSON.stringify(files)};
    const { heldOutAgreement } = await import(m["lib/eval/held-out-agreement"]);
    const { heldOutFaces } = await import(m["lib/data/page-dataset"]);
    const { loadDetector } = await import(m["lib/models/detector-checkpoint"]);
    const { loadMae } = await import(m["lib/models/mae-checkpoint"]);
    const { parseOcclusion } = await import(m["lib/masks/spec"]);
    const { MAE_PRESETS } = await import(m["lib/config"]);
    const bytes = async (u) => new Uint8Array(await (await fetch(u)).arrayBuffer());
    const clean = loadDetector(await bytes(f["detector-tiny-clean"])).detector;
    const teacher = loadDetector(await bytes(f["teacher-tiny-random0.5"])).detector;
    const { mae } = loadMae(await bytes(f["mae-tiny"]));
    const { imgSize, patchSize } = MAE_PRESETS.tiny;
    try {
      const a = await heldOutAgreement({ clean, teacher, mae }, heldOutFaces(imgSize, 3), parseOcclusion(${JSON.stringify(occlusion)}), patchSize);
      return Object.entries(a.conditions).map(([condition, s]) => ({ condition, meanF1: s.meanF1, meanAcc: s.meanAcc, rightPerFace: s.rightPerFace }));
    } finally {
      clean.dispose(); teacher.dispose(); mae.dispose();
    }
  })()`)) as Omit<AgreementRow, "cells">[];
}

run("Teacher page", () => {
  let browser: Browser;
  let server: StaticServer;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/teacher.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    mkdirSync(SHOTS, { recursive: true });
    server = await serveStatic(DIST);
    browser = await launchChromium();
    // To read the downloaded checkpoint here.
    await initNodeBackend("cpu");
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
    // By default the run is a teacher: composites of random:0.5 faces, from the clean detector.
    expect(await page.locator(".maskau-run-status p").first().textContent()).toMatch(/^Finished 6 steps; held-out mean F1/);
    expect(await page.locator(".maskau-train-curves").textContent()).toContain("shipped teacher (d)");

    // The trained teacher downloads as a checkpoint the detector loader reads, its metadata naming the condition.
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator(".maskau-run-controls button[name=download]").click()]);
    expect(download.suggestedFilename()).toBe("teacher-tiny-random0.5-step6.safetensors");
    const checkpointBytes = readFileSync(await download.path());
    const loaded = loadDetector(new Uint8Array(checkpointBytes), { source: download.suggestedFilename() });
    const config = loaded.meta.config as { condition: { input: string; occlusion: string }; train: { init: string | null }; stage: number };
    expect(config.condition).toMatchObject({ input: "composite", occlusion: "random:0.5" });
    expect(config.train.init).toBe("shipped:detector-tiny-clean.safetensors");
    expect(config.stage).toBe(1);
    expect(loaded.meta.step).toBe(6);
    expect(loaded.meta.createdBy).toMatch(/^MaskAU Teacher page \(wasm\): maskau train detector .*--input composite --mae src\/checkpoints\/mae-tiny\.safetensors/);
    expect(loaded.detector.config.head).toBe("anfl");
    loaded.detector.dispose();

    // ... and its run record, for a report page once dropped into src/data/records: the same
    // bytes' SHA-256, the browser's backend, the run's loss history.
    const [recordDownload] = await Promise.all([page.waitForEvent("download"), page.locator(".maskau-run-controls button[name=record]").click()]);
    expect(recordDownload.suggestedFilename()).toBe("teacher-tiny-random0.5-step6.json");
    const record = checkRecord(JSON.parse(readFileSync(await recordDownload.path(), "utf8")), "downloaded record");
    expect(record).toMatchObject({ id: "teacher-tiny-random0.5-step6", kind: "teacher", condition: { input: "composite", occlusion: "random:0.5" } });
    expect(record.checkpoint).toMatchObject({ path: "teacher-tiny-random0.5-step6.safetensors", sha256: createHash("sha256").update(checkpointBytes).digest("hex"), bytes: checkpointBytes.length, step: 6 });
    expect(record.environment).toMatchObject({ scope: "training", backend: "wasm", commit: null, packages: { "@tensorflow/tfjs-core": "4.22.0" } });
    expect(record.history.at(-1)?.step).toBe(6);
    expect(record.command).toBe(loaded.meta.createdBy);

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

  it("scores each detector on all held-out faces beside the one face, as the lib function does", async () => {
    const { page, report } = await openPage(browser, `${server.url}/pages/teacher?backend=wasm&face=1&occlusion=random:0.5:2`);
    // A placeholder says what is being done, then four rows.
    const rows = page.locator(".maskau-agreement tr[data-condition]");
    await rows.nth(3).waitFor({ timeout: 180_000 });
    const agreement = page.locator(".maskau-agreement");
    const faces = Number(await agreement.getAttribute("data-faces"));
    expect(faces).toBeGreaterThan(20);
    expect(await agreement.getAttribute("data-occlusion")).toBe("random:0.5:2");
    expect(await agreement.textContent()).toContain(`All ${faces} held-out faces`);
    const shown = await agreementRows(page);
    expect(shown.map((r) => r.condition)).toEqual(["(a)", "(b)", "(c)", "(d)"]);
    for (const r of shown) {
      expect(r.meanF1).toBeGreaterThan(0);
      expect(r.meanF1).toBeLessThanOrEqual(1);
      expect(r.cells[0]).toBe(`${(100 * r.meanF1).toFixed(1)}%`);
      expect(r.cells[1]).toBe(`${(100 * r.meanAcc).toFixed(1)}%`);
      expect(r.cells[2]).toBe(r.rightPerFace.toFixed(1));
    }
    // The same numbers as the lib function on the same faces and models, in this page.
    expect(await agreementInPage(page, "random:0.5:2")).toEqual(shown.map(({ cells: _, ...r }) => r));
    // "this face" is the one-face table's count.
    await page.locator(".maskau-pred-table tbody tr").nth(11).waitFor({ timeout: 60_000 });
    const correct = (await page.locator(".maskau-pred-table tfoot td").allTextContents()).slice(2);
    await expect.poll(async () => (await agreementRows(page)).map((r) => r.cells[4])).toEqual(correct);
    await page.locator(".maskau-agreement").screenshot({ path: `${SHOTS}/teacher-agreement.png` });

    // Another face: the same figures at once (the agreement depends on the occlusion only).
    await page.evaluate(() => {
      const label = [...document.querySelectorAll("label")].find((l) => l.textContent === "Held-out face")!;
      const input = label.parentElement!.querySelector<HTMLInputElement>("input[type=number]")!;
      input.value = "4";
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
    await expect.poll(() => new URL(page.url()).searchParams.get("face"), { timeout: 30_000 }).toBe("4");
    expect(await page.locator(".maskau-agreement .maskau-pending").count()).toBe(0);
    expect((await agreementRows(page)).map(({ cells: _, ...r }) => r)).toEqual(shown.map(({ cells: _, ...r }) => r));

    // A block: new figures, again the lib function's.
    await page.getByLabel("block", { exact: true }).check();
    await page.waitForFunction(() => document.querySelector(".maskau-agreement")?.getAttribute("data-occlusion")?.startsWith("block:"), null, { timeout: 180_000 });
    const occlusion = (await agreement.getAttribute("data-occlusion"))!;
    expect(new URL(page.url()).searchParams.get("occlusion")).toBe(occlusion);
    const block = await agreementRows(page);
    expect(block.map((r) => r.meanF1)).not.toEqual(shown.map((r) => r.meanF1));
    expect(await agreementInPage(page, occlusion)).toEqual(block.map(({ cells: _, ...r }) => r));
    await page.screenshot({ path: `${SHOTS}/teacher-agreement-block.png`, fullPage: true });
    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });

  it("lays out at 1400, 1024 and 700 px with nothing sticking out of the page or its card", async () => {
    const { overflow, reports } = await screenshotWidths(browser, `${server.url}/pages/teacher`, {
      name: "teacher",
      shots: SHOTS,
      ready: async (page) => {
        await page.locator(".maskau-pred-table tbody tr").nth(11).waitFor({ timeout: 180_000 });
        await page.locator(".maskau-agreement tr[data-condition]").nth(3).waitFor({ timeout: 180_000 });
      },
    });
    expect(overflow).toEqual({ 1400: [], 1024: [], 700: [] });
    for (const r of reports) expect(r.errors).toEqual([]);
  });
});
