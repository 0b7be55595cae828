// Analytic size and compute of the models, from their configs alone (nothing allocated):
// parameters and multiply-accumulates (MACs) of one image's forward pass, per part, for
// comparing teacher and student as the paper's Table 4 does (GMACs / params). Covers the
// models MaskAU builds (MAE, its small ResNet, the MAE-encoder backbones, the feature
// alignment, the ANFL / MEFL heads, the student) and, from their standard definitions,
// the full-size backbones it does not build: torchvision's bottleneck ResNet-50 as
// ME-GraphAU's model/resnet.py has it, and the Swin Transformer of ME-GraphAU's
// model/swin_transformer.py (Swin-B).
//
// Conventions.
//   params       learnable scalars: what an optimizer would update with nothing frozen.
//   fixedParams  parameter tensors that are never learnt: the MAE's sin-cos pos_embed and
//                decoder_pos_embed. PyTorch's model.parameters() and
//                official_architectures.json count them, so params + fixedParams is the
//                official parameter count. Buffers (BatchNorm running statistics and
//                counters, Swin's attn_mask and relative_position_index) are counted nowhere.
//   macs         the matrix products as MaskAU runs them: Linear layers, convolutions, the
//                patch embedding, attention's q k^T and attn v, the graph's similarity and
//                propagation, GEM's cross-attention. Elementwise work (norms, softmax,
//                GELU, pooling, the gated GNN's message sum, the cosine classifier) is left
//                out. tf.profile's BatchMatMul and Conv2D kernels of an eval-mode forward add
//                up to exactly this (tests/lib/models/cost.test.ts); a train-mode MEFL forward
//                also runs the edge BatchNorm's batch variance, N T^2 C + N^2 T^3 more.
//   moduleMacs   the nn.Linear and nn.Conv2d calls of the official PyTorch code for the same
//                config, on the inputs that code gives them, and nothing else: products it
//                writes as torch.matmul or einsum (attention scores, attn v, the graph's
//                propagation) are left out, as module-hook profilers (thop, ptflops) leave
//                them out. The official code differs from MaskAU's in one place that
//                matters: ME-GraphAU's GEM repeats its inputs (the global features N times
//                for FAM's keys and values, the FAM output N^2 times for ARM), so its
//                linear layers run on N (FAM k, v) or N^2 (ARM q, k, v, edge_proj) times the
//                rows MaskAU's GEM gives them. This is the paper's Table 4 convention: it gives
//                ME-GraphAU (Swin-B, MEFL, 224 px) 21.26 GMACs, the paper 21.28.
import type { MaeConfig } from "../config.js";
import type { AlignConfig } from "./align.js";
import type { BackboneSpec, DetectorConfig, HeadKind } from "./detector.js";
import { lenKeepFor, maeSizes } from "./mae.js";
import type { ResNetConfig } from "./resnet.js";

export interface Cost {
  /** Learnable scalars. */
  params: number;
  /** Parameter tensors that are not learnt (the MAE's sin-cos position embeddings). */
  fixedParams: number;
  /** Multiply-accumulates of the matrix products MaskAU runs, for one image. */
  macs: number;
  /** Multiply-accumulates of the official code's nn.Linear / nn.Conv2d calls, for one image (the paper's convention). */
  moduleMacs: number;
}

export const ZERO_COST: Cost = Object.freeze({ params: 0, fixedParams: 0, macs: 0, moduleMacs: 0 });

/** The sum of costs, field by field. */
export function addCosts(...parts: Cost[]): Cost {
  return parts.reduce(
    (a, c) => ({ params: a.params + c.params, fixedParams: a.fixedParams + c.fixedParams, macs: a.macs + c.macs, moduleMacs: a.moduleMacs + c.moduleMacs }),
    { ...ZERO_COST },
  );
}

/** params + fixedParams: what PyTorch's sum(p.numel() for p in model.parameters()) gives. */
export const allParams = (c: Cost): number => c.params + c.fixedParams;

