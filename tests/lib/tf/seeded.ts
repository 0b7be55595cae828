// Seeded test inputs. Values are rounded to float32 once, here, so that the float64
// references and every backend start from exactly the same numbers.
import * as tf from "@tensorflow/tfjs-core";
import { Rng } from "../../../src/lib/data/prng.js";

/** n values uniform in [lo, hi), as float32. */
export function uniform(seed: number, n: number, lo = -1, hi = 1): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}

/** n integers uniform in [0, k). */
export function integers(seed: number, n: number, k: number): Int32Array {
  const rng = new Rng(seed);
  return Int32Array.from({ length: n }, () => rng.int(k));
}

/** n distinct values in [lo, hi), as float32, spaced at least `gap` apart (no ties for max/top-k). */
export function distinct(seed: number, n: number, lo = -1, hi = 1, gap = 1e-3): Float32Array {
  const rng = new Rng(seed);
  const slots = Math.floor((hi - lo) / gap);
  if (slots < n) throw new Error(`distinct: cannot place ${n} values ${gap} apart in [${lo}, ${hi})`);
  const picked = new Set<number>();
  while (picked.size < n) picked.add(rng.int(slots));
  const values = Float32Array.from(picked, (s) => lo + s * gap);
  return rng.shuffle(values);
}

/**
 * An optimizer test problem: seeded variables of the given shapes (named `prefix-<name>`)
 * and the seeded gradients of each step, in [-2, 2).
 */
export function seededProblem(shapes: Record<string, number[]>, prefix: string): { vars: Record<string, tf.Variable>; grads: (step: number) => tf.NamedTensorMap } {
  const entries = Object.entries(shapes);
  const vars: Record<string, tf.Variable> = {};
  for (const [i, [name, shape]] of entries.entries()) vars[name] = tf.variable(tf.tensor(uniform(10 + i, tf.util.sizeFromShape(shape)), shape), true, `${prefix}-${name}`);
  const grads = (step: number) =>
    tf.tidy(() => {
      const g: tf.NamedTensorMap = {};
      for (const [i, [name, shape]] of entries.entries()) g[name] = tf.tensor(uniform(100 * step + i, tf.util.sizeFromShape(shape), -2, 2), shape);
      return g;
    });
  return { vars, grads };
}
