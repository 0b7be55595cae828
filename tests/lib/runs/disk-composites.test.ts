// The disk cache of composites (diskComposites, runs/node.ts) serves only composites that the
// same arithmetic made: its key holds compositeFingerprint, so composites another backend
// (or another build: two builds of MaskAU differed in 153 bytes of test fold 1's block:0.3
// composites, which moved an F1 of Table 2) wrote under the same MAE, data, occlusion and
// frames are recomputed, while the same computation finds its own file again.
import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { buildComposites, compositeFingerprint } from "../../../src/lib/eval/composites.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";
import { diskComposites, loadMaeFile } from "../../../src/lib/runs/node.js";
import { useBackend } from "../tf/backends.js";

const dir = mkdtempSync(join(tmpdir(), "maskau-disk-composites-"));
const saved = process.env.MASKAU_CACHE_DIR;
afterAll(() => {
  if (saved === undefined) delete process.env.MASKAU_CACHE_DIR;
  else process.env.MASKAU_CACHE_DIR = saved;
  rmSync(dir, { recursive: true, force: true });
});

describe("disk cache of composites", () => {
  it("finds its own composites again and never serves those of another computation", { timeout: 300_000 }, async () => {
    process.env.MASKAU_CACHE_DIR = dir;
    await useBackend("wasm");
    const tensorsBefore = tf.memory().numTensors;
    const dataset = generateFaceDataset({ preset: "bp4d", seed: 6, subjects: 3, sequencesPerSubject: 1, framesPerSequence: 4, size: 64 });
    const m = loadMaeFile("src/checkpoints/mae-tiny.safetensors");
    const frames = Int32Array.from({ length: 12 }, (_, i) => i);
    const occ = parseOcclusion("block:0.3");
    const source = diskComposites(m, dataset, { data: "test" });
    try {
      const first = await source(frames, occ, 0, "test");
      expect(first.images).toEqual((await buildComposites(m.mae, dataset, frames, occ)).images);
      const files = readdirSync(dir);
      expect(files).toHaveLength(1);
      // The same computation reads the file back: stand-in bytes written there are what it gets.
      const stale = new Uint8Array(first.images.length).fill(7);
      writeFileSync(join(dir, files[0]), stale);
      expect((await source(frames, occ, 0, "test")).images).toEqual(stale);

      // Another backend computes other floats: another key, composites computed afresh.
      const wasmPrint = await compositeFingerprint(m.mae, dataset, frames, occ);
      await useBackend("cpu");
      expect(await compositeFingerprint(m.mae, dataset, frames, occ)).not.toBe(wasmPrint);
      const onCpu = await source(frames, occ, 0, "test");
      expect(onCpu.images).not.toEqual(stale);
      expect(onCpu.images).toEqual((await buildComposites(m.mae, dataset, frames, occ)).images);
      expect(readdirSync(dir)).toHaveLength(2);
    } finally {
      await useBackend("wasm");
      m.mae.dispose();
    }
    expect(tf.memory().numTensors).toBe(tensorsBefore);
  });
});
