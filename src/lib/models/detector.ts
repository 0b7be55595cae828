// The AU detection module of the paper (ME-GraphAU's MEFARG): a backbone whose
// feature map becomes tokens [B, T, C_b], then the ANFL head (stage 1) or the MEFL
// head (stage 2), each with its global_linear. State-dict names follow ME-GraphAU:
//   backbone.*        the backbone (torchvision ResNet names, or the MAE encoder's
//                     names: patch_embed.*, cls_token, pos_embed, blocks.*, norm.*)
//   global_linear.*   LinearBlock(C_b -> C)
//   head.*            ANFL / MEFL
//   align.*           the student's feature alignment (mae-aligned backbone only)
// Backbones:
//   resnet       a small torchvision-style ResNet (resnet.ts), trained with the head
//   mae-vit      the MAE encoder on all patches; its patch tokens (cls dropped) feed the
//                head; optionally frozen (then it is excluded from training and runs
//                without gradient recording)
//   mae-aligned  the student of section 3.3 (student.ts): the MAE encoder on all patches
//                of the occluded face, then the feature alignment (align.ts: average
//                pooling to the teacher's token grid, fully connected layers to its
//                width); the encoder optionally frozen, the alignment always trained
// forwardFeatures -> backbone tokens [B, T, C_b]; forwardHead(tokens) -> AU
// probabilities [B, N] (cosine similarities, no sigmoid), the node features the
// classifier reads [B, N, C], and for MEFL edge logits [B, N*N, 4];
// forward(images) = forwardHead(forwardFeatures(images)). Outputs carry the head's
// kind, so a caller switches on `kind` and MEFL's edge logits are typed as present.
import * as tf from "@tensorflow/tfjs-core";
import { MAE_PRESETS, validateMaeConfig, type MaeConfig } from "../config.js";
import { alignProblem, createAlignment, type AlignConfig, type FeatureAlignment } from "./align.js";
import { createAnflHead, type AnflHead, type AnflOutput, type GraphMetric } from "./anfl.js";
import { noGrad } from "./batchnorm.js";
import { createMae, maeSizes, type Mae } from "./mae.js";
import { createMeflHead, type MeflHead, type MeflOutput } from "./mefl.js";
import { CheckpointMismatchError, type LoadReport, type ParamStore, type TensorData } from "./params.js";
import { createResNet, RESNET_PRESETS, resnetOutputSize, type ResNet, type ResNetConfig } from "./resnet.js";

export type BackboneSpec =
  | { kind: "resnet"; resnet: ResNetConfig }
  | { kind: "mae-vit"; mae: MaeConfig; /** Keep the encoder fixed (default true). */ frozen: boolean }
  | MaeAlignedBackboneSpec;

/** The student's backbone: MAE encoder on all patches (cls dropped), then the feature alignment. */
export type MaeAlignedBackboneSpec = {
  kind: "mae-aligned";
  mae: MaeConfig;
  /** Keep the encoder fixed (the alignment is trained either way). */
  frozen: boolean;
  align: AlignConfig;
};

export type HeadKind = "anfl" | "mefl";

export interface DetectorConfig {
  backbone: BackboneSpec;
  /** Stage 1 (ANFL) or stage 2 (MEFL). */
  head: HeadKind;
  /** Square input side in pixels. */
  imgSize: number;
  /** N: number of AUs. */
  numClasses: number;
  /** C: node feature width (global_linear output). */
  inChannels: number;
  /** ANFL: neighbours per node (K = 4). */
  neighborNum: number;
  /** ANFL: node similarity (dots). */
  metric: GraphMetric;
}

export type DetectorPresetName = "tiny" | "small" | "mae-tiny";

