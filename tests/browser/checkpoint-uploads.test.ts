// Checkpoint files on the Evaluation page ("Load a checkpoint…" in the teacher and student
// slots), in Chromium on wasm. Hostile and odd files each get a message naming the problem
// and the fix while the other slot's model stays on the map and the page answers at once:
// a picture, text, an empty file, a checkpoint cut short, a header claiming terabytes, a
// plain safetensors file without metadata, the MAE where a detector is expected, a
// detector with a mis-shaped tensor, a detector of 8 AUs, a 2 GB file (refused by its size,
// never read), and the clean detector (ANFL) in the student slot. Then real checkpoints of
// src/checkpoints load in both slots: the page names the files, the feature maps note them,
// a sweep run here draws all four curves with the files named in its caption, a clicked
// point shows the file models' predictions, and the URL never holds a file. No console error.
// The odd files are made here: the detectors' with the lib's own checkpoint writer (the
// 8-AU one a real detector built on the cpu backend), the 2 GB one a sparse file.
import { closeSync, existsSync, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser, Page } from "playwright-core";
import { encode as encodePng } from "fast-png";
import { decodeCheckpoint, encodeCheckpoint } from "../../src/lib/io/checkpoint.js";
import { writeSafetensors } from "../../src/lib/io/safetensors.js";
import { createDetector, type DetectorConfig } from "../../src/lib/models/detector.js";
import { initBackend } from "../../src/lib/tf/backend.js";
import { chromiumAvailable, launchChromium } from "./chromium.js";
import { openPage } from "./open-page.js";
import { serveStatic, type StaticServer } from "./static-server.js";

const DIST = process.env.MASKAU_DIST ?? "dist";
const CKPT = "src/checkpoints";
const run = chromiumAvailable() || process.env.CI === "true" ? describe : describe.skip;

type Slot = "teacher" | "student";
type UploadFile = { name: string; mimeType: string; buffer: Buffer } | string;

const file = (name: string, buffer: Uint8Array): UploadFile => ({ name, mimeType: "application/octet-stream", buffer: Buffer.from(buffer) });

/** The clean detector with global_linear.fc.weight cut to half its columns: a file whose tensors no longer fit its metadata. */
function misShaped(): Uint8Array {
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(`${CKPT}/detector-tiny-clean.safetensors`)), "clean");
  const w = ckpt.tensors.get("global_linear.fc.weight")!;
  ckpt.tensors.set("global_linear.fc.weight", { shape: [64, 32], data: (w.data as Float32Array).slice(0, 64 * 32) });
  return encodeCheckpoint(ckpt.tensors, ckpt.meta!);
}

/** A real detector of the clean detector's architecture for DISFA's 8 AUs (fresh weights), with the metadata of one trained on that preset. */
async function eightAus(): Promise<Uint8Array> {
  await initBackend("cpu");
  const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(`${CKPT}/detector-tiny-clean.safetensors`)), "clean");
  const meta = ckpt.meta!;
  const config = { ...(meta.config.detector as DetectorConfig), numClasses: 8 };
  const detector = createDetector(config);
  try {
    const dataset = { ...(meta.dataset as Record<string, unknown>), config: { ...((meta.dataset as { config: object }).config), preset: "disfa" } };
    return encodeCheckpoint(await detector.stateDict(), { ...meta, config: { ...meta.config, detector: config }, dataset });
  } finally {
    detector.dispose();
  }
}

/** A 100-byte-scale safetensors file whose one tensor claims 2^40 floats (4 TB): nothing must be allocated for it. */
function hugeClaim(): Uint8Array {
  const header = JSON.stringify({ __metadata__: { format: "pt" }, "head.sc": { dtype: "F32", shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } });
  const bytes = new Uint8Array(8 + header.length + 16);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(new TextEncoder().encode(header), 8);
  return bytes;
}

interface Case {
  name: string;
  slot: Slot;
  file: UploadFile;
  error: RegExp;
}

/** What a slot says about its file, and which models the feature maps show. */
async function slotState(page: Page, slot: Slot): Promise<{ error: string | null; loaded: string | null; maps: string[]; missing: string[] }> {
  return page.evaluate((s) => {
    const root = document.querySelector(`.maskau-checkpoint-file[data-slot="${s}"]`);
    return {
      error: root?.querySelector(".maskau-checkpoint-error")?.textContent ?? null,
      loaded: root?.querySelector(".maskau-checkpoint-loaded")?.textContent ?? null,
      maps: [...document.querySelectorAll<HTMLElement>(".maskau-feature-map-card")].map((c) => c.dataset.model ?? ""),
      missing: [...document.querySelectorAll(".maskau-map-missing")].map((e) => e.textContent ?? ""),
    };
  }, slot);
}

