// Gradient and memory checks shared by the ANFL and MEFL head tests.
import * as tf from "@tensorflow/tfjs-core";
import { expect } from "vitest";
import type { ParamStore } from "../../../src/lib/models/params.js";

export interface GradientReport {
  /** Trainable parameters that got no gradient at all. */
  missing: string[];
  /** Parameters whose gradient is zero everywhere (or under 1e-7 of the largest). */
  zero: string[];
  maxAbs: Record<string, number>;
  largest: number;
  nonFinite: string[];
}

export async function gradientReport(params: ParamStore, loss: () => tf.Scalar): Promise<GradientReport> {
  const vars = params.trainable();
  const byId = new Map(Object.entries(vars).map(([name, v]) => [v.name, name]));
  const { value, grads } = tf.variableGrads(loss, Object.values(vars));
  const maxAbs: Record<string, number> = {};
  const nonFinite: string[] = [];
  for (const [id, g] of Object.entries(grads)) {
    const name = byId.get(id)!;
    const data = await g.data();
    let m = 0;
    for (const v of data) {
      if (!Number.isFinite(v)) nonFinite.push(name);
      m = Math.max(m, Math.abs(v));
    }
    maxAbs[name] = m;
  }
  tf.dispose([value, ...Object.values(grads)]);
  const largest = Math.max(...Object.values(maxAbs));
  const missing = Object.keys(vars).filter((n) => !(n in maxAbs));
  const zero = Object.keys(maxAbs).filter((n) => !(maxAbs[n] > 1e-7 * largest));
  expect(nonFinite).toEqual([]);
  return { missing, zero, maxAbs, largest, nonFinite };
}

/** Runs `steps` gradient steps (SGD on the trainable variables, BatchNorm updates applied); the tensor count must not grow after the first. */
export async function leakCheck(
  head: { params: ParamStore; commitBatchNorm(): void },
  loss: () => tf.Scalar,
  steps: number,
): Promise<void> {
  const vars = head.params.trainable();
  const counts: number[] = [];
  for (let s = 0; s < steps; s++) {
    const { value, grads } = tf.variableGrads(loss, Object.values(vars));
    tf.tidy(() => {
      for (const v of Object.values(vars)) v.assign(tf.sub(v, tf.mul(grads[v.name], 1e-3)));
    });
    head.commitBatchNorm();
    await value.data();
    tf.dispose([value, ...Object.values(grads)]);
    counts.push(tf.memory().numTensors);
  }
  expect(new Set(counts.slice(1)).size, `tensor counts per step: ${counts}`).toBe(1);
  expect(counts[steps - 1]).toBe(counts[0]);
  const nbt = head.params.names().find((n) => n.endsWith("num_batches_tracked"))!;
  expect((await head.params.get(nbt).data())[0]).toBe(steps);
}