/** Presets for 64 px faces with 12 AUs (numClasses and head are set per run). */
export const DETECTOR_PRESETS: Record<DetectorPresetName, Omit<DetectorConfig, "head" | "numClasses">> = {
  /** Tiny ResNet (16/32/64 channels, 4 x 4 tokens at 64 px) + 64-wide graph head: trains on a CPU in minutes. */
  tiny: { backbone: { kind: "resnet", resnet: RESNET_PRESETS.tiny }, imgSize: 64, inChannels: 64, neighborNum: 4, metric: "dots" },
  /** Four stages of two blocks (up to 192 channels) + 96-wide head. */
  small: { backbone: { kind: "resnet", resnet: RESNET_PRESETS.small }, imgSize: 64, inChannels: 96, neighborNum: 4, metric: "dots" },
  /** The tiny MAE's encoder (frozen, 8 x 8 patch tokens of width 96) + 64-wide head. */
  "mae-tiny": { backbone: { kind: "mae-vit", mae: MAE_PRESETS.tiny, frozen: true }, imgSize: 64, inChannels: 64, neighborNum: 4, metric: "dots" },
};

export function detectorConfig(preset: DetectorPresetName, overrides: Partial<DetectorConfig> & Pick<DetectorConfig, "head" | "numClasses">): DetectorConfig {
  const base = DETECTOR_PRESETS[preset];
  if (!base) throw new Error(`unknown detector preset "${preset}": choose ${Object.keys(DETECTOR_PRESETS).join(", ")}`);
  return { ...structuredClone(base), ...overrides };
}

/** What forwardHead returns for either head. */
type HeadOutputCommon = {
  /** AU probabilities [B, N]: cosine of node feature and prototype, both ReLU'd, so in [0, 1]; no sigmoid. */
  prob: tf.Tensor2D;
  /**
   * [B, N, C]: per AU the node feature the classifier reads (prob[b, i] is its cosine with
   * AU i's ReLU'd prototype): the graph's output node features, ReLU'd and not normalised.
   * ANFL: relu(f_v + bnv(A V(f_v) + U(f_v))), the GCN output. MEFL: the node output of the
   * second gated-GNN layer. What node-level KD and the t-SNE of node features read.
   */
  nodeFeatures: tf.Tensor3D;
};

/** Stage 1 (ANFL): no edge head. */
export type AnflDetectorOutput = HeadOutputCommon & {
  readonly kind: "anfl";
  /** ANFL has no edge head (declared so that code for either head may test for it). */
  edgeLogits?: undefined;
};

/** Stage 2 (MEFL). */
export type MeflDetectorOutput = HeadOutputCommon & {
  readonly kind: "mefl";
  /** Edge logits [B, N*N, 4], edge e = i*N + j, class 2*y_i + y_j. */
  edgeLogits: tf.Tensor3D;
};

export type DetectorOutput = AnflDetectorOutput | MeflDetectorOutput;

/** ANFL intermediates (eval or train forward alike). */
export type AnflIntermediates = {
  /** f_v [B, N, C]: the AFG node features (per-AU LinearBlock, mean over tokens), before the graph. */
  afgFeatures: tf.Tensor3D;
  /** [B, N, N] the FGG node similarity (dot products for the "dots" metric). */
  similarity: tf.Tensor3D;
  /** [B, N, N] 0/1: j is among the K most similar nodes of i (ties included; no self-loop added). */
  adjacency: tf.Tensor3D;
  /** [B, N, N] D^-1/2 A D^-1/2 with the row degrees on both sides, what the GCN propagates with. */
  normAdjacency: tf.Tensor3D;
};

/** MEFL intermediates. */
export type MeflIntermediates = {
  /** f_v [B, N, C]: the AFG node features, before the gated GNN. */
  afgFeatures: tf.Tensor3D;
  /** f_e [B, N*N, C]: the GEM's edge features (FAM + ARM cross-attention, mean over tokens), before the gated GNN. */
  gemEdgeFeatures: tf.Tensor3D;
  /** [B, N*N, C]: the edge features the edge classifier reads (second gated-GNN layer's edge output). */
  edgeFeatures: tf.Tensor3D;
};

export type DetectorOutputWithIntermediates =
  | (AnflDetectorOutput & { intermediates: AnflIntermediates })
  | (MeflDetectorOutput & { intermediates: MeflIntermediates });

