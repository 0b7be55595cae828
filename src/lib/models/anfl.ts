// ME-GraphAU stage-1 head (ANFL, model/ANFL.py) with its global_linear, on backbone
// features [B, T, backboneChannels]:
//   global_linear  LinearBlock(backboneChannels -> C): fc, BatchNorm1d over features, ReLU
//   AFG            f_u[:, i] = class_linears[i](x) [B, N, T, C]; f_v = mean over tokens
//   FGG            similarity of node features (detached), top-K neighbours per node by
//                  similarity alone (no self-loops added), D^-1/2 A D^-1/2 with the row
//                  degrees on both sides; out = relu(f_v + bnv(A V(f_v) + U(f_v))),
//                  bnv = BatchNorm1d(N) (node axis)
//   classifier     cl = <normalize(out_i), normalize(relu(sc_i))>, no sigmoid
// Parameters under the official state_dict names (global_linear.*, head.*), torch
// layouts. The pieces shared with the stage-2 head (LinearBlock, AFG, classifier,
// initialisation) live here too.
import * as tf from "@tensorflow/tfjs-core";
import { Rng, mixSeed } from "../data/prng.js";
import { linearT } from "../tf/ops.js";
import { addBatchNorm, batchNorm, batchNormCore, BatchNormUpdates, noGrad } from "./batchnorm.js";
import { ParamStore } from "./params.js";

export type GraphMetric = "dots" | "cosine" | "l1";

export interface HeadConfig {
  /** C: node feature width (global_linear output). */
  inChannels: number;
  /** Width of the backbone features fed to global_linear. */
  backboneChannels: number;
  /** N: number of AUs (graph nodes). */
  numClasses: number;
}

export interface AnflConfig extends HeadConfig {
  /** K: neighbours kept per node (default 4). */
  neighborNum?: number;
  /** Node similarity of the graph (default "dots"). */
  metric?: GraphMetric;
}

export interface ForwardOptions {
  /** BatchNorm train mode (batch statistics). Default false. */
  training?: boolean;
  /** Return the intermediates under the fixture names (mid.*). Default false. */
  intermediates?: boolean;
  /**
   * Train mode only: where the new BatchNorm running statistics go. Omitted: the head
   * keeps them and `commitBatchNorm()` applies them.
   */
  updates?: BatchNormUpdates;
}

/** What both heads return. */
export type HeadOutput = {
  /** AU probabilities [B, N] (cosine similarities, no sigmoid). */
  cl: tf.Tensor2D;
  /** f_v [B, N, C]: the AFG node features (per-AU LinearBlock, mean over tokens), before the graph. */
  fv: tf.Tensor3D;
  /** [B, N, C]: the node features the classifier reads (the graph's output; ReLU'd, not normalised). */
  nodeFeatures: tf.Tensor3D;
  /** Intermediates by fixture name (without the run prefix), when asked; empty otherwise. */
  mids: Record<string, tf.Tensor>;
};

export type AnflOutput = HeadOutput & {
  readonly kind: "anfl";
  /** nodeFeatures = relu(f_v + bnv(A V(f_v) + U(f_v))), the GCN output. */
  nodeFeatures: tf.Tensor3D;
  /** The FGG graph of the forward, when intermediates were asked. */
  graph?: FggGraph;
};

/** Seeded initialisers with torch's init rules; draws on the CPU so every backend gets the same values. */
export class Init {
  private n = 0;
  constructor(private readonly seed: number) {}

  private rng(): Rng {
    return new Rng(mixSeed(this.seed, this.n++));
  }

  normal(shape: number[], std: number): tf.Tensor {
    const rng = this.rng();
    const size = shape.reduce((a, d) => a * d, 1);
    const v = new Float32Array(size);
    for (let i = 0; i < size; i++) v[i] = rng.normal(0, std);
    return tf.tensor(v, shape);
  }

  uniform(shape: number[], bound: number): tf.Tensor {
    const rng = this.rng();
    const size = shape.reduce((a, d) => a * d, 1);
    const v = new Float32Array(size);
    for (let i = 0; i < size; i++) v[i] = rng.uniform(-bound, bound);
    return tf.tensor(v, shape);
  }

  /** nn.init.xavier_uniform_ of a [out, in] matrix. */
  xavier(shape: [number, number]): tf.Tensor {
    return this.uniform(shape, Math.sqrt(6 / (shape[0] + shape[1])));
  }

  /** nn.Linear's default bias init, U(-1/sqrt(in), 1/sqrt(in)). */
  linearBias(out: number, inDim: number): tf.Tensor {
    return this.uniform([out], 1 / Math.sqrt(inDim));
  }
}

