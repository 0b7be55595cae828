// Timing of benchmark workloads with the anchor's method: build once, run
// `warmup` untimed steps, then time `iters` steps one by one. A step must wait
// for its result (read back a value) before the clock stops.

export interface TimingOptions {
  warmup: number;
  iters: number;
}

export interface Timing {
  medianMs: number;
  minMs: number;
  samplesMs: number[];
}

export function median(values: number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  const s = values.slice().sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Times `step` (which must resolve only once its result is computed). */
export async function timeSteps(step: () => Promise<void>, { warmup, iters }: TimingOptions): Promise<Timing> {
  for (let i = 0; i < warmup; i++) await step();
  const samplesMs: number[] = [];
  for (let i = 0; i < iters; i++) {
    const start = performance.now();
    await step();
    samplesMs.push(performance.now() - start);
  }
  return { medianMs: median(samplesMs), minMs: Math.min(...samplesMs), samplesMs };
}

/** Matrix-product throughput in GFLOP/s from a FLOP count and a time in ms. */
export function gflopsPerSecond(flops: number, ms: number): number {
  return flops / 1e9 / (ms / 1e3);
}
