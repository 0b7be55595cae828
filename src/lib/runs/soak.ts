// Soak: many training steps of each run kind through the run layer (createRun), with
// tfjs's live tensors and bytes sampled once the run has warmed up and again at the
// last step. A training loop that holds on to one tensor per step shows up here long
// before it runs a browser tab out of memory, so nothing may grow: the counts at the
// last step must equal those after the warm-up, exactly. `maskau soak` (npm run soak)
// runs 1,000 steps per kind; tests/lib/runs/soak.test.ts a short version.
//
// The runs are small on purpose (a few synthetic identities, batch 4, a fresh tiny MAE
// for the composites): what is measured is memory over time, not what the model learns.
import * as tf from "@tensorflow/tfjs-core";
import type { AUDataset } from "../data/dataset.js";
import { generateFaceDataset } from "../data/generate.js";
import { MAE_PRESETS } from "../config.js";
import { createDetector, detectorConfig } from "../models/detector.js";
import { createMae, type Mae } from "../models/mae.js";
import { createRun, describeData, type RunResources } from "./create.js";
import { detectorSpec, pretrainSpec, studentSpec, type DataSpec, type RunKind, type RunSpec } from "./spec.js";

/** The soak's dataset: 6 synthetic identities, 4 frames each (16 train / 8 test frames on fold 1). */
export const SOAK_DATA: DataSpec = { source: "synthetic", seed: 2, size: 64, generator: { subjects: 6, sequencesPerSubject: 1, framesPerSequence: 4 } };
export const SOAK_BATCH = 4;

/** What one soak run needs: its spec for `steps` steps, and resources built for it (released by `dispose`). */
export interface SoakCase {
  /** Row label, e.g. "detector s2 composite". */
  label: string;
  spec(steps: number): RunSpec;
  resources(dataset: AUDataset): { resources: RunResources; dispose(): void };
}

const train = (steps: number) => ({ steps, batch: SOAK_BATCH, warmup: 5, checkpointEvery: Math.max(1, Math.floor(steps / 4)) });
const plain = (dataset: AUDataset) => ({ resources: { dataset, dataDescription: describeData(SOAK_DATA, dataset) }, dispose() {} });

/** Detector input of the soak: composites of a fresh tiny MAE (the MAE is frozen; its weights do not matter here). */
function withMae(dataset: AUDataset) {
  const mae: Mae = createMae(MAE_PRESETS.tiny, { seed: 7 });
  return { resources: { dataset, dataDescription: describeData(SOAK_DATA, dataset), mae }, dispose: () => mae.dispose() };
}

const detectorCase = (stage: 1 | 2): SoakCase => ({
  label: `detector s${stage} composite`,
  spec: (steps) =>
    detectorSpec({ data: SOAK_DATA, fold: 1, seed: 1, stage, input: "composite", occlusion: "random:0.5", mae: { path: "soak:fresh-mae-tiny" }, train: train(steps) }),
  resources: withMae,
});

/**
 * Student input of the soak: a fresh tiny MAE twice (the composites the teacher reads; the
 * student's encoder, which the run owns and disposes) and a fresh stage-2 (MEFL) teacher.
 */
function withTeacher(dataset: AUDataset) {
  const mae: Mae = createMae(MAE_PRESETS.tiny, { seed: 7 });
  const studentMae: Mae = createMae(MAE_PRESETS.tiny, { seed: 7 });
  const teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: dataset.aus.length }), { seed: 8 });
  return {
    resources: { dataset, dataDescription: describeData(SOAK_DATA, dataset), mae, studentMae, teacher },
    dispose: () => {
      mae.dispose();
      teacher.dispose();
    },
  };
}

const studentCase: SoakCase = {
  label: "student kd",
  spec: (steps) =>
    studentSpec({
      data: SOAK_DATA,
      fold: 1,
      seed: 1,
      occlusion: "random:0.5",
      mae: { path: "soak:fresh-mae-tiny" },
      teacher: { path: "soak:fresh-mefl-teacher" },
      compositeVariants: 2,
      train: train(steps),
    }),
  resources: withTeacher,
};

/**
 * The soak runs of each run kind, keyed by the specs' own kinds (RunKind), so the
 * type admits only kinds the run layer has and `maskau soak --kind` offers exactly these.
 */
export const SOAK_CASES: { readonly [K in RunKind]?: readonly SoakCase[] } = {
  pretrain: [{ label: "pretrain", spec: (steps) => pretrainSpec({ data: SOAK_DATA, fold: 1, seed: 1, train: train(steps) }), resources: plain }],
  detector: [detectorCase(1), detectorCase(2)],
  student: [studentCase],
};

/** The run kinds that have a soak, in SOAK_CASES's order. */
export function soakKinds(): RunKind[] {
  return (Object.keys(SOAK_CASES) as RunKind[]).filter((k) => SOAK_CASES[k]?.length);
}

