// Masked autoencoder with a ViT backbone, numerically equal to the official PyTorch
// MAE (facebookresearch/mae models_mae.MaskedAutoencoderViT with timm 0.3.2 blocks):
// same state_dict names and layouts, same initialisation scheme, same masking rule,
// same loss. Images are NHWC float32 (the official code takes NCHW).
//
// Random masking is split in two: the permutation is computed on the host from the
// noise (ids are data, not differentiable), and the token selections it implies are
// row gathers on the flattened tokens (see gatherTokens).
import * as tf from "@tensorflow/tfjs-core";
import { validateMaeConfig, type MaeConfig } from "../config.js";
import { Rng } from "../data/prng.js";
import { keptCount, maskFromNoise } from "../masks/random.js";
import { ParamStore } from "./params.js";
import { sinCosPosEmbed2d } from "./posembed.js";
import { blockLayout, blocks, linearByName, norm, patchEmbed, patchify, unpatchify, type Trace } from "./vit.js";

// ---------------------------------------------------------------------------------
// Layout and initialisation

/** How the official initialize_weights fills an entry. */
export type MaeInit =
  | "sincos" // fixed 2-D sin-cos table (requires_grad = False)
  | "normal02" // torch.nn.init.normal_(std=0.02): cls_token, mask_token
  | "xavier" // xavier_uniform_ on a Linear weight [out, in]
  | "xavierConv" // xavier_uniform_ on the conv weight viewed as [E, C*p*p]
  | "convBias" // Conv2d default bias: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
  | "zeros" // Linear bias, LayerNorm bias
  | "ones"; // LayerNorm weight

export interface MaeLayoutEntry {
  name: string;
  shape: number[];
  trainable: boolean;
  init: MaeInit;
}

/** Derived sizes of a config. */
export function maeSizes(c: MaeConfig) {
  const gridSize = c.imgSize / c.patchSize;
  return {
    gridSize,
    numPatches: gridSize * gridSize,
    patchDim: c.patchSize * c.patchSize * c.inChans,
    mlpHidden: Math.floor(c.embedDim * c.mlpRatio),
    decoderMlpHidden: Math.floor(c.decoderEmbedDim * c.mlpRatio),
  };
}

/**
 * Every state_dict entry of the official MaskedAutoencoderViT for this config, in
 * state_dict order (the module's own parameters first, then submodules in
 * construction order). Pure: allocates nothing, so the full-size layouts can be
 * checked cheaply.
 */
export function maeStateDictLayout(c: MaeConfig): MaeLayoutEntry[] {
  validateMaeConfig(c);
  const { numPatches, mlpHidden, decoderMlpHidden } = maeSizes(c);
  const E = c.embedDim;
  const Dd = c.decoderEmbedDim;
  const p = c.patchSize;
  const out: MaeLayoutEntry[] = [
    { name: "cls_token", shape: [1, 1, E], trainable: true, init: "normal02" },
    { name: "pos_embed", shape: [1, 1 + numPatches, E], trainable: false, init: "sincos" },
    { name: "mask_token", shape: [1, 1, Dd], trainable: true, init: "normal02" },
    { name: "decoder_pos_embed", shape: [1, 1 + numPatches, Dd], trainable: false, init: "sincos" },
    { name: "patch_embed.proj.weight", shape: [E, c.inChans, p, p], trainable: true, init: "xavierConv" },
    { name: "patch_embed.proj.bias", shape: [E], trainable: true, init: "convBias" },
  ];
  const initOf = (name: string): MaeInit =>
    /norm\d?\.weight$/.test(name) ? "ones" : name.endsWith(".bias") ? "zeros" : "xavier";
  const push = (entries: { name: string; shape: number[] }[]) => {
    for (const e of entries) out.push({ ...e, trainable: true, init: initOf(e.name) });
  };
  for (let i = 0; i < c.depth; i++) push(blockLayout(`blocks.${i}`, E, mlpHidden));
  push([
    { name: "norm.weight", shape: [E] },
    { name: "norm.bias", shape: [E] },
    { name: "decoder_embed.weight", shape: [Dd, E] },
    { name: "decoder_embed.bias", shape: [Dd] },
  ]);
  for (let i = 0; i < c.decoderDepth; i++) push(blockLayout(`decoder_blocks.${i}`, Dd, decoderMlpHidden));
  push([
    { name: "decoder_norm.weight", shape: [Dd] },
    { name: "decoder_norm.bias", shape: [Dd] },
    { name: "decoder_pred.weight", shape: [p * p * c.inChans, Dd] },
    { name: "decoder_pred.bias", shape: [p * p * c.inChans] },
  ]);
  return out;
}

