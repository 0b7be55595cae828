// BatchNorm as torch.nn.BatchNorm1d/2d, over any channel axis: the ME-GraphAU heads
// normalise the feature axis of [B, T, C] (LinearBlock), the node axis of [B, N, C]
// and the edge axis of [B, N*N, C] / [B, N*N, T, C]. Parameters and buffers live in
// a ParamStore under the official names (<prefix>.weight, .bias, .running_mean,
// .running_var, .num_batches_tracked).
//
// Eval mode: y = (x - running_mean) / sqrt(running_var + eps) * weight + bias.
// Train mode: the batch mean and the biased batch variance (over every axis but the
// channel axis) normalise; the running statistics move by momentum towards the batch
// mean and the unbiased batch variance. That update is not applied during the forward
// pass (which may run under gradient recording): it is recorded in a
// BatchNormUpdates, and the caller applies it after the step.
import * as tf from "@tensorflow/tfjs-core";
import { fusedBatchNormTrain } from "../tf/ops.js";
import type { ParamStore } from "./params.js";

export const BN_EPS = 1e-5;
export const BN_MOMENTUM = 0.1;

/** Registers a BatchNorm's parameters and buffers with torch's initial values (1, 0, 0, 1, 0). */
export function addBatchNorm(store: ParamStore, prefix: string, channels: number): void {
  store.add(`${prefix}.weight`, tf.ones([channels]));
  store.add(`${prefix}.bias`, tf.zeros([channels]));
  store.add(`${prefix}.running_mean`, tf.zeros([channels]), { trainable: false });
  store.add(`${prefix}.running_var`, tf.ones([channels]), { trainable: false });
  store.add(`${prefix}.num_batches_tracked`, tf.scalar(0, "int32"), { trainable: false });
}

/** The BatchNorm prefixes of a store (every name ending in ".num_batches_tracked"), in state_dict order. */
export function batchNormPrefixes(store: ParamStore): string[] {
  const suffix = ".num_batches_tracked";
  return store.names().filter((n) => n.endsWith(suffix)).map((n) => n.slice(0, -suffix.length));
}

interface PendingUpdate {
  mean: tf.Tensor1D;
  variance: tf.Tensor1D;
}

/**
 * Running-statistic updates computed by train-mode forward passes, to assign after the
 * step. The tensors are kept out of any enclosing tidy (and out of gradient recording)
 * until `apply` or `dispose`.
 */
export class BatchNormUpdates {
  private readonly pending = new Map<string, PendingUpdate>();

  /** Records the new running statistics of `prefix` (takes ownership of the tensors). */
  record(prefix: string, mean: tf.Tensor1D, variance: tf.Tensor1D): void {
    const old = this.pending.get(prefix);
    if (old) {
      // The same BatchNorm used twice in one step: torch would update twice; keep the last.
      old.mean.dispose();
      old.variance.dispose();
    }
    this.pending.set(prefix, { mean: tf.keep(mean), variance: tf.keep(variance) });
  }

  get size(): number {
    return this.pending.size;
  }

  prefixes(): string[] {
    return [...this.pending.keys()];
  }

  /** The pending new statistics of one BatchNorm (owned by this object). */
  get(prefix: string): PendingUpdate | undefined {
    return this.pending.get(prefix);
  }

  /** Assigns running_mean, running_var and num_batches_tracked + 1 for every recorded BatchNorm, then forgets them. */
  apply(store: ParamStore): void {
    for (const [prefix, { mean, variance }] of this.pending) {
      store.get(`${prefix}.running_mean`).assign(mean);
      store.get(`${prefix}.running_var`).assign(variance);
      const counter = store.get(`${prefix}.num_batches_tracked`);
      tf.tidy(() => counter.assign(tf.add(counter, tf.scalar(1, "int32"))));
    }
    this.dispose();
  }

  /** Drops the pending updates without applying them. */
  dispose(): void {
    for (const { mean, variance } of this.pending.values()) {
      mean.dispose();
      variance.dispose();
    }
    this.pending.clear();
  }
}

export interface BatchNormOptions {
  /** Train mode (batch statistics) or eval mode (running statistics). */
  training: boolean;
  /** Where train mode records the new running statistics; omitted: they are not computed. */
  updates?: BatchNormUpdates;
  momentum?: number;
  eps?: number;
}

/** Parameter tensors of one BatchNorm. */
export interface BatchNormTensors {
  weight: tf.Tensor1D;
  bias: tf.Tensor1D;
  runningMean: tf.Tensor1D;
  runningVar: tf.Tensor1D;
}

export function batchNormTensors(store: ParamStore, prefix: string): BatchNormTensors {
  return {
    weight: store.get(`${prefix}.weight`) as tf.Tensor1D,
    bias: store.get(`${prefix}.bias`) as tf.Tensor1D,
    runningMean: store.get(`${prefix}.running_mean`) as tf.Tensor1D,
    runningVar: store.get(`${prefix}.running_var`) as tf.Tensor1D,
  };
}

