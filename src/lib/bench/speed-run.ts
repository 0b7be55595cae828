// The benchmark workloads timed one step at a time on whatever backend is running, the way
// `maskau bench` times them (warm-up steps, then one timer per step, median; live tensors
// after the warm-up and after the last step), but giving the caller a turn between steps:
// a page draws its progress there and stays responsive, and a stop request ends the run
// after the step under way. No DOM: the page passes in how to yield.
import * as tf from "@tensorflow/tfjs-core";
import { gflopsPerSecond, median } from "./timing.js";
import { WORKLOADS } from "./workloads.js";

/** One workload as measured here. */
export interface SpeedRow {
  workload: string;
  gflop: number;
  medianMs: number;
  minMs: number;
  /** GFLOP of a step / median seconds per step. */
  gflopsPerS: number;
  /** Timed steps: fewer than asked when the run was stopped during this workload. */
  steps: number;
  /** Live tensors and bytes after the warm-up and after the last timed step. */
  tensors: [number, number];
  bytes: [number, number];
}

export interface SpeedProgress {
  workload: string;
  phase: "building" | "warm-up" | "timing";
  /** Steps done of every workload together, and their total (warm-up steps included). */
  done: number;
  total: number;
}

export interface SpeedRunOptions {
  /** Workload names (WORKLOADS), run in this order. */
  workloads: readonly string[];
  warmup: number;
  iters: number;
  seed?: number;
  /** Called between steps, outside the timed region: the caller's turn (a page paints here). */
  between: () => Promise<void>;
  /** Polled between steps: true ends the run after the step under way. */
  stopRequested: () => boolean;
  /** A workload finished (or was stopped with at least one timed step): its row. */
  onRow?: (row: SpeedRow) => void;
  onProgress?: (p: SpeedProgress) => void;
}

export interface SpeedRunResult {
  rows: SpeedRow[];
  stopped: boolean;
}

/** Times `workloads` in order; every workload is disposed before the next is built. */
export async function runSpeed(o: SpeedRunOptions): Promise<SpeedRunResult> {
  for (const w of o.workloads) if (!WORKLOADS[w]) throw new Error(`unknown workload "${w}" (choose from ${Object.keys(WORKLOADS).join(", ")})`);
  const total = o.workloads.length * (o.warmup + o.iters);
  const rows: SpeedRow[] = [];
  let done = 0;
  for (const name of o.workloads) {
    if (o.stopRequested()) return { rows, stopped: true };
    o.onProgress?.({ workload: name, phase: "building", done, total });
    await o.between();
    const workload = WORKLOADS[name](o.seed ?? 0);
    const samples: number[] = [];
    const tensors: number[] = [];
    const bytes: number[] = [];
    const sample = () => {
      const m = tf.memory();
      tensors.push(m.numTensors);
      bytes.push(m.numBytes);
    };
    let stopped = false;
    try {
      for (let i = 0; i < o.warmup + o.iters; i++) {
        const timed = i >= o.warmup;
        // After the warm-up: optimizer state and kernels exist, so the count should stay put from here.
        if (i === o.warmup) sample();
        o.onProgress?.({ workload: name, phase: timed ? "timing" : "warm-up", done, total });
        await o.between();
        if (o.stopRequested()) {
          stopped = true;
          break;
        }
        const start = performance.now();
        await workload.step();
        if (timed) samples.push(performance.now() - start);
        done++;
      }
      if (samples.length > 0) sample();
    } finally {
      workload.dispose();
    }
    if (samples.length > 0) {
      const medianMs = median(samples);
      const row: SpeedRow = {
        workload: name,
        gflop: workload.flops / 1e9,
        medianMs,
        minMs: Math.min(...samples),
        gflopsPerS: gflopsPerSecond(workload.flops, medianMs),
        steps: samples.length,
        tensors: [tensors[0], tensors[tensors.length - 1]],
        bytes: [bytes[0], bytes[bytes.length - 1]],
      };
      rows.push(row);
      o.onRow?.(row);
    }
    if (stopped) return { rows, stopped: true };
  }
  return { rows, stopped: false };
}