function initValues(entry: MaeLayoutEntry, c: MaeConfig, rng: Rng): Float32Array {
  const size = entry.shape.reduce((a, d) => a * d, 1);
  const out = new Float32Array(size);
  const uniform = (bound: number) => {
    for (let i = 0; i < size; i++) out[i] = rng.uniform(-bound, bound);
  };
  switch (entry.init) {
    case "sincos":
      return sinCosPosEmbed2d(entry.shape[2], c.imgSize / c.patchSize, true);
    case "normal02":
      for (let i = 0; i < size; i++) out[i] = rng.normal(0, 0.02);
      return out;
    case "xavier":
    case "xavierConv": {
      const fanOut = entry.shape[0];
      const fanIn = size / fanOut;
      uniform(Math.sqrt(6 / (fanIn + fanOut)));
      return out;
    }
    case "convBias":
      uniform(1 / Math.sqrt(c.inChans * c.patchSize * c.patchSize));
      return out;
    case "ones":
      return out.fill(1);
    case "zeros":
      return out;
  }
}

// ---------------------------------------------------------------------------------
// Masking

/** len_keep = int(L * (1 - r)) in float64, as the official code (not round, not float32). */
export function lenKeepFor(numPatches: number, maskRatio: number): number {
  if (!(maskRatio >= 0 && maskRatio < 1)) throw new Error(`mask ratio must be in [0, 1), got ${maskRatio}`);
  return keptCount(numPatches, maskRatio);
}

/** The permutation random_masking derives from its noise, as host arrays (see masks/random.ts). */
export interface Masking {
  batch: number;
  numPatches: number;
  lenKeep: number;
  /** [N, L] argsort(noise) ascending: the first lenKeep are kept. */
  idsShuffle: Int32Array;
  /** [N, L] argsort(idsShuffle). */
  idsRestore: Int32Array;
  /** [N, lenKeep] the kept patches in ascending-noise order. */
  idsKeep: Int32Array;
  /** [N, L] 1 = removed, 0 = kept, in patch order. */
  mask: Float32Array;
}

/** Uniform [0, 1) noise [N * L] from a seed (the role of torch.rand(N, L)). */
export function seededNoise(seed: number, batch: number, numPatches: number): Float32Array {
  const rng = new Rng(seed);
  return Float32Array.from({ length: batch * numPatches }, () => rng.next());
}

/** Host-side masking plan from noise [N * L] (row-major). Ties keep the lower index first. */
export function maskingFromNoise(noise: ArrayLike<number>, batch: number, numPatches: number, maskRatio: number): Masking {
  if (noise.length !== batch * numPatches) throw new Error(`masking noise has ${noise.length} values, expected ${batch} x ${numPatches}`);
  lenKeepFor(numPatches, maskRatio);
  const m = maskFromNoise(noise, batch, maskRatio);
  return { batch, numPatches, lenKeep: m.lenKeep, idsShuffle: m.idsShuffle, idsRestore: m.idsRestore, idsKeep: m.idsKeep, mask: m.mask };
}