/** LinearBlock(in -> out): fc weight N(0, sqrt(2/out)), default bias, BatchNorm1d(out) at 1/0. */
export function addLinearBlock(store: ParamStore, init: Init, prefix: string, inDim: number, outDim: number): void {
  store.add(`${prefix}.fc.weight`, init.normal([outDim, inDim], Math.sqrt(2 / outDim)));
  store.add(`${prefix}.fc.bias`, init.linearBias(outDim, inDim));
  addBatchNorm(store, `${prefix}.bn`, outDim);
}

/** global_linear, head.sc and head.class_linears.* of either head, in state_dict order up to the class linears. */
export function addCommon(store: ParamStore, init: Init, config: HeadConfig): void {
  const { inChannels: c, backboneChannels, numClasses: n } = config;
  addLinearBlock(store, init, "global_linear", backboneChannels, c);
  store.add("head.sc", init.xavier([n, c]));
  for (let i = 0; i < n; i++) addLinearBlock(store, init, `head.class_linears.${i}`, c, c);
}

export function checkHeadConfig(config: HeadConfig): void {
  for (const key of ["inChannels", "backboneChannels", "numClasses"] as const) {
    const v = config[key];
    if (!Number.isInteger(v) || v < 1) throw new Error(`ME-GraphAU head: ${key} must be a positive integer, got ${v}`);
  }
}

export interface ForwardState {
  training: boolean;
  updates?: BatchNormUpdates;
}

/** LinearBlock: relu(bn(fc(x))) with the BatchNorm over the last (feature) axis of [B, T, C]. */
export function linearBlock(store: ParamStore, prefix: string, x: tf.Tensor, s: ForwardState): tf.Tensor {
  const h = linearT(x, store.get(`${prefix}.fc.weight`) as tf.Tensor2D, store.get(`${prefix}.fc.bias`) as tf.Tensor1D);
  return tf.relu(batchNorm(store, `${prefix}.bn`, h, h.rank - 1, { training: s.training, updates: s.updates }));
}

/**
 * AFG: all N class LinearBlocks as one matmul over concatenated weights (a BatchNorm over
 * the N*C concatenated features is N independent BatchNorms). x [B, T, C] ->
 * { fuTokens [B, T, N, C], fv [B, N, C] }.
 */
export function afg(store: ParamStore, n: number, x: tf.Tensor, s: ForwardState): { fuTokens: tf.Tensor4D; fv: tf.Tensor3D } {
  const [b, t, c] = x.shape;
  const names = (suffix: string) => Array.from({ length: n }, (_, i) => store.get(`head.class_linears.${i}.${suffix}`));
  const weight = tf.concat(names("fc.weight"), 0) as tf.Tensor2D; // [N*C, C]
  const bias = tf.concat(names("fc.bias"), 0) as tf.Tensor1D;
  const h = linearT(x, weight, bias); // [B, T, N*C]
  const bnParams = {
    weight: tf.concat(names("bn.weight"), 0) as tf.Tensor1D,
    bias: tf.concat(names("bn.bias"), 0) as tf.Tensor1D,
    runningMean: tf.concat(names("bn.running_mean"), 0) as tf.Tensor1D,
    runningVar: tf.concat(names("bn.running_var"), 0) as tf.Tensor1D,
  };
  const { y, runningMean, runningVar } = batchNormCore(h, 2, bnParams, {
    training: s.training,
    wantStats: s.training && s.updates !== undefined,
  });
  if (runningMean && runningVar && s.updates) {
    const means = tf.split(runningMean, n);
    const vars = tf.split(runningVar, n);
    for (let i = 0; i < n; i++) s.updates.record(`head.class_linears.${i}.bn`, means[i] as tf.Tensor1D, vars[i] as tf.Tensor1D);
  }
  const fuTokens = tf.reshape(tf.relu(y), [b, t, n, c]) as tf.Tensor4D;
  const fv = tf.mean(fuTokens, 1) as tf.Tensor3D;
  return { fuTokens, fv };
}

/** F.normalize(v, dim=-1): v / max(||v||, 1e-12), written so that an all-zero row has a zero (not NaN) gradient. */
export function l2normalize(v: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const sumSq = tf.sum(tf.square(v), -1, true);
    return tf.div(v, tf.sqrt(tf.maximum(sumSq, 1e-24)));
  });
}

/** cl[b, i] = <normalize(f[b, i]), normalize(relu(sc[i]))>. f [B, N, C] -> [B, N]. */
export function classifier(store: ParamStore, f: tf.Tensor): tf.Tensor2D {
  const sc = l2normalize(tf.relu(store.get("head.sc")));
  return tf.sum(tf.mul(l2normalize(f), sc), -1) as tf.Tensor2D;
}

