// ME-GraphAU stage-2 head (MEFL, model/MEFL.py + model/graph_edge_model.py) with its
// global_linear, on backbone features [B, T, backboneChannels]:
//   AFG         as ANFL: f_u [B, N, T, C], f_v = mean over tokens [B, N, C]
//   GEM         FAM = CrossAttn(query f_u[:, i], key/value x) per node; for edge
//               e = i*N + j: ARM(query FAM[j], key/value FAM[i]); edge_proj;
//               BatchNorm2d(N*N) on [B, N*N, T, C] (edge axis); mean over tokens -> f_e
//               (computed without building [B, N*N, T, C]: see gem())
//               CrossAttn: q, k Linear(C, C/2), v Linear(C, C), scale (C/2)^-0.5,
//               softmax over key tokens
//   gated GNN   two layers, bias-free linears U, V, A, B, E:
//               edge += relu(bne(A(x)[i] + B(x)[j] + E(edge)))
//               gate = softmax over j of sigmoid(edge) viewed [B, N, N, C]
//               x = relu(x + bnv(U(x) + (1/N) sum_j gate[:, i, j] * V(x)[j]))
//   outputs     cl as ANFL from the node features; cl_edge = edge_fc(edge) [B, N*N, 4]
// Edge tensors are [B, N*N, ...] with e = i*N + j throughout.
import * as tf from "@tensorflow/tfjs-core";
import { linearT } from "../tf/ops.js";
import {
  addCommon,
  afg,
  checkFeatures,
  checkHeadConfig,
  classifier,
  graphHead,
  Init,
  linearBlock,
  PendingBatchNorm,
  type ForwardOptions,
  type ForwardState,
  type GraphHead,
  type HeadConfig,
  type HeadOutput,
} from "./anfl.js";
import { addBatchNorm, batchNorm, batchNormCore, batchNormTensors, BN_EPS, runningStats } from "./batchnorm.js";
import { ParamStore } from "./params.js";

export type MeflConfig = HeadConfig;

export type MeflOutput = HeadOutput & {
  readonly kind: "mefl";
  /** nodeFeatures = the second gated-GNN layer's node output (gnn.node_out). */
  nodeFeatures: tf.Tensor3D;
  /** Edge logits [B, N*N, 4]; edge e = i*N + j. */
  clEdge: tf.Tensor3D;
  /** f_e [B, N*N, C]: the GEM's edge features (mean over tokens), before the gated GNN. */
  fe: tf.Tensor3D;
  /** [B, N*N, C]: the edge features edge_fc reads (the second gated-GNN layer's edge output). */
  edgeFeatures: tf.Tensor3D;
};

export type MeflHead = GraphHead<MeflOutput, Required<MeflConfig>>;

function addCrossAttn(store: ParamStore, init: Init, prefix: string, c: number): void {
  const half = Math.floor(c / 2);
  store.add(`${prefix}.linear_q.weight`, init.normal([half, c], Math.sqrt(2 / half)));
  store.add(`${prefix}.linear_q.bias`, init.linearBias(half, c));
  store.add(`${prefix}.linear_k.weight`, init.normal([half, c], Math.sqrt(2 / half)));
  store.add(`${prefix}.linear_k.bias`, init.linearBias(half, c));
  store.add(`${prefix}.linear_v.weight`, init.normal([c, c], Math.sqrt(2 / c)));
  store.add(`${prefix}.linear_v.bias`, init.linearBias(c, c));
}