/**
 * out[b, r] = x[b, index[b*rows + r]] for x [N, L, D] -> [N, rows, D]: one row gather
 * on the flattened [N*L, D] tokens (cost O(rows*D), gradient an UnsortedSegmentSum;
 * both verified on cpu, wasm and webgpu by the fixture gradients of mask_token and
 * patch_embed). A batched one-hot matmul gives the same values but costs O(rows*L*D),
 * and wasm's batched matmul is slow.
 */
export function gatherTokens(x: tf.Tensor3D, index: Int32Array, rows: number): tf.Tensor3D {
  const [n, L, d] = x.shape;
  if (index.length !== n * rows) throw new Error(`gatherTokens: ${index.length} indices, expected ${n} x ${rows}`);
  const flat = new Int32Array(n * rows);
  for (let b = 0; b < n; b++) {
    for (let r = 0; r < rows; r++) {
      const j = index[b * rows + r];
      if (!(j >= 0 && j < L)) throw new Error(`token index ${j} outside [0, ${L})`);
      flat[b * rows + r] = b * L + j;
    }
  }
  return tf.tidy(() => tf.reshape(tf.gather(tf.reshape(x, [n * L, d]), tf.tensor1d(flat, "int32"), 0), [n, rows, d]) as tf.Tensor3D);
}

/**
 * The official random_masking with its noise given: keeps the lenKeep tokens of
 * smallest noise, in ascending-noise order. x [N, L, D] -> xMasked [N, lenKeep, D].
 */
export function randomMasking(
  x: tf.Tensor3D,
  noise: ArrayLike<number>,
  maskRatio: number,
): { xMasked: tf.Tensor3D; mask: tf.Tensor2D; masking: Masking } {
  const [n, L] = x.shape;
  const masking = maskingFromNoise(noise, n, L, maskRatio);
  const [xMasked, mask] = tf.tidy(() => [gatherTokens(x, masking.idsKeep, masking.lenKeep), tf.tensor2d(masking.mask, [n, L])]);
  return { xMasked: xMasked as tf.Tensor3D, mask: mask as tf.Tensor2D, masking };
}

// ---------------------------------------------------------------------------------
// The model

export interface EncoderOutput {
  /** [N, 1 + lenKeep, E] after the final norm (cls first). */
  latent: tf.Tensor3D;
  /** [N, L] 1 = removed. */
  mask: tf.Tensor2D;
  idsRestore: Int32Array;
  idsShuffle: Int32Array;
  idsKeep: Int32Array;
  masking: Masking;
}

export interface MaeOutput extends EncoderOutput {
  loss: tf.Scalar;
  /** [N, L, p*p*C] in patchify order. */
  pred: tf.Tensor3D;
}

export class Mae {
  readonly sizes: ReturnType<typeof maeSizes>;

  constructor(
    readonly config: MaeConfig,
    readonly params: ParamStore,
  ) {
    validateMaeConfig(config);
    this.sizes = maeSizes(config);
  }

  get numPatches(): number {
    return this.sizes.numPatches;
  }

  /** Trainable parameters by official name (pos embeds excluded). */
  trainable(): Record<string, tf.Variable> {
    return this.params.trainable();
  }

  patchify(imgs: tf.Tensor4D): tf.Tensor3D {
    return patchify(imgs, this.config.patchSize);
  }

  unpatchify(x: tf.Tensor3D): tf.Tensor4D {
    return unpatchify(x, this.config.patchSize, this.config.inChans);
  }

  private checkImages(imgs: tf.Tensor4D): void {
    const { imgSize, inChans } = this.config;
    const [, h, w, c] = imgs.shape;
    if (imgs.rank !== 4 || h !== imgSize || w !== imgSize || c !== inChans) {
      throw new Error(`MAE expects NHWC images [N, ${imgSize}, ${imgSize}, ${inChans}], got [${imgs.shape}]`);
    }
  }