export interface SoakOptions {
  /** Training steps of each run. */
  steps: number;
  /** Step after which memory is first sampled (the warm-up: optimizer moments, lazily built buffers). */
  warmup: number;
  /** The dataset (default: SOAK_DATA generated in memory, no disk cache). */
  dataset?: AUDataset;
  /** Called after every step. */
  onStep?: (step: number) => void;
}

export interface SoakRow {
  kind: RunKind;
  label: string;
  steps: number;
  warmup: number;
  /** Live tensors and bytes after the warm-up step and after the last step. */
  tensors: [number, number];
  bytes: [number, number];
  /** Tensors still alive once the run and its resources are disposed, beyond those alive before it began. */
  leftover: number;
  /** Steps per second between the warm-up and the last step. */
  stepsPerSecond: number;
}

/** True when a row's memory did not stay flat (or the run left tensors behind). */
export function grew(row: SoakRow): boolean {
  return row.tensors[1] !== row.tensors[0] || row.bytes[1] !== row.bytes[0] || row.leftover !== 0;
}

export function soakDataset(): AUDataset {
  const g = SOAK_DATA.generator!;
  return generateFaceDataset({ preset: "bp4d", seed: SOAK_DATA.seed, size: SOAK_DATA.size, ...g });
}

/**
 * Runs one soak case to `steps` through createRun, sampling tf.memory() in the step
 * callback after step `warmup` and after the last step (both before that step's
 * checkpoint, which is encoded and dropped every steps/4 steps, so checkpoint
 * encoding is soaked too).
 */
export async function soakCase(kind: RunKind, c: SoakCase, o: SoakOptions): Promise<SoakRow> {
  if (!(Number.isInteger(o.steps) && Number.isInteger(o.warmup) && o.warmup >= 1 && o.warmup < o.steps)) {
    throw new Error(`soak: need integers 1 <= warmup < steps, got warmup ${o.warmup}, steps ${o.steps}`);
  }
  const dataset = o.dataset ?? soakDataset();
  const before = tf.memory().numTensors;
  const { resources, dispose } = c.resources(dataset);
  let at: { tensors: number; bytes: number; t: number } | undefined;
  let end: { tensors: number; bytes: number; t: number } | undefined;
  const sample = () => {
    const m = tf.memory();
    return { tensors: m.numTensors, bytes: m.numBytes, t: performance.now() };
  };
  try {
    const run = await createRun(c.spec(o.steps), resources, {
      createdBy: "maskau soak",
      save: async () => undefined,
      callbacks: {
        onStep: (r) => {
          if (r.step === o.warmup) at = sample();
          if (r.step === o.steps) end = sample();
          o.onStep?.(r.step);
        },
      },
    });
    try {
      await run.run();
    } finally {
      run.dispose();
    }
  } finally {
    dispose();
  }
  if (!at || !end) throw new Error(`soak ${c.label}: the run stopped before step ${o.steps}`);
  return {
    kind,
    label: c.label,
    steps: o.steps,
    warmup: o.warmup,
    tensors: [at.tensors, end.tensors],
    bytes: [at.bytes, end.bytes],
    leftover: tf.memory().numTensors - before,
    stepsPerSecond: ((o.steps - o.warmup) * 1000) / (end.t - at.t),
  };
}

/** Every soak case of the given kinds, one after the other (memory is process-wide). */
export async function soak(kinds: RunKind[], o: SoakOptions & { onCase?: (kind: RunKind, c: SoakCase) => void }): Promise<SoakRow[]> {
  const dataset = o.dataset ?? soakDataset();
  const rows: SoakRow[] = [];
  for (const kind of kinds) {
    const cases = SOAK_CASES[kind];
    if (!cases?.length) throw new Error(`no soak for run kind "${kind}" (have: ${soakKinds().join(", ")})`);
    for (const c of cases) {
      o.onCase?.(kind, c);
      rows.push(await soakCase(kind, c, { ...o, dataset }));
    }
  }
  return rows;
}

/** The soak table: run, steps, tensors and bytes after the warm-up / at the end, leftovers, steps/s, verdict. */
export function formatSoakTable(rows: SoakRow[]): string {
  const w = [...new Set(rows.map((r) => r.warmup))].join(",");
  const head = ["run", "steps", `tensors (step ${w} / end)`, `bytes (step ${w} / end)`, "left after dispose", "steps/s", ""];
  const body = rows.map((r) => [
    r.label,
    String(r.steps),
    `${r.tensors[0]} / ${r.tensors[1]}`,
    `${r.bytes[0]} / ${r.bytes[1]}`,
    String(r.leftover),
    r.stepsPerSecond.toFixed(1),
    grew(r) ? "GREW" : "flat",
  ]);
  const all = [head, ...body];
  const width = head.map((_, i) => Math.max(...all.map((row) => row[i].length)));
  return all.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(width[i]) : cell.padStart(width[i]))).join("  ").trimEnd()).join("\n");
}