export interface DetectorForwardOptions {
  /** BatchNorm train mode (the backbone's too, unless frozen). Default false. */
  training?: boolean;
  /** Also return the head's intermediates (typed per head). Default false. */
  intermediates?: boolean;
}

/** A backbone as the detector sees it: tokens out, its own parameter store. */
export interface Backbone {
  readonly kind: BackboneSpec["kind"];
  readonly params: ParamStore;
  readonly outChannels: number;
  readonly frozen: boolean;
  /** Names (without "backbone.") that belong to the detector's state_dict. */
  readonly stateNames: string[];
  forwardFeatures(imgs: tf.Tensor4D, training: boolean): tf.Tensor3D;
  commitBatchNorm(): void;
  discardBatchNorm(): void;
  dispose(): void;
}

function resnetBackbone(config: ResNetConfig, seed: number): Backbone {
  const net: ResNet = createResNet(config, { seed });
  return {
    kind: "resnet",
    params: net.params,
    outChannels: net.outChannels,
    frozen: false,
    stateNames: net.params.names(),
    forwardFeatures: (imgs, training) => net.forwardFeatures(imgs, { training }),
    commitBatchNorm: () => net.commitBatchNorm(),
    discardBatchNorm: () => net.discardBatchNorm(),
    dispose: () => net.dispose(),
  };
}

/** The MAE encoder's state_dict names (what the detector keeps of an MAE). */
export function isMaeEncoderName(name: string): boolean {
  return !(name.startsWith("decoder_") || name === "mask_token");
}

function maeBackbone(config: MaeConfig, frozen: boolean, seed: number, mae?: Mae, kind: "mae-vit" | "mae-aligned" = "mae-vit"): Backbone {
  const model = mae ?? createMae(config, { seed });
  const encode = (imgs: tf.Tensor4D) =>
    tf.tidy(() => {
      const tokens = model.forwardEncoderAll(imgs);
      const [b, t, e] = tokens.shape;
      return tf.slice(tokens, [0, 1, 0], [b, t - 1, e]) as tf.Tensor3D;
    });
  return {
    kind,
    params: model.params,
    outChannels: config.embedDim,
    frozen,
    stateNames: model.params.names().filter(isMaeEncoderName),
    forwardFeatures: (imgs) => (frozen ? (noGrad([imgs], (x) => encode(x as tf.Tensor4D)) as tf.Tensor3D) : encode(imgs)),
    commitBatchNorm: () => {},
    discardBatchNorm: () => {},
    dispose: () => model.dispose(),
  };
}

/** The detector's head, told apart by `kind` ("anfl" stage 1, "mefl" stage 2). */
export type DetectorHead = AnflHead | MeflHead;