  /** patch_embed(imgs) + pos_embed[:, 1:] -> [N, L, E]. */
  private embed(imgs: tf.Tensor4D, trace?: Trace): tf.Tensor3D {
    this.checkImages(imgs);
    const p = this.params;
    const x = patchEmbed(imgs, p.get("patch_embed.proj.weight"), p.get("patch_embed.proj.bias"));
    trace?.("mid.patch_embed", x);
    const pos = tf.slice(p.get("pos_embed"), [0, 1, 0], [1, this.numPatches, this.config.embedDim]);
    return tf.add(x, pos) as tf.Tensor3D;
  }

  /** Prepends cls_token + pos_embed[:, :1], runs the blocks and the final norm. */
  private encode(x: tf.Tensor3D, trace?: Trace): tf.Tensor3D {
    const p = this.params;
    const c = this.config;
    const cls = tf.add(p.get("cls_token"), tf.slice(p.get("pos_embed"), [0, 0, 0], [1, 1, c.embedDim]));
    const clsTokens = tf.add(tf.zeros([x.shape[0], 1, c.embedDim]), cls);
    const input = tf.concat([clsTokens, x], 1) as tf.Tensor3D;
    trace?.("mid.encoder_input", input);
    const h = blocks(input, p, "blocks", c.depth, c.numHeads, c.lnEps, trace);
    return norm(h, p, "norm", c.lnEps) as tf.Tensor3D;
  }

  /** The official forward_encoder with the masking noise given ([N * L], row-major). */
  forwardEncoder(imgs: tf.Tensor4D, maskRatio: number, noise: ArrayLike<number>, trace?: Trace): EncoderOutput {
    const masking = maskingFromNoise(noise, imgs.shape[0], this.numPatches, maskRatio);
    const [latent, mask] = tf.tidy(() => {
      const x = this.embed(imgs, trace);
      const xMasked = gatherTokens(x, masking.idsKeep, masking.lenKeep);
      trace?.("mid.x_masked", xMasked);
      return [this.encode(xMasked, trace), tf.tensor2d(masking.mask, [masking.batch, masking.numPatches])];
    });
    return {
      latent: latent as tf.Tensor3D,
      mask: mask as tf.Tensor2D,
      idsRestore: masking.idsRestore,
      idsShuffle: masking.idsShuffle,
      idsKeep: masking.idsKeep,
      masking,
    };
  }

  /**
   * Encoder on all patches in their natural order, nothing removed and nothing
   * permuted (the student's view of an occluded image): [N, 1 + L, E].
   */
  forwardEncoderAll(imgs: tf.Tensor4D, trace?: Trace): tf.Tensor3D {
    return tf.tidy(() => this.encode(this.embed(imgs, trace), trace));
  }

  /** The official forward_decoder: latent [N, 1 + lenKeep, E], idsRestore [N * L] -> pred [N, L, p*p*C]. */
  forwardDecoder(latent: tf.Tensor3D, idsRestore: Int32Array, trace?: Trace): tf.Tensor3D {
    return tf.tidy(() => {
      const p = this.params;
      const c = this.config;
      const [n, tokens] = latent.shape;
      const L = this.numPatches;
      const lenKeep = tokens - 1;
      if (idsRestore.length !== n * L) throw new Error(`forwardDecoder: idsRestore has ${idsRestore.length} entries, expected ${n} x ${L}`);
      if (lenKeep > L) throw new Error(`forwardDecoder: ${lenKeep} visible tokens but only ${L} patches`);
      const Dd = c.decoderEmbedDim;
      const x = linearByName(latent, p, "decoder_embed") as tf.Tensor3D;
      trace?.("mid.decoder_embed", x);
      const [cls, visible] = tf.split(x, [1, lenKeep], 1);
      const parts: tf.Tensor[] = [visible];
      if (L > lenKeep) parts.push(tf.add(tf.zeros([n, L - lenKeep, Dd]), p.get("mask_token")));
      const shuffled = parts.length === 1 ? visible : tf.concat(parts, 1);
      const unshuffled = gatherTokens(shuffled as tf.Tensor3D, idsRestore, L);
      const input = tf.add(tf.concat([cls, unshuffled], 1), p.get("decoder_pos_embed")) as tf.Tensor3D;
      trace?.("mid.decoder_input", input);
      const h = blocks(input, p, "decoder_blocks", c.decoderDepth, c.decoderNumHeads, c.lnEps, trace);
      const normed = norm(h, p, "decoder_norm", c.lnEps);
      trace?.("mid.decoder_norm", normed);
      const pred = linearByName(normed, p, "decoder_pred");
      return tf.slice(pred, [0, 1, 0], [n, L, this.sizes.patchDim]) as tf.Tensor3D;
    });
  }

