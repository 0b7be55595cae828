// Composites of the same frames computed several ways, hashed: shared by composites.test.ts
// (in process, one thread) and composites.child.ts (a child process at MASKAU_WASM_THREADS).
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { buildComposites, compositeFingerprint } from "../../../src/lib/eval/composites.js";
import { parseOcclusion } from "../../../src/lib/masks/spec.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";

export const SHIPPED_MAE = "src/checkpoints/mae-tiny.safetensors";

export interface ProbeReport {
  /** Per occlusion and variant: the composite bytes' hash for each MAE batch size. */
  bytes: Record<string, Record<string, string>>;
  /** Per occlusion and variant: compositeFingerprint, twice. */
  fingerprints: Record<string, [string, string]>;
}

const sha = (u: Uint8Array) => createHash("sha256").update(u).digest("hex").slice(0, 16);

/** 75 faces at 64 px (more than one MAE batch of 64) under three occlusions. */
export async function probeComposites(): Promise<ProbeReport> {
  const dataset = generateFaceDataset({ preset: "bp4d", seed: 4, subjects: 3, sequencesPerSubject: 1, framesPerSequence: 25, size: 64 });
  const { mae } = loadMae(new Uint8Array(readFileSync(SHIPPED_MAE)), { source: SHIPPED_MAE });
  // Frames in a shuffled order, as a fold's list may be.
  const frames = Int32Array.from({ length: 75 }, (_, i) => (i * 37) % 75);
  const report: ProbeReport = { bytes: {}, fingerprints: {} };
  try {
    for (const [text, variant] of [["block:0.3", 0], ["random:0.5", 0], ["random:0.5", 2]] as const) {
      const occ = parseOcclusion(text);
      const key = `${text} variant ${variant}`;
      report.bytes[key] = {};
      for (const batchSize of [64, 32, 7]) {
        report.bytes[key][`batch ${batchSize}`] = sha((await buildComposites(mae, dataset, frames, occ, { batchSize, variant })).images);
      }
      report.fingerprints[key] = [await compositeFingerprint(mae, dataset, frames, occ, { variant }), await compositeFingerprint(mae, dataset, frames, occ, { variant })];
    }
  } finally {
    mae.dispose();
  }
  return report;
}
