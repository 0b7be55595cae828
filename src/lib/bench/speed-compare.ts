// The visitor's figures beside the recorded ones (reference.ts), workload by workload, and
// what they mean for typical runs: estimated times from the measured ms per step.
import { DETECTOR_DEFAULTS, PRETRAIN_DEFAULTS, STUDENT_DEFAULTS } from "../registry.js";
import type { BenchReference, RecordedFigure } from "./reference.js";
import type { SpeedRow } from "./speed-run.js";
import { SPEED_WORKLOADS, WORKLOAD_GFLOP } from "./speed-settings.js";

export interface SpeedComparison {
  workload: string;
  gflop: number;
  /** Measured here; null until the workload has run. */
  measured: SpeedRow | null;
  wasm: RecordedFigure | null;
  torch: RecordedFigure | null;
  /** Measured median ms / recorded median ms (above 1: slower than the record). */
  vsWasm: number | null;
  vsTorch: number | null;
}

/** One row per workload of `workloads` (all by default), in SPEED_WORKLOADS' order. */
export function compareSpeed(rows: readonly SpeedRow[], reference: BenchReference, workloads: readonly string[] = SPEED_WORKLOADS): SpeedComparison[] {
  return SPEED_WORKLOADS.filter((w) => workloads.includes(w)).map((workload) => {
    const measured = rows.find((r) => r.workload === workload) ?? null;
    const recorded = reference.workloads[workload];
    const wasm = recorded?.wasm ?? null;
    const torch = recorded?.torch ?? null;
    const ratio = (f: RecordedFigure | null) => (measured && f ? measured.medianMs / f.median_ms : null);
    return { workload, gflop: measured?.gflop ?? WORKLOAD_GFLOP[workload], measured, wasm, torch, vsWasm: ratio(wasm), vsTorch: ratio(torch) };
  });
}

/** A typical run and the workload whose step stands for one of its steps. */
export interface TypicalRun {
  label: string;
  workload: string;
  steps: number;
  /** How the workload differs from the run's step, said beside the estimate. */
  caveat: string;
}

/** The default lengths of `maskau pretrain`, `train detector` and `train student` (registry.ts). */
export const TYPICAL_RUNS: readonly TypicalRun[] = [
  { label: "Detector or teacher, stage 1", workload: "detector_train", steps: DETECTOR_DEFAULTS.steps, caveat: "the tiny ResNet at batch 32, as the workload" },
  { label: "Student distillation", workload: "student_kd_step", steps: STUDENT_DEFAULTS.steps, caveat: "the workload's encoder is 192 wide, twice the tiny student's, and runs no teacher" },
  { label: "MAE pretraining", workload: "mae_train", steps: PRETRAIN_DEFAULTS.steps, caveat: "the workload's MAE is 192 wide, twice the tiny preset's" },
];

export interface RunEstimate extends TypicalRun {
  /** Measured median ms per step × steps, in seconds; null until the workload has run. */
  seconds: number | null;
  /** The same from the recorded wasm and torch medians. */
  wasmSeconds: number | null;
  torchSeconds: number | null;
}

/** Estimated times of the typical runs: median ms per step × steps (training steps only). */
export function estimateRuns(rows: readonly SpeedRow[], reference: BenchReference): RunEstimate[] {
  return TYPICAL_RUNS.map((run) => {
    const measured = rows.find((r) => r.workload === run.workload);
    const recorded = reference.workloads[run.workload];
    const time = (ms: number | undefined) => (ms === undefined ? null : (ms * run.steps) / 1000);
    return { ...run, seconds: time(measured?.medianMs), wasmSeconds: time(recorded?.wasm?.median_ms), torchSeconds: time(recorded?.torch?.median_ms) };
  });
}