/** The FGG's graph of one forward, every tensor a constant for backprop. */
export type FggGraph = {
  /** [B, N, N] node similarity si[b, i, j] (dot products, cosines or L1 distances). */
  similarity: tf.Tensor3D;
  /** [B, N] the K-th largest similarity (K-th smallest distance) of each row. */
  threshold: tf.Tensor2D;
  /** [B, N, K] top-K indices per row (of -si for l1). */
  topkIndices: tf.Tensor3D;
  /** [B, N, N] 0/1: j is among i's K nearest nodes (ties included). */
  adjacency: tf.Tensor3D;
  /** [B, N, N] D^-1/2 A D^-1/2 with the row degrees on both sides: what the GCN propagates with. */
  normAdjacency: tf.Tensor3D;
};

/**
 * The FGG graph of node features fv [B, N, C] (a constant for backprop, as in torch):
 * normAdj [B, N, N], and with `intermediates` the whole graph.
 */
export function fggGraph(
  fv: tf.Tensor3D,
  k: number,
  metric: GraphMetric,
  intermediates: boolean,
): { normAdj: tf.Tensor3D; graph?: FggGraph } {
  const [, n] = fv.shape;
  if (!Number.isInteger(k) || k < 1 || k > n) throw new Error(`ANFL: neighborNum must be an integer in [1, ${n}], got ${k}`);
  const similarity = (x: tf.Tensor): tf.Tensor3D => {
    if (metric === "l1") {
      // si[b, i, j] = sum_c |x[b, i, c] - x[b, j, c]|
      return tf.sum(tf.abs(tf.sub(tf.expandDims(x, 2), tf.expandDims(x, 1))), -1) as tf.Tensor3D;
    }
    const y = metric === "cosine" ? l2normalize(x) : x;
    return tf.matMul(y as tf.Tensor3D, tf.transpose(y, [0, 2, 1]) as tf.Tensor3D);
  };
  const largest = metric !== "l1";
  // Top-K values: for l1 the K smallest distances (top-K of -si).
  const topk = (si: tf.Tensor) => tf.topk(largest ? si : tf.neg(si), k, true);
  const thresholdOf = (si: tf.Tensor) => {
    const v = tf.slice(topk(si).values, [0, 0, k - 1], [-1, -1, 1]); // [B, N, 1]
    return largest ? v : tf.neg(v);
  };
  const adjOf = (si: tf.Tensor) => {
    const th = thresholdOf(si);
    return tf.cast(largest ? tf.greaterEqual(si, th) : tf.lessEqual(si, th), "float32");
  };
  const normOf = (adj: tf.Tensor) => {
    const dInvSqrt = tf.rsqrt(tf.sum(adj, -1)); // row degrees, used on both sides
    return tf.mul(tf.mul(tf.expandDims(dInvSqrt, 2), adj), tf.expandDims(dInvSqrt, 1));
  };
  const normAdj = noGrad([fv], (x) => normOf(adjOf(similarity(x)))) as tf.Tensor3D;
  if (!intermediates) return { normAdj };
  const graph: FggGraph = {
    similarity: noGrad([fv], (x) => similarity(x)) as tf.Tensor3D,
    threshold: noGrad([fv], (x) => tf.squeeze(thresholdOf(similarity(x)), [2])) as tf.Tensor2D,
    topkIndices: noGrad([fv], (x) => topk(similarity(x)).indices) as tf.Tensor3D,
    adjacency: noGrad([fv], (x) => adjOf(similarity(x))) as tf.Tensor3D,
    normAdjacency: normAdj,
  };
  return { normAdj, graph };
}

/** The FGG graph under the fixture names (gnn.*). */
function fggMids(graph: FggGraph): Record<string, tf.Tensor> {
  return {
    "gnn.similarity": graph.similarity,
    "gnn.threshold": graph.threshold,
    "gnn.topk_indices": graph.topkIndices,
    "gnn.adj": graph.adjacency,
    "gnn.norm_adj": graph.normAdjacency,
  };
}

/** What both heads offer. */
export interface GraphHead<Out extends HeadOutput & { readonly kind: string }, Cfg extends HeadConfig> {
  /** Which head: "anfl" (stage 1) or "mefl" (stage 2); the same as the outputs' kind. */
  readonly kind: Out["kind"];
  readonly config: Cfg;
  readonly params: ParamStore;
  /** features [B, T, backboneChannels] -> outputs. Call inside tf.tidy (or dispose the outputs). */
  forward(features: tf.Tensor, options?: ForwardOptions): Out;
  /** Applies the running-statistic updates of the train-mode forwards since the last call. */
  commitBatchNorm(): void;
  /** Drops pending running-statistic updates. */
  discardBatchNorm(): void;
  dispose(): void;
}