const times = (c: Cost, n: number): Cost => ({ params: c.params * n, fixedParams: c.fixedParams * n, macs: c.macs * n, moduleMacs: c.moduleMacs * n });
const learnt = (params: number): Cost => ({ ...ZERO_COST, params });
const fixed = (fixedParams: number): Cost => ({ ...ZERO_COST, fixedParams });
/** Products the code writes as matmul / einsum: counted in macs, not in moduleMacs. */
const products = (macs: number): Cost => ({ ...ZERO_COST, macs });
/** LayerNorm / BatchNorm affine parameters (weight, bias). */
const norm = (channels: number): Cost => learnt(2 * channels);

/**
 * nn.Linear(inF, outF) on `rows` rows. `moduleRows`: the rows the official code gives the
 * same layer when it differs from MaskAU's (ME-GraphAU's GEM repeats its inputs).
 */
function linear(rows: number, inF: number, outF: number, { bias = true, moduleRows = rows }: { bias?: boolean; moduleRows?: number } = {}): Cost {
  return { params: inF * outF + (bias ? outF : 0), fixedParams: 0, macs: rows * inF * outF, moduleMacs: moduleRows * inF * outF };
}

/** nn.Conv2d(inC, outC, k) producing `positions` output pixels. */
function conv(positions: number, inC: number, outC: number, k: number, bias = false): Cost {
  const macs = positions * inC * outC * k * k;
  return { params: inC * outC * k * k + (bias ? outC : 0), fixedParams: 0, macs, moduleMacs: macs };
}

/** Output side of a convolution or pooling (torch's formula, floor). */
const convOut = (n: number, k: number, s: number, p: number): number => Math.floor((n + 2 * p - k) / s) + 1;

// ---------------------------------------------------------------------------------
// Vision transformers: the MAE (timm 0.3.2 blocks)

/** One pre-norm ViT block on T tokens of width E with an H-wide MLP (attention over all T tokens). */
export function vitBlockCost(T: number, E: number, H: number): Cost {
  return addCosts(
    norm(E),
    linear(T, E, 3 * E), // qkv
    products(2 * T * T * E), // q k^T and attn v, all heads
    linear(T, E, E), // proj
    norm(E),
    linear(T, E, H), // mlp.fc1
    linear(T, H, E), // mlp.fc2
  );
}

/**
 * The MAE encoder: patch embedding of all L patches (a strided convolution in the official
 * code, one matmul in MaskAU), cls_token, the fixed pos_embed, the blocks on the `visible`
 * patches plus cls (visible = L: all patches, the student's and mae-vit detector's view),
 * the final norm.
 */
export function maeEncoderCost(c: MaeConfig, visible = maeSizes(c).numPatches): Cost {
  const { numPatches: L, patchDim: P, mlpHidden: H } = maeSizes(c);
  const E = c.embedDim;
  if (!Number.isInteger(visible) || visible < 0 || visible > L) throw new Error(`maeEncoderCost: ${visible} visible patches of ${L}`);
  return addCosts(
    linear(L, P, E), // patch_embed.proj
    learnt(E), // cls_token
    fixed((1 + L) * E), // pos_embed
    times(vitBlockCost(visible + 1, E, H), c.depth),
    norm(E),
  );
}

/** The MAE decoder after an encoder that saw `visible` patches: decoder_embed, mask tokens, fixed decoder_pos_embed, blocks on all L + 1 tokens, decoder_norm, decoder_pred (cls row included, dropped after). */
export function maeDecoderCost(c: MaeConfig, visible: number): Cost {
  const { numPatches: L, patchDim: P, decoderMlpHidden: H } = maeSizes(c);
  const D = c.decoderEmbedDim;
  if (!Number.isInteger(visible) || visible < 0 || visible > L) throw new Error(`maeDecoderCost: ${visible} visible patches of ${L}`);
  return addCosts(
    learnt(D), // mask_token
    fixed((1 + L) * D), // decoder_pos_embed
    linear(visible + 1, c.embedDim, D), // decoder_embed
    times(vitBlockCost(L + 1, D, H), c.decoderDepth),
    norm(D),
    linear(L + 1, D, P), // decoder_pred
  );
}

export interface MaeCost {
  /** Patches the encoder reads: floor(L * (1 - maskRatio)), as random_masking keeps. */
  visible: number;
  encoder: Cost;
  decoder: Cost;
  total: Cost;
}