export interface Detector {
  readonly config: DetectorConfig;
  readonly backbone: Backbone;
  /**
   * The feature alignment between the backbone and the head (mae-aligned backbone: the
   * student), or null. backbone.forwardFeatures gives the MAE tokens before it.
   */
  readonly align: FeatureAlignment | null;
  readonly head: DetectorHead;
  /**
   * NHWC normalised images [B, S, S, 3] -> the tokens the head reads [B, T, C_b] (resnet:
   * the last feature map, t = row * w + col; mae-vit: the encoder's patch tokens, cls
   * dropped; mae-aligned: those tokens after the alignment, [B, gridOut^2, outChannels]).
   * `training` puts the backbone's BatchNorms in train mode (ignored when it is frozen).
   */
  forwardFeatures(imgs: tf.Tensor4D, options?: { training?: boolean }): tf.Tensor3D;
  /**
   * Backbone tokens [B, T, C_b] -> the head's outputs (global_linear and the graph head).
   * Call inside tf.tidy or dispose the outputs (every tensor of the returned object).
   */
  forwardHead(tokens: tf.Tensor3D, options: DetectorForwardOptions & { intermediates: true }): DetectorOutputWithIntermediates;
  forwardHead(tokens: tf.Tensor3D, options?: DetectorForwardOptions): DetectorOutput;
  /** forwardHead(forwardFeatures(imgs)): images [B, S, S, 3] -> outputs. Call inside tf.tidy or dispose the outputs. */
  forward(imgs: tf.Tensor4D, options: DetectorForwardOptions & { intermediates: true }): DetectorOutputWithIntermediates;
  forward(imgs: tf.Tensor4D, options?: DetectorForwardOptions): DetectorOutput;
  /** Trainable variables by state_dict name (a frozen backbone is left out; the alignment never is). */
  trainable(): Record<string, tf.Variable>;
  countTrainable(): number;
  /** Every state_dict entry (parameters and buffers) as plain data. */
  stateDict(): Promise<Map<string, TensorData>>;
  /** State-dict names in order. */
  names(): string[];
  /**
   * Loads tensors by state_dict name. Strict (default): every name must be present with
   * its shape and nothing else, or CheckpointMismatchError is thrown and nothing loads.
   */
  load(tensors: Map<string, TensorData>, options?: { strict?: boolean; source?: string }): LoadReport;
  /** Applies the BatchNorm running-statistic updates of the train-mode forwards since the last call. */
  commitBatchNorm(): void;
  discardBatchNorm(): void;
  dispose(): void;
}

export function validateDetectorConfig(c: DetectorConfig): void {
  if (c.head !== "anfl" && c.head !== "mefl") throw new Error(`detector head must be "anfl" or "mefl", got ${JSON.stringify(c.head)}`);
  for (const k of ["imgSize", "numClasses", "inChannels", "neighborNum"] as const) {
    if (!Number.isInteger(c[k]) || c[k] < 1) throw new Error(`detector config: ${k} must be a positive integer, got ${c[k]}`);
  }
  if (c.backbone?.kind === "mae-vit") {
    if (c.backbone.mae.imgSize !== c.imgSize) throw new Error(`detector config: the MAE encoder takes ${c.backbone.mae.imgSize} px images but imgSize is ${c.imgSize}`);
  } else if (c.backbone?.kind === "mae-aligned") {
    const { mae, align, frozen } = c.backbone;
    if (!mae || typeof mae !== "object") throw new Error(`detector config: the mae-aligned backbone needs its MAE config ("mae")`);
    validateMaeConfig(mae);
    if (mae.imgSize !== c.imgSize) throw new Error(`detector config: the MAE encoder takes ${mae.imgSize} px images but imgSize is ${c.imgSize}`);
    if (typeof frozen !== "boolean") throw new Error(`detector config: backbone.frozen must be true or false, got ${JSON.stringify(frozen)}`);
    const problem = alignProblem(align, maeSizes(mae).gridSize);
    if (problem) throw new Error(`detector config: ${problem}`);
  } else if (c.backbone?.kind === "resnet") {
    if (resnetOutputSize(c.backbone.resnet, c.imgSize) < 1) throw new Error(`detector config: ${c.imgSize} px is too small for this ResNet`);
  } else {
    throw new Error(`detector config: unknown backbone ${JSON.stringify(c.backbone)}`);
  }
}

/** The encoder sizes a handed-over MAE must share with the config (the decoder is not used). */
const ENCODER_KEYS = ["imgSize", "patchSize", "inChans", "embedDim", "depth", "numHeads", "mlpRatio"] as const;

/**
 * Builds a detector with fresh weights (seeded). `mae` hands over an existing MAE (a
 * pretrained one, say) as the mae-vit or mae-aligned backbone's encoder; the detector then
 * owns it and disposes it. Its encoder sizes must be the config's.
 */
