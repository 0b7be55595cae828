// Typed configurations with commented defaults and named presets. Sizes follow the
// official MAE constructor (models_mae.MaskedAutoencoderViT); the names are camelCase
// versions of its arguments, and maeConfigFromSidecar maps the official names.

/** Masked autoencoder (ViT encoder + lightweight ViT decoder), as the official MAE. */
export interface MaeConfig {
  /** Input side in pixels (square images). Official default 224. */
  imgSize: number;
  /** Patch side in pixels; imgSize must be a multiple. Official default 16. */
  patchSize: number;
  /** Image channels. 3 (RGB). */
  inChans: number;
  /** Encoder token width; divisible by 4 (sin-cos position embedding) and by numHeads. Default 1024. */
  embedDim: number;
  /** Encoder transformer blocks. Default 24. */
  depth: number;
  /** Encoder attention heads. Default 16. */
  numHeads: number;
  /** Decoder token width; divisible by 4 and by decoderNumHeads. Default 512. */
  decoderEmbedDim: number;
  /** Decoder transformer blocks. Default 8. */
  decoderDepth: number;
  /** Decoder attention heads. Default 16. */
  decoderNumHeads: number;
  /** MLP hidden width = floor(dim * mlpRatio). Default 4. */
  mlpRatio: number;
  /** Normalise each target patch by its mean and (unbiased) variance. Default false (true in the released pretraining). */
  normPixLoss: boolean;
  /** LayerNorm epsilon. The official mae_vit_* builders use 1e-6 (the bare constructor 1e-5). */
  lnEps: number;
}

/** The official constructor defaults, with the builders' LayerNorm eps. */
export const MAE_DEFAULTS: MaeConfig = {
  imgSize: 224,
  patchSize: 16,
  inChans: 3,
  embedDim: 1024,
  depth: 24,
  numHeads: 16,
  decoderEmbedDim: 512,
  decoderDepth: 8,
  decoderNumHeads: 16,
  mlpRatio: 4,
  normPixLoss: false,
  lnEps: 1e-6,
};

export type MaePresetName = "tiny" | "small" | "base";

export const MAE_PRESETS: Record<MaePresetName, MaeConfig> = {
  /** Trains in a browser tab in minutes: 64 px, 8 x 8 patches (64 tokens), 96-wide, 4 blocks. */
  tiny: {
    ...MAE_DEFAULTS,
    imgSize: 64,
    patchSize: 8,
    embedDim: 96,
    depth: 4,
    numHeads: 3,
    decoderEmbedDim: 64,
    decoderDepth: 2,
    decoderNumHeads: 2,
    normPixLoss: false, // pixel-space predictions, so composites need no per-patch statistics
  },
  /** ViT-S/16 encoder (384 wide, 12 blocks, 6 heads) with a 256-wide, 4-block decoder. */
  small: {
    ...MAE_DEFAULTS,
    imgSize: 224,
    patchSize: 16,
    embedDim: 384,
    depth: 12,
    numHeads: 6,
    decoderEmbedDim: 256,
    decoderDepth: 4,
    decoderNumHeads: 8,
    normPixLoss: true,
  },
  /** Official mae_vit_base_patch16 (dec512d8b): loads the released checkpoints by name. */
  base: {
    ...MAE_DEFAULTS,
    imgSize: 224,
    patchSize: 16,
    embedDim: 768,
    depth: 12,
    numHeads: 12,
    decoderEmbedDim: 512,
    decoderDepth: 8,
    decoderNumHeads: 16,
    mlpRatio: 4,
    normPixLoss: false,
  },
};

/** Throws naming the first inconsistent size. */
export function validateMaeConfig(c: MaeConfig): void {
  const positive: (keyof MaeConfig)[] = [
    "imgSize", "patchSize", "inChans", "embedDim", "depth", "numHeads",
    "decoderEmbedDim", "decoderDepth", "decoderNumHeads",
  ];
  for (const k of positive) {
    const v = c[k] as number;
    if (!Number.isInteger(v) || v < (k === "depth" || k === "decoderDepth" ? 0 : 1)) {
      throw new Error(`MaeConfig.${k} must be a positive integer, got ${v}`);
    }
  }
  if (c.imgSize % c.patchSize !== 0) throw new Error(`MaeConfig: imgSize ${c.imgSize} is not a multiple of patchSize ${c.patchSize}`);
  for (const [dim, heads, name] of [
    [c.embedDim, c.numHeads, "embedDim"],
    [c.decoderEmbedDim, c.decoderNumHeads, "decoderEmbedDim"],
  ] as const) {
    if (dim % 4 !== 0) throw new Error(`MaeConfig.${name} ${dim} must be divisible by 4 (2-D sin-cos position embedding)`);
    if (dim % heads !== 0) throw new Error(`MaeConfig.${name} ${dim} must be divisible by its number of heads ${heads}`);
  }
  if (!(c.mlpRatio > 0)) throw new Error(`MaeConfig.mlpRatio must be > 0, got ${c.mlpRatio}`);
  if (!(c.lnEps > 0)) throw new Error(`MaeConfig.lnEps must be > 0, got ${c.lnEps}`);
}

/**
 * A MaeConfig from the official constructor arguments (img_size, patch_size, in_chans,
 * embed_dim, depth, num_heads, decoder_embed_dim, decoder_depth, decoder_num_heads,
 * mlp_ratio, norm_pix_loss, norm_layer: {eps}) as a fixture sidecar or a checkpoint's
 * metadata records them. Absent arguments take the official defaults; the LayerNorm
 * eps defaults to the builders' 1e-6.
 */
export function maeConfigFromSidecar(config: Record<string, unknown>): MaeConfig {
  const num = (key: string, fallback: number): number => {
    const v = config[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`MAE config: "${key}" must be a number, got ${JSON.stringify(v)}`);
    return v;
  };
  const normLayer = config.norm_layer as { eps?: unknown } | undefined;
  const eps = typeof normLayer?.eps === "number" ? normLayer.eps : (num("ln_eps", MAE_DEFAULTS.lnEps));
  const out: MaeConfig = {
    imgSize: num("img_size", MAE_DEFAULTS.imgSize),
    patchSize: num("patch_size", MAE_DEFAULTS.patchSize),
    inChans: num("in_chans", MAE_DEFAULTS.inChans),
    embedDim: num("embed_dim", MAE_DEFAULTS.embedDim),
    depth: num("depth", MAE_DEFAULTS.depth),
    numHeads: num("num_heads", MAE_DEFAULTS.numHeads),
    decoderEmbedDim: num("decoder_embed_dim", MAE_DEFAULTS.decoderEmbedDim),
    decoderDepth: num("decoder_depth", MAE_DEFAULTS.decoderDepth),
    decoderNumHeads: num("decoder_num_heads", MAE_DEFAULTS.decoderNumHeads),
    mlpRatio: num("mlp_ratio", MAE_DEFAULTS.mlpRatio),
    normPixLoss: config.norm_pix_loss === undefined ? MAE_DEFAULTS.normPixLoss : Boolean(config.norm_pix_loss),
    lnEps: eps,
  };
  validateMaeConfig(out);
  return out;
}