/** The whole MAE on one image with a fraction `maskRatio` of its patches removed: the teacher's reconstruction (reconstruct.ts). */
export function maeCost(c: MaeConfig, maskRatio: number): MaeCost {
  const visible = lenKeepFor(maeSizes(c).numPatches, maskRatio);
  const encoder = maeEncoderCost(c, visible);
  const decoder = maeDecoderCost(c, visible);
  return { visible, encoder, decoder, total: addCosts(encoder, decoder) };
}

// ---------------------------------------------------------------------------------
// Convolutional backbones

export interface BackboneCost {
  cost: Cost;
  /** Tokens the backbone gives the head (feature-map positions). */
  tokens: number;
  /** Their width C_b. */
  channels: number;
}

/** MaskAU's ResNet (resnet.ts: torchvision basic blocks, no avgpool / fc) on `imgSize` px images. */
export function resnetCost(c: ResNetConfig, imgSize: number, inChans = 3): BackboneCost {
  let n = convOut(imgSize, c.stemKernel, c.stemStride, Math.floor(c.stemKernel / 2));
  const parts: Cost[] = [conv(n * n, inChans, c.stemChannels, c.stemKernel), norm(c.stemChannels)];
  if (c.maxPool) n = convOut(n, 3, 2, 1);
  let inplanes = c.stemChannels;
  c.widths.forEach((planes, s) => {
    for (let b = 0; b < c.blocks[s]; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const out = convOut(n, 3, stride, 1);
      parts.push(conv(out * out, inplanes, planes, 3), norm(planes), conv(out * out, planes, planes, 3), norm(planes));
      if (stride !== 1 || inplanes !== planes) parts.push(conv(out * out, inplanes, planes, 1), norm(planes));
      n = out;
      inplanes = planes;
    }
  });
  return { cost: addCosts(...parts), tokens: n * n, channels: inplanes };
}

/** A torchvision-style ResNet with bottleneck blocks (1x1, 3x3 strided, 1x1 x expansion), as ME-GraphAU's model/resnet.py. */
export interface BottleneckResNetConfig {
  stemChannels: number;
  stemKernel: number;
  stemStride: number;
  maxPool: boolean;
  /** Planes of each stage (its output is planes * expansion wide). */
  widths: number[];
  blocks: number[];
  expansion: number;
}

/** torchvision's resnet50 (ME-GraphAU's resnet50(), fc removed): 2048-wide tokens, 7 x 7 at 224 px. */
export const RESNET50: BottleneckResNetConfig = { stemChannels: 64, stemKernel: 7, stemStride: 2, maxPool: true, widths: [64, 128, 256, 512], blocks: [3, 4, 6, 3], expansion: 4 };

export function bottleneckResNetCost(c: BottleneckResNetConfig, imgSize: number, inChans = 3): BackboneCost {
  let n = convOut(imgSize, c.stemKernel, c.stemStride, Math.floor(c.stemKernel / 2));
  const parts: Cost[] = [conv(n * n, inChans, c.stemChannels, c.stemKernel), norm(c.stemChannels)];
  if (c.maxPool) n = convOut(n, 3, 2, 1);
  let inplanes = c.stemChannels;
  c.widths.forEach((planes, s) => {
    const width = planes * c.expansion;
    for (let b = 0; b < c.blocks[s]; b++) {
      const stride = b === 0 && s > 0 ? 2 : 1;
      const out = convOut(n, 3, stride, 1);
      parts.push(conv(n * n, inplanes, planes, 1), norm(planes)); // conv1 1x1
      parts.push(conv(out * out, planes, planes, 3), norm(planes)); // conv2 3x3, stride
      parts.push(conv(out * out, planes, width, 1), norm(width)); // conv3 1x1
      if (b === 0 && (stride !== 1 || inplanes !== width)) parts.push(conv(out * out, inplanes, width, 1), norm(width)); // downsample
      n = out;
      inplanes = width;
    }
  });
  return { cost: addCosts(...parts), tokens: n * n, channels: inplanes };
}

// ---------------------------------------------------------------------------------
// Swin Transformer (ME-GraphAU's model/swin_transformer.py, Swin v1)

export interface SwinConfig {
  patchSize: number;
  inChans: number;
  /** Width of stage 1; stage i is embedDim * 2^i wide. */
  embedDim: number;
  depths: number[];
  numHeads: number[];
  windowSize: number;
  mlpRatio: number;
}