export function createDetector(config: DetectorConfig, { seed = 0, mae }: { seed?: number; mae?: Mae } = {}): Detector {
  validateDetectorConfig(config);
  const cfg: DetectorConfig = structuredClone(config);
  const bb = cfg.backbone;
  if (mae && bb.kind !== "resnet") {
    const differ = ENCODER_KEYS.filter((k) => mae.config[k] !== bb.mae[k]);
    if (differ.length) throw new Error(`createDetector: the MAE handed over differs from the config's encoder in ${differ.map((k) => `${k} (${mae.config[k]} vs ${bb.mae[k]})`).join(", ")}`);
  }
  const backbone =
    bb.kind === "resnet" ? resnetBackbone(bb.resnet, seed) : maeBackbone(bb.mae, bb.frozen, seed, mae, bb.kind);
  // The student's alignment: seeded apart from the backbone (seed) and the head (seed + 1).
  const align =
    bb.kind === "mae-aligned" ? createAlignment(bb.align, { grid: maeSizes(bb.mae).gridSize, inChannels: backbone.outChannels, seed: seed + 2 }) : null;
  const headConfig = { inChannels: cfg.inChannels, backboneChannels: align ? align.outChannels : backbone.outChannels, numClasses: cfg.numClasses };
  const head: DetectorHead =
    cfg.head === "anfl"
      ? createAnflHead({ ...headConfig, neighborNum: cfg.neighborNum, metric: cfg.metric }, { seed: seed + 1 })
      : createMeflHead(headConfig, { seed: seed + 1 });

  // Full state_dict name -> where it lives.
  const entries = new Map<string, { store: ParamStore; local: string }>();
  for (const name of backbone.stateNames) entries.set(`backbone.${name}`, { store: backbone.params, local: name });
  for (const name of align?.params.names() ?? []) entries.set(name, { store: align!.params, local: name });
  for (const name of head.params.names()) entries.set(name, { store: head.params, local: name });

  function forwardFeatures(imgs: tf.Tensor4D, { training = false }: { training?: boolean } = {}): tf.Tensor3D {
    const [, h, w, ch] = imgs.shape;
    if (imgs.rank !== 4 || h !== cfg.imgSize || w !== cfg.imgSize || ch !== 3) {
      throw new Error(`detector expects NHWC images [B, ${cfg.imgSize}, ${cfg.imgSize}, 3], got [${imgs.shape}]`);
    }
    if (!align) return backbone.forwardFeatures(imgs, training && !backbone.frozen);
    // The MAE tokens [B, g*g, E] are freed here; the aligned tokens [B, gridOut^2, C_b] are returned.
    return tf.tidy(() => align.forward(backbone.forwardFeatures(imgs, training && !backbone.frozen)));
  }

  function anflOutput(out: AnflOutput, intermediates: boolean): AnflDetectorOutput | DetectorOutputWithIntermediates {
    const result: AnflDetectorOutput = { kind: "anfl", prob: out.cl, nodeFeatures: out.nodeFeatures };
    if (!intermediates) return result;
    if (!out.graph) throw new Error("ANFL head: the forward was asked for intermediates but returned no graph");
    const { similarity, adjacency, normAdjacency } = out.graph;
    return { ...result, intermediates: { afgFeatures: out.fv, similarity, adjacency, normAdjacency } };
  }

  function meflOutput(out: MeflOutput, intermediates: boolean): MeflDetectorOutput | DetectorOutputWithIntermediates {
    const result: MeflDetectorOutput = { kind: "mefl", prob: out.cl, nodeFeatures: out.nodeFeatures, edgeLogits: out.clEdge };
    if (!intermediates) return result;
    return { ...result, intermediates: { afgFeatures: out.fv, gemEdgeFeatures: out.fe, edgeFeatures: out.edgeFeatures } };
  }

  function forwardHead(tokens: tf.Tensor3D, options: DetectorForwardOptions & { intermediates: true }): DetectorOutputWithIntermediates;
  function forwardHead(tokens: tf.Tensor3D, options?: DetectorForwardOptions): DetectorOutput;
  function forwardHead(tokens: tf.Tensor3D, options: DetectorForwardOptions = {}): DetectorOutput {
    const training = options.training ?? false;
    const intermediates = options.intermediates ?? false;
    // What the returned object does not hold (the head's other tensors) is freed here.
    return tf.tidy(() =>
      head.kind === "anfl"
        ? anflOutput(head.forward(tokens, { training, intermediates }), intermediates)
        : meflOutput(head.forward(tokens, { training, intermediates }), intermediates),
    );
  }

  function forward(imgs: tf.Tensor4D, options: DetectorForwardOptions & { intermediates: true }): DetectorOutputWithIntermediates;
  function forward(imgs: tf.Tensor4D, options?: DetectorForwardOptions): DetectorOutput;
  function forward(imgs: tf.Tensor4D, options: DetectorForwardOptions = {}): DetectorOutput {
    return tf.tidy(() => forwardHead(forwardFeatures(imgs, { training: options.training }), options));
  }

  function trainable(): Record<string, tf.Variable> {
    const out: Record<string, tf.Variable> = {};
    if (!backbone.frozen) {
      const vars = backbone.params.trainable();
      for (const name of backbone.stateNames) if (vars[name]) out[`backbone.${name}`] = vars[name];
    }
    if (align) Object.assign(out, align.params.trainable());
    Object.assign(out, head.params.trainable());
    return out;
  }

  function check(tensors: Map<string, { shape: number[] }>): LoadReport {
    const report: LoadReport = { missing: [], unexpected: [], misShaped: [] };
    for (const [name, { store, local }] of entries) {
      const t = tensors.get(name);
      const expected = store.get(local).shape;
      if (!t) report.missing.push(name);
      else if (t.shape.length !== expected.length || t.shape.some((d, i) => d !== expected[i])) report.misShaped.push({ name, expected: [...expected], got: t.shape });
    }
    for (const name of tensors.keys()) if (!entries.has(name)) report.unexpected.push(name);
    return report;
  }

  return {
    config: cfg,
    backbone,
    align,
    head,
    forwardFeatures,
    forwardHead,
    forward,
    trainable,
    countTrainable: () => Object.values(trainable()).reduce((n, v) => n + v.size, 0),
    names: () => [...entries.keys()],
    async stateDict() {
      const out = new Map<string, TensorData>();
      for (const [name, { store, local }] of entries) {
        const v = store.get(local);
        const data = (await v.data()) as Float32Array | Int32Array;
        out.set(name, { shape: [...v.shape], data: data.slice() });
      }
      return out;
    },
    load(tensors, { strict = true, source = "checkpoint" } = {}) {
      const report = check(tensors);
      if (strict && (report.missing.length || report.unexpected.length || report.misShaped.length)) throw new CheckpointMismatchError(report, source);
      const bad = new Set(report.misShaped.map((m) => m.name));
      for (const [name, { store, local }] of entries) {
        const t = tensors.get(name);
        if (!t || bad.has(name)) continue;
        const v = store.get(local);
        tf.tidy(() => v.assign(tf.tensor(t.data, t.shape, v.dtype)));
      }
      return report;
    },
    commitBatchNorm() {
      backbone.commitBatchNorm();
      head.commitBatchNorm();
    },
    discardBatchNorm() {
      backbone.discardBatchNorm();
      head.discardBatchNorm();
    },
    dispose() {
      backbone.dispose();
      align?.dispose();
      head.dispose();
    },
  };
}

/** Model kind recorded in checkpoint metadata. */
export function detectorModelKind(head: HeadKind): string {
  return head === "anfl" ? "megraphau-anfl" : "megraphau-mefl";
}

/** The DetectorConfig stored in a checkpoint's metadata (config.detector). */
export function detectorConfigFromMeta(meta: { model: string; config: Record<string, unknown> }, source = "checkpoint"): DetectorConfig {
  if (meta.model !== "megraphau-anfl" && meta.model !== "megraphau-mefl") throw new Error(`${source} holds a "${meta.model}" model, not an AU detector`);
  const cfg = meta.config.detector as DetectorConfig | undefined;
  if (!cfg || typeof cfg !== "object") throw new Error(`${source}: the checkpoint's config lacks the detector config ("detector")`);
  validateDetectorConfig(cfg);
  return cfg;
}
