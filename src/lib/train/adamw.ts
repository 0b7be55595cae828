// AdamW with torch.optim.AdamW semantics (single-tensor, non-fused, amsgrad off):
//   step += 1
//   p   <- p * (1 - lr * weight_decay)                  decoupled weight decay, before Adam
//   m   <- m + (g - m) * (1 - beta1)                    exp_avg.lerp_(grad, 1 - beta1)
//   v   <- v * beta2 + g * g * (1 - beta2)              exp_avg_sq
//   p   <- p - lr / (1 - beta1^step) * m / (sqrt(v) / sqrt(1 - beta2^step) + eps)
// The state (step, exp_avg and exp_avg_sq per parameter) is plain data, so it goes into
// checkpoints and comes back bit for bit. tfjs's own Adam is not used: it differs in
// epsilon placement and has no decoupled weight decay.
import * as tf from "@tensorflow/tfjs-core";
import { FUSED_ADAMW, FUSED_MIN_SIZE, hasFused } from "../tf/fused.js";
import type { Optimizer, OptimizerState } from "./trainer.js";

export interface AdamWOptions {
  /** Coefficients of the running averages of the gradient and its square. torch: (0.9, 0.999). */
  betas?: [number, number];
  /** Added to the denominator for numerical stability. torch: 1e-8. */
  eps?: number;
  /** Decoupled weight decay; the paper's runs use 5e-4. torch: 1e-2. */
  weightDecay?: number;
  /**
   * Whether a parameter decays (default: all do). Return false for biases and norm
   * weights to mirror a torch parameter group with weight_decay = 0.
   */
  decays?: (name: string) => boolean;
  /**
   * Learning-rate multiplier of a parameter (default 1 for all): a torch parameter group
   * with its own lr, e.g. a pretrained encoder fine-tuned at a tenth of the head's rate.
   */
  lrScale?: (name: string) => number;
}

/** Buffer names in the state, per parameter: torch's state keys. */
export const EXP_AVG = "exp_avg";
export const EXP_AVG_SQ = "exp_avg_sq";

interface Moments {
  expAvg: tf.Variable;
  expAvgSq: tf.Variable;
}