/**
 * Core BatchNorm on explicit tensors. In train mode also returns the new running
 * statistics (not recorded for gradients). `x` has its channels on `axis`.
 */
export function batchNormCore(
  x: tf.Tensor,
  axis: number,
  p: BatchNormTensors,
  { training, momentum = BN_MOMENTUM, eps = BN_EPS, wantStats = false }: { training: boolean; momentum?: number; eps?: number; wantStats?: boolean },
): { y: tf.Tensor; runningMean?: tf.Tensor1D; runningVar?: tf.Tensor1D } {
  const rank = x.rank;
  const ax = axis < 0 ? axis + rank : axis;
  const channels = x.shape[ax];
  if (p.weight.shape[0] !== channels) {
    throw new Error(`BatchNorm over axis ${ax} of [${x.shape}] expects ${p.weight.shape[0]} channels, got ${channels}`);
  }
  const bshape = x.shape.map((d, i) => (i === ax ? d : 1));
  const reduce = x.shape.map((_, i) => i).filter((i) => i !== ax);
  if (!training) {
    const y = tf.tidy(() => {
      const invStd = tf.rsqrt(tf.add(p.runningVar, eps));
      const normalised = tf.mul(tf.sub(x, tf.reshape(p.runningMean, bshape)), tf.reshape(invStd, bshape));
      return tf.add(tf.mul(normalised, tf.reshape(p.weight, bshape)), tf.reshape(p.bias, bshape));
    });
    return { y };
  }
  const n = x.size / channels;
  if (n <= 1) throw new Error(`BatchNorm in train mode needs more than 1 value per channel (input [${x.shape}])`);
  if (ax === rank - 1) {
    // Channels last (the ResNet's NHWC maps): one fused kernel each way where the backend has it.
    const fused = fusedBatchNormTrain(x, p.weight, p.bias, eps);
    if (fused) {
      const { y, mean, variance } = fused;
      const stats = wantStats ? runningStats(p, mean, variance, n, momentum) : {};
      tf.dispose([mean, variance]);
      return { y, ...stats };
    }
  }
  return tf.tidy(() => {
    const mean = tf.mean(x, reduce, true);
    const centred = tf.sub(x, mean);
    const variance = tf.mean(tf.square(centred), reduce, true);
    const y = tf.add(
      tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), tf.reshape(p.weight, bshape)),
      tf.reshape(p.bias, bshape),
    );
    if (!wantStats) return { y };
    return { y, ...runningStats(p, tf.reshape(mean, [channels]) as tf.Tensor1D, tf.reshape(variance, [channels]) as tf.Tensor1D, n, momentum) };
  });
}

/**
 * New running statistics from a batch's per-channel mean and biased variance over `count`
 * values per channel: they move by `momentum` towards the mean and the unbiased variance,
 * as torch does. (They do not feed the loss, so backprop never reaches them.)
 */
export function runningStats(
  p: BatchNormTensors,
  mean: tf.Tensor1D,
  variance: tf.Tensor1D,
  count: number,
  momentum = BN_MOMENTUM,
): { runningMean: tf.Tensor1D; runningVar: tf.Tensor1D } {
  return tf.tidy(() => {
    const runningMean = tf.add(tf.mul(p.runningMean, 1 - momentum), tf.mul(mean, momentum)) as tf.Tensor1D;
    const unbiased = tf.mul(variance, count / (count - 1));
    const runningVar = tf.add(tf.mul(p.runningVar, 1 - momentum), tf.mul(unbiased, momentum)) as tf.Tensor1D;
    return { runningMean, runningVar };
  });
}

/**
 * Runs `fn` on the inputs without recording it for gradients: the result is a constant
 * for backprop (torch's `detach()` / `no_grad`). It is a custom gradient whose backward
 * pass is zero; ops inside `fn` run with the tape off, so they need no gradient of
 * their own (top-k, comparisons).
 */
export function noGrad(inputs: tf.Tensor[], fn: (...xs: tf.Tensor[]) => tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const xs = args.slice(0, inputs.length) as tf.Tensor[];
    return { value: fn(...xs), gradFunc: () => xs.map((x) => tf.zerosLike(x)) };
  });
  return (op as unknown as (...xs: tf.Tensor[]) => tf.Tensor)(...inputs);
}

/** BatchNorm by name from a store; records train-mode running-statistic updates in `opts.updates`. */
export function batchNorm(store: ParamStore, prefix: string, x: tf.Tensor, axis: number, opts: BatchNormOptions): tf.Tensor {
  const { y, runningMean, runningVar } = batchNormCore(x, axis, batchNormTensors(store, prefix), {
    training: opts.training,
    momentum: opts.momentum,
    eps: opts.eps,
    wantStats: opts.training && opts.updates !== undefined,
  });
  if (runningMean && runningVar) opts.updates!.record(prefix, runningMean, runningVar);
  return y;
}