run("Checkpoint files on the Evaluation page", () => {
  let browser: Browser;
  let server: StaticServer;
  let dir: string;
  beforeAll(async () => {
    if (!existsSync(`${DIST}/pages/evaluation.html`)) throw new Error("dist/ is missing the page: run `npm run build` first");
    dir = mkdtempSync(join(tmpdir(), "maskau-checkpoint-uploads-"));
    server = await serveStatic(DIST);
    browser = await launchChromium();
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("refuses each hostile file with its message while the page keeps working, then uses real checkpoints in the curves, maps and face view", async () => {
    const huge = join(dir, "huge.safetensors");
    const fd = openSync(huge, "w");
    ftruncateSync(fd, 2 * 2 ** 30);
    closeSync(fd);
    const teacherBytes = readFileSync(`${CKPT}/teacher-tiny-mefl-random0.5.safetensors`);
    const picture = encodePng({ width: 8, height: 8, data: new Uint8Array(8 * 8 * 3).fill(90), channels: 3 });
    const plain = writeSafetensors({ "conv1.weight": { dtype: "F32", shape: [2, 2], data: [1, 2, 3, 4] } });
    const cases: Case[] = [
      { name: "a PNG picture", slot: "teacher", file: file("face.png", picture), error: /^“face\.png” is not a safetensors checkpoint: it is a PNG picture\. Choose a \.safetensors checkpoint written by maskau train detector or maskau train student\./ },
      { name: "text", slot: "teacher", file: file("notes.safetensors", new TextEncoder().encode("my teacher, trained on Tuesday\n")), error: /^“notes\.safetensors” is not a safetensors checkpoint: it is text\. Choose a \.safetensors checkpoint/ },
      { name: "empty", slot: "teacher", file: file("empty.safetensors", new Uint8Array(0)), error: /^“empty\.safetensors” is empty \(0 bytes\)\. Choose a \.safetensors checkpoint/ },
      { name: "cut short", slot: "teacher", file: file("cut.safetensors", teacherBytes.subarray(0, Math.floor(teacherBytes.length * 0.6))), error: /^“cut\.safetensors” is cut short: its header describes [\d,]+ bytes of tensors, but only [\d,]+ follow it, so the file is incomplete\. Copy or download it again/ },
      { name: "header claiming 4 TB", slot: "teacher", file: file("claims.safetensors", hugeClaim()), error: /^“claims\.safetensors” is damaged or deliberately malformed: its header claims 4398\.0 GB of tensors, but only 16 bytes follow the header; it was not read further and nothing was allocated for it\./ },
      { name: "no metadata", slot: "teacher", file: file("weights.safetensors", plain), error: /^“weights\.safetensors” has no MaskAU metadata \(a plain safetensors file.*\): it does not say which model it holds/ },
      { name: "the MAE", slot: "teacher", file: `${CKPT}/mae-tiny.safetensors`, error: /^“mae-tiny\.safetensors” holds an MAE \(the masked autoencoder that makes the composites\), not an AU detector\. The teacher slot takes an ME-GraphAU AU detector written by maskau train detector/ },
      { name: "mis-shaped tensor", slot: "teacher", file: file("reshaped.safetensors", misShaped()), error: /^“reshaped\.safetensors” does not fit the ANFL detector its metadata describes \(.*mis-shaped global_linear\.fc\.weight \[64,32\] vs \[64,64\]\).*Write it again with maskau train/ },
      { name: "8 AUs", slot: "teacher", file: file("disfa.safetensors", await eightAus()), error: /^“disfa\.safetensors” predicts 8 AUs, but the held-out faces here are labelled with 12 \(BP4D's AU1, AU2, .*\), so its outputs cannot be scored against them \(its metadata says it was trained on the disfa preset\)\. Choose a checkpoint trained on the BP4D preset/ },
      { name: "2 GB file", slot: "teacher", file: huge, error: /^“huge\.safetensors” is 2\.1 GB, more than the 200\.0 MB a checkpoint may be here; it was not read\./ },
      { name: "clean detector as student", slot: "student", file: `${CKPT}/detector-tiny-clean.safetensors`, error: /^“detector-tiny-clean\.safetensors” holds a stage-1 \(ANFL\) ME-GraphAU detector trained on clean faces, not a student: choose it in the Teacher slot/ },
    ];

    const { page, report } = await openPage(browser, `${server.url}/pages/evaluation?backend=wasm&frames=2&faces=8`);
    const maps = page.locator(".maskau-feature-map-card");
    await maps.nth(1).waitFor({ timeout: 180_000 });

    // The teacher slot takes a file: none chosen yet, so the teacher's map is left out, saying what to do; the student's stays.
    await page.getByLabel("Teacher", { exact: true }).selectOption({ label: "Load a checkpoint…" });
    const inputs: Record<Slot, ReturnType<Page["getByLabel"]>> = { teacher: page.getByLabel("Teacher file"), student: page.getByLabel("Student file") };
    await inputs.teacher.waitFor({ timeout: 30_000 });
    await expect.poll(async () => (await slotState(page, "teacher")).maps.join(), { timeout: 120_000 }).toBe("student (e)");
    expect((await slotState(page, "teacher")).missing.join()).toMatch(/teacher \(d\): no checkpoint file chosen for the teacher yet/);

    const rows: string[] = [];
    for (const c of cases) {
      if (c.slot === "student" && !(await inputs.student.isVisible())) await page.getByLabel("Student", { exact: true }).selectOption({ label: "Load a checkpoint…" });
      const t0 = Date.now();
      await inputs[c.slot].setInputFiles(c.file);
      let last = await slotState(page, c.slot);
      const other = c.slot === "teacher" ? "student (e)" : "teacher (d)";
      // Settled: the message, and the maps redrawn with the other slot's model only.
      await expect
        .poll(
          async () => {
            last = await slotState(page, c.slot);
            return last.error !== null && c.error.test(last.error) && last.loaded === null && last.maps.join() === other && last.missing.some((m) => m.includes(last.error!));
          },
          { timeout: 120_000, message: `${c.name}: ${JSON.stringify(last)}` },
        )
        .toBe(true);
      const ms = Date.now() - t0;
      const t1 = Date.now();
      expect(await page.evaluate(() => 6 * 7)).toBe(42);
      expect(Date.now() - t1, `${c.name}: the page answers an evaluate`).toBeLessThan(2000);
      rows.push(`${c.name.padEnd(26)} ${c.slot.padEnd(7)} ${String(ms).padStart(6)} ms  ${last.error}`);
      // The student slot's refusal checked, the teacher goes back to a real file so the student's case shows the teacher's map.
      if (c.slot === "teacher" && cases[cases.indexOf(c) + 1]?.slot === "student") {
        await inputs.teacher.setInputFiles(`${CKPT}/teacher-tiny-mefl-block0.3.safetensors`);
        await expect.poll(async () => (await slotState(page, "teacher")).loaded, { timeout: 120_000 }).toMatch(/teacher-tiny-mefl-block0\.3\.safetensors/);
      }
    }
    console.log(rows.join("\n"));

    // Real checkpoints in both slots: the page names each file and what it holds.
    await inputs.student.setInputFiles(`${CKPT}/student-tiny-random0.5.safetensors`);
    await expect.poll(async () => (await slotState(page, "student")).loaded, { timeout: 120_000 }).toMatch(
      /^Loaded from this computer: student-tiny-random0\.5\.safetensors \(2\.5 MB\), student \(MAE encoder, alignment, MEFL head\), 12 AUs, 1,500 steps\. A file is not kept in the URL/,
    );
    expect((await slotState(page, "teacher")).loaded).toMatch(/^Loaded from this computer: teacher-tiny-mefl-block0\.3\.safetensors \(836\.1 kB\), ME-GraphAU stage 2 \(MEFL\), ResNet backbone, 12 AUs, [\d,]+ steps\./);
    await expect.poll(async () => (await slotState(page, "teacher")).maps.join(), { timeout: 120_000 }).toBe("teacher (d),student (e)");
    const notes = await maps.locator(".maskau-map-note, figcaption, p").allTextContents();
    expect(notes.join(" ")).toContain("“teacher-tiny-mefl-block0.3.safetensors”");
    expect(notes.join(" ")).toContain("“student-tiny-random0.5.safetensors”");

    // No record covers a file: Run sweep computes the four curves here, the files named in the caption.
    await expect.poll(() => page.locator(".maskau-sweep-idle").textContent(), { timeout: 60_000 }).toMatch(/No precomputed record covers a checkpoint loaded from a file/);
    const t0 = Date.now();
    await page.getByRole("button", { name: "Run sweep" }).click();
    const curves = page.locator('.maskau-sweep-curves[data-source="browser"]');
    await curves.waitFor({ timeout: 180_000 });
    console.log(`sweep with two checkpoint files (7 ratios x 8 faces x 4 models) on wasm: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    expect(await curves.getAttribute("data-points")).toBe("28");
    expect(await curves.locator("svg g[aria-label=line] path").count()).toBe(4);
    expect(await curves.locator("figcaption").textContent()).toMatch(/teacher: file “teacher-tiny-mefl-block0\.3\.safetensors”; student: file “student-tiny-random0\.5\.safetensors”/);
    expect(await page.locator(".maskau-au-heatmap").count()).toBe(4);

    // A clicked point shows the face with the file models' predictions.
    const card = maps.nth(1);
    const pixels = JSON.parse((await card.getAttribute("data-pixels"))!) as number[];
    const svg = card.locator("svg.maskau-map-plot");
    await svg.scrollIntoViewIfNeeded();
    const box = (await svg.boundingBox())!;
    const scale = box.width / Number(await svg.getAttribute("width"));
    await page.mouse.click(box.x + pixels[6] * scale, box.y + pixels[7] * scale);
    const shown = page.locator(".maskau-selected-face");
    await shown.waitFor({ timeout: 30_000 });
    expect(await shown.locator(".maskau-pred-table thead th").allTextContents()).toEqual(["AU", "label", "teacher (d)", "student (e)"]);
    expect(await shown.locator(".maskau-pred-table tbody tr").count()).toBe(12);

    // The URL keeps the shipped choices; a file is never in it.
    const params = new URL(page.url()).searchParams;
    expect(params.get("teacher")).toBeNull();
    expect(params.get("student")).toBeNull();
    expect(page.url()).not.toMatch(/safetensors|file/);
    expect(params.get("sweep")).toBe("run");

    await page.close();
    expect(report.offsite).toEqual([]);
    expect(report.errors).toEqual([]);
  });
});