/** swin_transformer_base(): 1024-wide tokens, 7 x 7 at 224 px. */
export const SWIN_B: SwinConfig = { patchSize: 4, inChans: 3, embedDim: 128, depths: [2, 2, 18, 2], numHeads: [4, 8, 16, 32], windowSize: 7, mlpRatio: 4 };

/**
 * Patch embedding (conv p x p stride p + LayerNorm), stages of blocks with (shifted)
 * window attention (relative position bias table (2w-1)^2 x heads; a stage whose
 * resolution is at most the window attends over the whole map, w = resolution), patch
 * merging between stages (LayerNorm(4C), Linear(4C -> 2C) without bias), final norm; no
 * avgpool or head (ME-GraphAU reads the tokens).
 */
export function swinCost(c: SwinConfig, imgSize: number): BackboneCost {
  if (imgSize % c.patchSize !== 0) throw new Error(`swinCost: ${imgSize} px is not a multiple of the patch size ${c.patchSize}`);
  let res = imgSize / c.patchSize;
  const parts: Cost[] = [conv(res * res, c.inChans, c.embedDim, c.patchSize, true), norm(c.embedDim)];
  let dim = c.embedDim;
  c.depths.forEach((depth, i) => {
    const w = Math.min(c.windowSize, res);
    if (res % w !== 0) throw new Error(`swinCost: stage ${i + 1}'s ${res} x ${res} map is not a whole number of ${w} x ${w} windows`);
    const T = res * res;
    const block = addCosts(
      norm(dim),
      learnt((2 * w - 1) ** 2 * c.numHeads[i]), // relative_position_bias_table
      linear(T, dim, 3 * dim), // qkv
      products(2 * T * w * w * dim), // q k^T and attn v within each window
      linear(T, dim, dim), // proj
      norm(dim),
      linear(T, dim, Math.floor(dim * c.mlpRatio)),
      linear(T, Math.floor(dim * c.mlpRatio), dim),
    );
    parts.push(times(block, depth));
    if (i < c.depths.length - 1) {
      if (res % 2 !== 0) throw new Error(`swinCost: stage ${i + 1}'s ${res} x ${res} map cannot be merged 2 x 2`);
      res /= 2;
      parts.push(norm(4 * dim), linear(res * res, 4 * dim, 2 * dim, { bias: false }));
      dim *= 2;
    }
  });
  parts.push(norm(dim));
  return { cost: addCosts(...parts), tokens: res * res, channels: dim };
}

// ---------------------------------------------------------------------------------
// The feature alignment and the graph heads

/** The feature alignment on a g x g grid of E-wide tokens (the pooling has no parameters and no MACs). */
export function alignCost(c: AlignConfig, inChannels: number): Cost {
  const widths = [inChannels, ...c.hidden, c.outChannels];
  const tokens = c.gridOut * c.gridOut;
  const layers: Cost[] = [];
  for (let i = 1; i < widths.length; i++) layers.push(linear(tokens, widths[i - 1], widths[i]));
  return addCosts(...layers);
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
  const linearBlock = (rows: number, inF: number, outF: number) => addCosts(linear(rows, inF, outF), norm(outF)); // fc + BatchNorm1d
  const common = addCosts(
    linearBlock(T, Cb, C), // global_linear
    learnt(N * C), // head.sc, the prototypes
    times(linearBlock(T, C, C), N), // head.class_linears (AFG)
  );
  if (head === "anfl") {
    return addCosts(
      common,
      linear(N, C, C), // gnn.U
      linear(N, C, C), // gnn.V
      norm(N), // gnn.bnv
      products(2 * N * N * C), // similarity f_v f_v^T and propagation A V(f_v)
    );
  }
  const h = Math.floor(C / 2);
  const gem = addCosts(
    // FAM: queries from each node's tokens; keys and values from the global tokens (the official code repeats them N times)
    linear(N * T, C, h),
    linear(T, C, h, { moduleRows: N * T }),
    linear(T, C, C, { moduleRows: N * T }),
    products(N * T * T * h + N * T * T * C),
    // ARM on every ordered pair (i, j): MaskAU projects each node's FAM output once, the official code each repeated pair
    linear(N * T, C, h, { moduleRows: N * N * T }),
    linear(N * T, C, h, { moduleRows: N * N * T }),
    linear(N * T, C, C, { moduleRows: N * N * T }),
    products(N * N * T * T * h), // ARM's scores
    // edge_proj: MaskAU applies it to each node's T ARM values and averages the attention over
    // the query tokens first (mefl.ts gem()), the official code projects every edge's T outputs
    linear(N * T, C, C, { moduleRows: N * N * T }),
    products(N * N * T * C), // mean_t(attention) times the projected values
    norm(N * N), // bn over the N*N edges
  );
  const gnnLayer = addCosts(
    times(linear(N, C, C, { bias: false }), 4), // U, V, A, B on the nodes
    linear(N * N, C, C, { bias: false }), // E on the edges
    norm(N), // bnv
    norm(N * N), // bne
  );
  return addCosts(common, gem, times(gnnLayer, 2), linear(N * N, C, 4)); // edge_fc
}