export interface AnflHead extends GraphHead<AnflOutput, Required<AnflConfig>> {
  forward(features: tf.Tensor, options?: ForwardOptions & { metric?: GraphMetric }): AnflOutput;
}

/** A head's public object: its forward, BatchNorm bookkeeping and disposal. */
export function graphHead<Out extends HeadOutput & { readonly kind: string }, Cfg extends HeadConfig>(
  kind: Out["kind"],
  config: Cfg,
  params: ParamStore,
  pending: PendingBatchNorm,
  forward: GraphHead<Out, Cfg>["forward"],
): GraphHead<Out, Cfg> {
  return {
    kind,
    config,
    params,
    forward,
    commitBatchNorm: () => pending.commit(),
    discardBatchNorm: () => pending.discard(),
    dispose: () => {
      pending.discard();
      params.dispose();
    },
  };
}

/** Pending BatchNorm updates owned by a head, shared by both heads' implementations. */
export class PendingBatchNorm {
  readonly updates = new BatchNormUpdates();
  constructor(private readonly store: ParamStore) {}
  commit(): void {
    this.updates.apply(this.store);
  }
  discard(): void {
    this.updates.dispose();
  }
}

export function createAnflHead(config: AnflConfig, { seed = 0 }: { seed?: number } = {}): AnflHead {
  checkHeadConfig(config);
  const cfg: Required<AnflConfig> = { neighborNum: 4, metric: "dots", ...config };
  const { inChannels: c, numClasses: n } = cfg;
  const store = new ParamStore();
  const init = new Init(seed);
  tf.tidy(() => {
    addCommon(store, init, cfg);
    const std = Math.sqrt(2 / c);
    store.add("head.gnn.U.weight", init.normal([c, c], std));
    store.add("head.gnn.U.bias", init.linearBias(c, c));
    store.add("head.gnn.V.weight", init.normal([c, c], std));
    store.add("head.gnn.V.bias", init.linearBias(c, c));
    addBatchNorm(store, "head.gnn.bnv", n);
  });
  const pending = new PendingBatchNorm(store);

  function forward(features: tf.Tensor, options: ForwardOptions & { metric?: GraphMetric } = {}): AnflOutput {
    const training = options.training ?? false;
    const s: ForwardState = { training, updates: training ? (options.updates ?? pending.updates) : undefined };
    const metric = options.metric ?? cfg.metric;
    checkFeatures(features, cfg);
    return tf.tidy(() => {
      const mids: Record<string, tf.Tensor> = {};
      const x = linearBlock(store, "global_linear", features, s);
      const { fuTokens, fv } = afg(store, n, x, s);
      const { normAdj, graph } = fggGraph(fv, cfg.neighborNum, metric, options.intermediates ?? false);
      const ux = linearT(fv, store.get("head.gnn.U.weight") as tf.Tensor2D, store.get("head.gnn.U.bias") as tf.Tensor1D);
      const vx = linearT(fv, store.get("head.gnn.V.weight") as tf.Tensor2D, store.get("head.gnn.V.bias") as tf.Tensor1D);
      const bnvIn = tf.add(tf.matMul(normAdj, vx as tf.Tensor3D), ux);
      const out = tf.relu(tf.add(fv, batchNorm(store, "head.gnn.bnv", bnvIn, 1, { training, updates: s.updates }))) as tf.Tensor3D;
      const cl = classifier(store, out);
      if (graph) {
        mids["global_linear"] = x;
        mids["f_u"] = tf.transpose(fuTokens, [0, 2, 1, 3]);
        mids["f_v"] = fv;
        Object.assign(mids, fggMids(graph));
        mids["gnn.Ux"] = ux;
        mids["gnn.Vx"] = vx;
        mids["gnn.bnv_in"] = bnvIn;
        mids["gnn.out"] = out;
      }
      const result: AnflOutput = { kind: "anfl", cl, fv, nodeFeatures: out, mids };
      if (graph) result.graph = graph;
      return result;
    });
  }

  return graphHead("anfl", cfg, store, pending, forward);
}

export function checkFeatures(features: tf.Tensor, config: HeadConfig): void {
  if (features.rank !== 3 || features.shape[2] !== config.backboneChannels) {
    throw new Error(`ME-GraphAU head: features must be [B, T, ${config.backboneChannels}], got [${features.shape}]`);
  }
}