export function createMeflHead(config: MeflConfig, { seed = 0 }: { seed?: number } = {}): MeflHead {
  checkHeadConfig(config);
  const cfg: Required<MeflConfig> = { ...config };
  const { inChannels: c, numClasses: n } = cfg;
  if (Math.floor(c / 2) < 1) throw new Error(`MEFL head: inChannels must be at least 2, got ${c}`);
  const store = new ParamStore();
  const init = new Init(seed);
  tf.tidy(() => {
    addCommon(store, init, cfg);
    addCrossAttn(store, init, "head.edge_extractor.FAM", c);
    addCrossAttn(store, init, "head.edge_extractor.ARM", c);
    store.add("head.edge_extractor.edge_proj.weight", init.normal([c, c], Math.sqrt(2 / c)));
    store.add("head.edge_extractor.edge_proj.bias", init.linearBias(c, c));
    addBatchNorm(store, "head.edge_extractor.bn", n * n);
    const std = Math.sqrt(2 / c);
    for (const layer of [1, 2]) {
      for (const name of ["U", "V", "A", "B", "E"]) store.add(`head.gnn.${name}${layer}.weight`, init.normal([c, c], std));
    }
    addBatchNorm(store, "head.gnn.bnv1", n);
    addBatchNorm(store, "head.gnn.bne1", n * n);
    addBatchNorm(store, "head.gnn.bnv2", n);
    addBatchNorm(store, "head.gnn.bne2", n * n);
    store.add("head.edge_fc.weight", init.xavier([4, c]));
    store.add("head.edge_fc.bias", init.linearBias(4, c));
  });
  const pending = new PendingBatchNorm(store);
  const w = (name: string) => store.get(name) as tf.Tensor2D;
  const bias = (name: string) => store.get(name) as tf.Tensor1D;
  const lin = (x: tf.Tensor, prefix: string, withBias = true) =>
    linearT(x, w(`${prefix}.weight`), withBias ? bias(`${prefix}.bias`) : undefined);

  /** Batched attention: q [M, Lq, C/2], k [M, Lk, C/2], v [M, Lk, C] -> [M, Lq, C]. */
  function attend(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
    const scale = Math.floor(c / 2) ** -0.5;
    const dots = tf.mul(tf.matMul(q, tf.transpose(k, [0, 2, 1]) as tf.Tensor3D), scale);
    return tf.matMul(tf.softmax(dots) as tf.Tensor3D, v);
  }

  /**
   * GEM: f_u tokens [B, T, N, C], x [B, T, C] -> { fam [B, N, T, C], fe [B, N*N, C] }.
   * The official GEM builds edge = bn(edge_proj(ARM)) on [B, N*N, T, C] and keeps only its
   * token mean. Written out per edge e, with P the ARM's attention probabilities [T, T] and
   * V its values [T, C]: edge_proj(P V) = P (V W^T) + b, so the projection is applied to the
   * T values instead of the T outputs; the token mean of a BatchNorm's output is the
   * BatchNorm of the token mean z_bar = mean_t(P) (V W^T) + b (an affine map per edge);
   * and train mode's batch variance over (B, T, C) is the variance of z_bar over (B, C)
   * plus the within-token part (1 / BTC) sum_b trace(D K D^T), D = P - mean_t(P) [T, T],
   * K = (V W^T)(V W^T)^T [T, T] (both terms are sums of squares, so neither cancels).
   * Nothing of size [B, N*N, T, C] is built; exact in real arithmetic.
   */
  function gem(fuTokens: tf.Tensor4D, x: tf.Tensor3D, s: ForwardState): { fam: tf.Tensor4D; fe: tf.Tensor3D } {
    const [b, t] = x.shape;
    const half = Math.floor(c / 2);
    const fu = tf.transpose(fuTokens, [0, 2, 1, 3]); // [B, N, T, C]
    // FAM: every node's tokens attend to the same global tokens.
    const q = tf.reshape(lin(fu, "head.edge_extractor.FAM.linear_q"), [b, n * t, half]) as tf.Tensor3D;
    const k = lin(x, "head.edge_extractor.FAM.linear_k") as tf.Tensor3D;
    const v = lin(x, "head.edge_extractor.FAM.linear_v") as tf.Tensor3D;
    const fam = tf.reshape(attend(q, k, v), [b, n, t, c]) as tf.Tensor4D;
    // ARM for every ordered pair: dots[b, i, j] = q(FAM[j]) k(FAM[i])^T, one matmul per sample.
    const q2 = tf.reshape(lin(fam, "head.edge_extractor.ARM.linear_q"), [b, n * t, half]) as tf.Tensor3D; // rows (j, t)
    const k2 = tf.reshape(lin(fam, "head.edge_extractor.ARM.linear_k"), [b, n * t, half]) as tf.Tensor3D; // rows (i, s)
    const v2 = tf.reshape(lin(fam, "head.edge_extractor.ARM.linear_v"), [b * n, t, c]) as tf.Tensor3D; // (b, i), s
    const scale = half ** -0.5;
    const all = tf.mul(tf.matMul(q2, tf.transpose(k2, [0, 2, 1]) as tf.Tensor3D), scale); // [B, (j,t), (i,s)]
    const pairs = tf.transpose(tf.reshape(all, [b, n, t, n, t]), [0, 3, 1, 2, 4]); // [B, i, j, t, s]
    const attn = tf.reshape(tf.softmax(pairs), [b * n, n, t, t]); // [(b, i), j, t, s]
    const vp = linearT(v2, w("head.edge_extractor.edge_proj.weight")) as tf.Tensor3D; // V W^T [(b, i), s, C]
    const attnMean = tf.mean(attn, 2) as tf.Tensor3D; // [(b, i), j, s]
    const zMean = tf.reshape(tf.add(tf.matMul(attnMean, vp), bias("head.edge_extractor.edge_proj.bias")), [b, n * n, c]); // e = i*N + j
    const bn = batchNormTensors(store, "head.edge_extractor.bn");
    if (!s.training) return { fam, fe: batchNormCore(zMean, 1, bn, { training: false }).y as tf.Tensor3D };
    const count = b * t * c;
    if (count <= 1) throw new Error(`BatchNorm in train mode needs more than 1 value per channel (edge tensor [${[b, n * n, t, c]}])`);
    const mean = tf.mean(zMean, [0, 2], true); // [1, N*N, 1]
    const centred = tf.sub(zMean, mean);
    const between = tf.mean(tf.square(centred), [0, 2], true);
    const dev = tf.reshape(tf.sub(attn, tf.expandDims(attnMean, 2)), [b * n, n * t, t]); // D, rows (j, t)
    const gram = tf.matMul(vp, tf.transpose(vp, [0, 2, 1]) as tf.Tensor3D); // K [(b, i), s, s']
    const quad = tf.mul(dev, tf.matMul(dev, gram)); // summed over (t, s): trace(D K D^T) per (b, e)
    const within = tf.sum(tf.reshape(quad, [b, n * n, t * t]), [0, 2], true);
    const variance = tf.add(between, tf.div(within, count));
    const fe = tf.add(
      tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, BN_EPS))), tf.reshape(bn.weight, [1, n * n, 1])),
      tf.reshape(bn.bias, [1, n * n, 1]),
    ) as tf.Tensor3D;
    if (s.updates) {
      const stats = runningStats(bn, tf.reshape(mean, [n * n]) as tf.Tensor1D, tf.reshape(variance, [n * n]) as tf.Tensor1D, count);
      s.updates.record("head.edge_extractor.bn", stats.runningMean, stats.runningVar);
    }
    return { fam, fe };
  }

  /** One gated-GNN layer: x [B, N, C], edge [B, N*N, C]. */
  function gnnLayer(x: tf.Tensor3D, edge: tf.Tensor3D, layer: number, s: ForwardState) {
    const [b] = x.shape;
    const p = `head.gnn.`;
    const ai = tf.expandDims(lin(x, `${p}A${layer}`, false), 2); // [B, N(i), 1, C]
    const bj = tf.expandDims(lin(x, `${p}B${layer}`, false), 1); // [B, 1, N(j), C]
    const e = lin(edge, `${p}E${layer}`, false);
    const pre = tf.add(tf.reshape(tf.add(ai, bj), [b, n * n, c]), e);
    const newEdge = tf.add(edge, tf.relu(batchNorm(store, `${p}bne${layer}`, pre, 1, s))) as tf.Tensor3D;
    // Softmax over the source node j of sigmoid(edge); sigmoid is in (0, 1), so exp cannot overflow.
    const expS = tf.exp(tf.sigmoid(tf.reshape(newEdge, [b, n, n, c])));
    const gate = tf.div(expS, tf.sum(expS, 2, true)); // [B, i, j, C]
    const vj = tf.expandDims(lin(x, `${p}V${layer}`, false), 1); // [B, 1, N(j), C]
    const message = tf.div(tf.sum(tf.mul(gate, vj), 2), n);
    const ui = lin(x, `${p}U${layer}`, false);
    const newX = tf.relu(tf.add(x, batchNorm(store, `${p}bnv${layer}`, tf.add(ui, message), 1, s))) as tf.Tensor3D;
    return { x: newX, edge: newEdge, gate };
  }

  function forward(features: tf.Tensor, options: ForwardOptions = {}): MeflOutput {
    const training = options.training ?? false;
    const s: ForwardState = { training, updates: training ? (options.updates ?? pending.updates) : undefined };
    checkFeatures(features, cfg);
    return tf.tidy(() => {
      const x = linearBlock(store, "global_linear", features, s) as tf.Tensor3D;
      const { fuTokens, fv } = afg(store, n, x, s);
      const { fam, fe } = gem(fuTokens, x, s); // fe [B, N*N, C]
      const l1 = gnnLayer(fv, fe, 1, s);
      const l2 = gnnLayer(l1.x, l1.edge, 2, s);
      const cl = classifier(store, l2.x);
      const clEdge = lin(l2.edge, "head.edge_fc") as tf.Tensor3D;
      const mids: Record<string, tf.Tensor> = {};
      if (options.intermediates) {
        mids["global_linear"] = x;
        mids["f_u"] = tf.transpose(fuTokens, [0, 2, 1, 3]);
        mids["f_v"] = fv;
        mids["gem.fam"] = fam;
        mids["f_e"] = fe;
        mids["gnn.gate1"] = l1.gate;
        mids["gnn.gate2"] = l2.gate;
        mids["gnn.node_out"] = l2.x;
        mids["gnn.edge_out"] = l2.edge;
      }
      return { kind: "mefl" as const, cl, fv, nodeFeatures: l2.x, clEdge, fe, edgeFeatures: l2.edge, mids };
    });
  }

  return graphHead("mefl", cfg, store, pending, forward);
}