  /** The reconstruction target: patchify(imgs), normalised per patch when normPixLoss. */
  target(imgs: tf.Tensor4D): tf.Tensor3D {
    return tf.tidy(() => {
      const t = this.patchify(imgs);
      if (!this.config.normPixLoss) return t;
      const d = t.shape[2];
      const mean = tf.mean(t, -1, true);
      const centred = tf.sub(t, mean);
      const variance = tf.div(tf.sum(tf.square(centred), -1, true), d - 1); // unbiased, as torch.var
      return tf.div(centred, tf.sqrt(tf.add(variance, 1e-6))) as tf.Tensor3D;
    });
  }

  /** Mean squared error per patch, averaged over the removed patches (mask [N, L], 1 = removed). */
  forwardLoss(imgs: tf.Tensor4D, pred: tf.Tensor3D, mask: tf.Tensor2D, trace?: Trace): tf.Scalar {
    return tf.tidy(() => {
      const target = this.target(imgs);
      if (this.config.normPixLoss) trace?.("output.target", target);
      const perPatch = tf.mean(tf.square(tf.sub(pred, target)), -1);
      trace?.("mid.loss_per_patch", perPatch);
      return tf.div(tf.sum(tf.mul(perPatch, mask)), tf.sum(mask)) as tf.Scalar;
    });
  }

  /** The official forward: loss, pred and mask (plus the encoder's outputs). */
  forward(imgs: tf.Tensor4D, maskRatio: number, noise: ArrayLike<number>, trace?: Trace): MaeOutput {
    const enc = this.forwardEncoder(imgs, maskRatio, noise, trace);
    const [pred, loss] = tf.tidy(() => {
      const pred = this.forwardDecoder(enc.latent, enc.idsRestore, trace);
      return [pred, this.forwardLoss(imgs, pred, enc.mask, trace)];
    });
    return { ...enc, loss: loss as tf.Scalar, pred: pred as tf.Tensor3D };
  }

  /** The loss alone, disposing everything else (for training steps). */
  loss(imgs: tf.Tensor4D, maskRatio: number, noise: ArrayLike<number>): tf.Scalar {
    const out = this.forward(imgs, maskRatio, noise);
    tf.dispose([out.latent, out.mask, out.pred]);
    return out.loss;
  }

  dispose(): void {
    this.params.dispose();
  }
}

/**
 * Builds the model with the official initialisation (xavier-uniform Linear weights
 * and the patch-embedding weight viewed as 2-D, N(0, 0.02) cls and mask tokens,
 * zero biases, unit LayerNorm weights, fixed sin-cos position embeddings as
 * non-trainable buffers), drawn from one seeded stream in state_dict order.
 */
export function createMae(config: MaeConfig, { seed = 0 }: { seed?: number } = {}): Mae {
  const rng = new Rng(seed);
  const params = new ParamStore();
  for (const entry of maeStateDictLayout(config)) {
    params.add(entry.name, tf.tensor(initValues(entry, config, rng), entry.shape, "float32"), { trainable: entry.trainable });
  }
  return new Mae(config, params);
}
