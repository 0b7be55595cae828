// Analytic size and compute of the models, from their configs alone (nothing allocated):
// learnable parameters and multiply-accumulates (MACs) of one image's forward pass, per
// part, for comparing teacher and student as the paper's Table 4 does (GMACs / params).
//
// Conventions. Parameters: the learnable scalars, what an optimizer would update with
// nothing frozen; state-dict buffers (the MAE's fixed sin-cos pos_embed, BatchNorm running
// statistics and counters) are not counted. MACs: the matrix products only, as the model
// code runs them (Linear layers, the patch embedding, attention's q k^T and attn v, the
// graph's similarity and propagation); elementwise work (norms, softmax, GELU, pooling,
// the gated GNN's message sum, the cosine classifier) is left out. The student's test
// checks both against the model: the parameter counts against its variables, the MACs
// against the matrix products tf.profile records in a forward pass.
import type { MaeConfig } from "../config.js";
import type { AlignConfig } from "./align.js";
import type { DetectorConfig, HeadKind } from "./detector.js";
import { maeSizes } from "./mae.js";

export interface Cost {
  /** Learnable scalars. */
  params: number;
  /** Multiply-accumulates of matrix products for one image. */
  macs: number;
}

const add = (...parts: Cost[]): Cost => parts.reduce((a, c) => ({ params: a.params + c.params, macs: a.macs + c.macs }), { params: 0, macs: 0 });

/** The MAE encoder on all L patches (cls token included, so L + 1 tokens): patch embedding, blocks, final norm. */
export function maeEncoderCost(c: MaeConfig): Cost {
  const { numPatches: L, patchDim: P, mlpHidden: H } = maeSizes(c);
  const E = c.embedDim;
  const T = L + 1;
  const blockParams = 2 * 2 * E + (3 * E * E + 3 * E) + (E * E + E) + (E * H + H) + (H * E + E);
  const blockMacs = T * E * 3 * E + 2 * T * T * E + T * E * E + 2 * T * E * H;
  return {
    params: E * P + E + E + c.depth * blockParams + 2 * E, // patch_embed, cls_token, blocks, norm
    macs: L * P * E + c.depth * blockMacs,
  };
}

/** The feature alignment on a g x g grid of E-wide tokens (the pooling has no parameters and no MACs). */
export function alignCost(c: AlignConfig, inChannels: number): Cost {
  const widths = [inChannels, ...c.hidden, c.outChannels];
  const tokens = c.gridOut * c.gridOut;
  let params = 0;
  let macs = 0;
  for (let i = 1; i < widths.length; i++) {
    params += widths[i - 1] * widths[i] + widths[i];
    macs += tokens * widths[i - 1] * widths[i];
  }
  return { params, macs };
}

export interface HeadSizes {
  head: HeadKind;
  /** T: tokens the head reads. */
  tokens: number;
  /** C_b: their width. */
  backboneChannels: number;
  /** C: node feature width. */
  inChannels: number;
  /** N: AUs. */
  numClasses: number;
}

/** global_linear and the ANFL or MEFL head (ANFL with the dots or cosine similarity). */
export function graphHeadCost({ head, tokens: T, backboneChannels: Cb, inChannels: C, numClasses: N }: HeadSizes): Cost {
  const bn = (channels: number) => 2 * channels; // weight, bias
  const common: Cost = {
    // global_linear (fc + BatchNorm), prototypes sc, N class LinearBlocks (the AFG)
    params: Cb * C + C + bn(C) + N * C + N * (C * C + C + bn(C)),
    macs: T * Cb * C + T * N * C * C,
  };
  if (head === "anfl") {
    // U, V, BatchNorm over nodes; similarity f_v f_v^T and propagation A V(f_v)
    return add(common, { params: 2 * (C * C + C) + bn(N), macs: N * N * C + 2 * N * C * C + N * N * C });
  }
  const h = Math.floor(C / 2);
  const crossAttnParams = 2 * (h * C + h) + C * C + C;
  const gem: Cost = {
    params: 2 * crossAttnParams + (C * C + C) + bn(N * N), // FAM, ARM, edge_proj, bn
    macs:
      N * T * C * h + T * C * h + T * C * C + N * T * T * h + N * T * T * C + // FAM: q per node, k and v of the face tokens, scores, attn v
      2 * N * T * C * h + N * T * C * C + N * T * N * T * h + N * N * T * T * C + // ARM: q, k, v per node, scores of every pair, attn v
      N * N * T * C * C, // edge_proj
  };
  const gnn: Cost = {
    params: 2 * 5 * C * C + 2 * (bn(N) + bn(N * N)), // two layers of bias-free U, V, A, B, E; bnv, bne
    macs: 2 * (4 * N * C * C + N * N * C * C),
  };
  const edgeFc: Cost = { params: 4 * C + 4, macs: N * N * C * 4 };
  return add(common, gem, gnn, edgeFc);
}

export interface StudentCost {
  encoder: Cost;
  align: Cost;
  /** global_linear and the graph head. */
  head: Cost;
  total: Cost;
}

/** Parameters and MACs of a student (a detector config with the mae-aligned backbone), per part. */
export function studentCost(config: DetectorConfig): StudentCost {
  const bb = config.backbone;
  if (bb.kind !== "mae-aligned") throw new Error(`studentCost: the config's backbone is "${bb.kind}", not the student's "mae-aligned"`);
  const encoder = maeEncoderCost(bb.mae);
  const align = alignCost(bb.align, bb.mae.embedDim);
  const head = graphHeadCost({
    head: config.head,
    tokens: bb.align.gridOut * bb.align.gridOut,
    backboneChannels: bb.align.outChannels,
    inChannels: config.inChannels,
    numClasses: config.numClasses,
  });
  return { encoder, align, head, total: add(encoder, align, head) };
}