// ---------------------------------------------------------------------------------
// Whole models

export interface DetectorCost {
  /** The backbone (a student's: the MAE encoder). */
  backbone: Cost;
  /** The student's feature alignment; zero for other backbones. */
  align: Cost;
  /** global_linear and the graph head. */
  head: Cost;
  total: Cost;
  /** Tokens and width the head reads. */
  tokens: number;
  backboneChannels: number;
}

/** A MaskAU backbone on `imgSize` px images. */
export function backboneCost(spec: BackboneSpec, imgSize: number): BackboneCost {
  if (spec.kind === "resnet") return resnetCost(spec.resnet, imgSize);
  const { numPatches } = maeSizes(spec.mae);
  return { cost: maeEncoderCost(spec.mae), tokens: numPatches, channels: spec.mae.embedDim };
}

/** Parameters and MACs of a MaskAU detector or student, per part. */
export function detectorCost(config: DetectorConfig): DetectorCost {
  const bb = backboneCost(config.backbone, config.imgSize);
  let align = ZERO_COST;
  let tokens = bb.tokens;
  let channels = bb.channels;
  if (config.backbone.kind === "mae-aligned") {
    const a = config.backbone.align;
    align = alignCost(a, bb.channels);
    tokens = a.gridOut * a.gridOut;
    channels = a.outChannels;
  }
  const head = graphHeadCost({ head: config.head, tokens, backboneChannels: channels, inChannels: config.inChannels, numClasses: config.numClasses });
  return { backbone: bb.cost, align, head, total: addCosts(bb.cost, align, head), tokens, backboneChannels: channels };
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
  if (config.backbone.kind !== "mae-aligned") throw new Error(`studentCost: the config's backbone is "${config.backbone.kind}", not the student's "mae-aligned"`);
  const d = detectorCost(config);
  return { encoder: d.backbone, align: d.align, head: d.head, total: d.total };
}

/** A backbone of the official ME-GraphAU that MaskAU does not build. */
export type MegraphauBackbone = { kind: "resnet-bottleneck"; resnet: BottleneckResNetConfig } | { kind: "swin"; swin: SwinConfig };

/** The official ME-GraphAU (MEFARG of model/ANFL.py or model/MEFL.py). */
export interface MegraphauConfig {
  backbone: MegraphauBackbone;
  head: HeadKind;
  imgSize: number;
  numClasses: number;
}

export interface MegraphauCost extends DetectorCost {
  /** C, the node width MEFARG derives: C_b / 2 for Swin, C_b / 4 for ResNet. */
  inChannels: number;
}

/** Parameters and MACs of the official ME-GraphAU with a ResNet or Swin backbone. */
export function megraphauCost(c: MegraphauConfig): MegraphauCost {
  const bb = c.backbone.kind === "swin" ? swinCost(c.backbone.swin, c.imgSize) : bottleneckResNetCost(c.backbone.resnet, c.imgSize);
  const inChannels = Math.floor(bb.channels / (c.backbone.kind === "swin" ? 2 : 4)); // MEFARG: out_channels = in_channels // 2 or // 4
  const head = graphHeadCost({ head: c.head, tokens: bb.tokens, backboneChannels: bb.channels, inChannels, numClasses: c.numClasses });
  return { backbone: bb.cost, align: ZERO_COST, head, total: addCosts(bb.cost, head), tokens: bb.tokens, backboneChannels: bb.channels, inChannels };
}