export class AdamW implements Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  private readonly decays: (name: string) => boolean;
  private readonly lrScale: (name: string) => number;
  /** Updates made so far (torch's state["step"], shared by all parameters here). */
  private step = 0;
  private moments = new Map<string, Moments>();

  constructor(options: AdamWOptions = {}) {
    const [beta1, beta2] = options.betas ?? [0.9, 0.999];
    this.beta1 = beta1;
    this.beta2 = beta2;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
    this.decays = options.decays ?? (() => true);
    this.lrScale = options.lrScale ?? (() => 1);
    for (const [name, b] of [["beta1", beta1], ["beta2", beta2]] as const) {
      if (!(b >= 0 && b < 1)) throw new Error(`AdamW: ${name} must be in [0, 1), got ${b}`);
    }
    if (!(this.eps >= 0)) throw new Error(`AdamW: eps must be >= 0, got ${this.eps}`);
    if (!(this.weightDecay >= 0)) throw new Error(`AdamW: weightDecay must be >= 0, got ${this.weightDecay}`);
  }

  /** Number of updates made so far. */
  get stepCount(): number {
    return this.step;
  }

  /**
   * One update of every variable with learning rate `lr`. `grads` are keyed by the same
   * names as `variables`, and every variable needs one (torch would skip a parameter
   * without a gradient and keep a separate step count for it; here the step is shared).
   * The gradients are not disposed.
   */
  update(variables: Record<string, tf.Variable>, grads: tf.NamedTensorMap, lr: number): void {
    if (!(lr >= 0)) throw new Error(`AdamW: the learning rate must be >= 0, got ${lr}`);
    const names = Object.keys(variables);
    const missing = names.filter((n) => !grads[n]);
    if (missing.length > 0) {
      throw new Error(`AdamW: no gradient for ${missing.map((n) => `"${n}"`).join(", ")}; pass one for every variable`);
    }
    const unknown = Object.keys(grads).filter((n) => !(n in variables));
    if (unknown.length > 0) {
      throw new Error(`AdamW: gradients for unknown variables ${unknown.map((n) => `"${n}"`).join(", ")}`);
    }
    for (const name of names) {
      const [v, g] = [variables[name], grads[name]];
      if (v.shape.join(",") !== g.shape.join(",")) {
        throw new Error(`AdamW: gradient of "${name}" has shape [${g.shape}] but the variable has [${v.shape}]`);
      }
      this.momentsFor(name, v);
    }
    const step = this.step + 1;
    const bias2Sqrt = Math.sqrt(1 - this.beta2 ** step);
    const fusedKernel = hasFused(FUSED_ADAMW);
    for (const name of names) {
      const p = variables[name];
      const { expAvg, expAvgSq } = this.moments.get(name)!;
      const scale = this.lrScale(name);
      const lrP = scale === 1 ? lr : lr * scale;
      const stepSize = lrP / (1 - this.beta1 ** step);
      const decay = this.decays(name) ? 1 - lrP * this.weightDecay : 1;
      tf.tidy(() => {
        const g = grads[name];
        if (fusedKernel && p.dtype === "float32" && g.dtype === "float32" && p.size >= FUSED_MIN_SIZE) {
          // One pass with the same float32 operations in the same order as below.
          const attrs = {
            oneMinusBeta1: 1 - this.beta1, beta2: this.beta2, oneMinusBeta2: 1 - this.beta2,
            bias2Sqrt, eps: this.eps, decay, stepSize,
          };
          const [p2, m2, v2] = tf.engine().runKernel(FUSED_ADAMW, { p, g, m: expAvg, v: expAvgSq }, attrs as never) as tf.Tensor[];
          p.assign(p2);
          expAvg.assign(m2);
          expAvgSq.assign(v2);
          return;
        }
        const m = tf.add(expAvg, tf.mul(tf.sub(g, expAvg), 1 - this.beta1));
        const v = tf.add(tf.mul(expAvgSq, this.beta2), tf.mul(tf.mul(g, g), 1 - this.beta2));
        const denom = tf.add(tf.div(tf.sqrt(v), bias2Sqrt), this.eps);
        const decayed = decay === 1 ? p : tf.mul(p, decay);
        p.assign(tf.sub(decayed, tf.mul(tf.div(m, denom), stepSize)));
        expAvg.assign(m);
        expAvgSq.assign(v);
      });
    }
    this.step = step;
  }

  /** The state as plain arrays: buffers "<name>.exp_avg" and "<name>.exp_avg_sq". Reads synchronously. */
  getState(): OptimizerState {
    const buffers: OptimizerState["buffers"] = {};
    for (const [name, { expAvg, expAvgSq }] of this.moments) {
      buffers[`${name}.${EXP_AVG}`] = { shape: expAvg.shape.slice(), values: Float32Array.from(expAvg.dataSync()) };
      buffers[`${name}.${EXP_AVG_SQ}`] = { shape: expAvgSq.shape.slice(), values: Float32Array.from(expAvgSq.dataSync()) };
    }
    return { step: this.step, buffers };
  }

  /** As getState, reading asynchronously (WebGPU in Node cannot read synchronously). */
  async readState(): Promise<OptimizerState> {
    const buffers: OptimizerState["buffers"] = {};
    for (const [name, { expAvg, expAvgSq }] of this.moments) {
      buffers[`${name}.${EXP_AVG}`] = { shape: expAvg.shape.slice(), values: Float32Array.from(await expAvg.data()) };
      buffers[`${name}.${EXP_AVG_SQ}`] = { shape: expAvgSq.shape.slice(), values: Float32Array.from(await expAvgSq.data()) };
    }
    return { step: this.step, buffers };
  }

  /**
   * Replaces the state with a saved one (from getState/readState, or a checkpoint). Values
   * may be typed arrays or tensors (tensors are copied, not taken over). Every parameter
   * needs both buffers; shapes are checked against the variables at the next update.
   */
  setState(state: OptimizerState | { step: number; buffers: Record<string, { shape: number[]; values: Float32Array | tf.Tensor }> }): void {
    if (!(Number.isInteger(state.step) && state.step >= 0)) {
      throw new Error(`AdamW.setState: step must be a non-negative integer, got ${state.step}`);
    }
    const byParam = new Map<string, Partial<Record<typeof EXP_AVG | typeof EXP_AVG_SQ, tf.Tensor>>>();
    const created: tf.Tensor[] = [];
    try {
      for (const [key, buffer] of Object.entries(state.buffers)) {
        const match = /^(.*)\.(exp_avg|exp_avg_sq)$/.exec(key);
        if (!match) throw new Error(`AdamW.setState: unexpected buffer "${key}" (expected "<name>.exp_avg" or "<name>.exp_avg_sq")`);
        const values = buffer.values instanceof tf.Tensor ? buffer.values.clone() : tf.tensor(buffer.values, buffer.shape, "float32");
        created.push(values);
        if (values.shape.join(",") !== buffer.shape.join(",")) {
          throw new Error(`AdamW.setState: buffer "${key}" holds shape [${values.shape}] but declares [${buffer.shape}]`);
        }
        const entry = byParam.get(match[1]) ?? {};
        entry[match[2] as typeof EXP_AVG] = values;
        byParam.set(match[1], entry);
      }
      for (const [name, entry] of byParam) {
        if (!entry.exp_avg || !entry.exp_avg_sq) {
          throw new Error(`AdamW.setState: parameter "${name}" has only one of exp_avg and exp_avg_sq`);
        }
        if (entry.exp_avg.shape.join(",") !== entry.exp_avg_sq.shape.join(",")) {
          throw new Error(`AdamW.setState: exp_avg and exp_avg_sq of "${name}" differ in shape`);
        }
      }
    } catch (e) {
      tf.dispose(created);
      throw e;
    }
    this.dispose();
    for (const [name, entry] of byParam) {
      this.moments.set(name, { expAvg: tf.variable(entry.exp_avg!, false), expAvgSq: tf.variable(entry.exp_avg_sq!, false) });
    }
    tf.dispose(created);
    this.step = state.step;
  }

  /** Frees the moment buffers (the step count is kept). */
  dispose(): void {
    for (const { expAvg, expAvgSq } of this.moments.values()) tf.dispose([expAvg, expAvgSq]);
    this.moments.clear();
  }

  private momentsFor(name: string, v: tf.Variable): Moments {
    let moments = this.moments.get(name);
    if (!moments) {
      if (this.step > 0) {
        throw new Error(`AdamW: "${name}" has no state after ${this.step} steps; the variables must be the same at every update`);
      }
      moments = tf.tidy(() => ({ expAvg: tf.variable(tf.zerosLike(v), false), expAvgSq: tf.variable(tf.zerosLike(v), false) }));
      this.moments.set(name, moments);
    } else if (moments.expAvg.shape.join(",") !== v.shape.join(",")) {
      throw new Error(`AdamW: the state of "${name}" has shape [${moments.expAvg.shape}] but the variable has [${v.shape}]`);
    }
    return moments;
  }
}
