// A small ResNet with torchvision's layout (basic blocks, torchvision.models.resnet):
//   conv1 (k x k, stride s, no bias) -> bn1 -> relu -> [maxpool 3x3 s2 p1]
//   layer{1..S}.{0..B-1}: conv1 3x3 (stride 2 in the first block of layers 2..S) ->
//   bn1 -> relu -> conv2 3x3 -> bn2, plus downsample (conv 1x1 strided + BatchNorm, keys
//   downsample.0 / downsample.1) when the shape changes; out = relu(out + identity)
// Width and depth are configurable (torchvision's resnet18 is stem 64, widths
// [64, 128, 256, 512], blocks [2, 2, 2, 2], stem 7x7 stride 2 with the max pool). The
// final avgpool/fc are not part of the backbone: as in ME-GraphAU, the feature map
// [B, C, H, W] becomes tokens [B, H*W, C] (view(b, c, h*w).permute(0, 2, 1)), which
// for NHWC input is a plain reshape. Weights are kept in torch layouts
// (conv [out, in, kh, kw]) under the official names, so torchvision state_dicts load.
// Padding is explicit and symmetric as in torch (conv k//2, max pool 1).
import * as tf from "@tensorflow/tfjs-core";
import { Rng, mixSeed } from "../data/prng.js";
import { addBatchNorm, batchNorm, BatchNormUpdates } from "./batchnorm.js";
import { ParamStore } from "./params.js";

export interface ResNetConfig {
  /** Channels of the stem convolution (torchvision 64). */
  stemChannels: number;
  /** Stem kernel side (torchvision 7). */
  stemKernel: number;
  /** Stem stride (torchvision 2). */
  stemStride: number;
  /** 3x3 stride-2 max pool after the stem (torchvision true). */
  maxPool: boolean;
  /** Output channels of each stage (torchvision [64, 128, 256, 512]). */
  widths: number[];
  /** Basic blocks per stage (resnet18 [2, 2, 2, 2], resnet34 [3, 4, 6, 3]). */
  blocks: number[];
}

export type ResNetPresetName = "tiny" | "small" | "resnet18";

export const RESNET_PRESETS: Record<ResNetPresetName, ResNetConfig> = {
  /**
   * For 64 px faces on a CPU: 5x5 stride-2 stem and the 3x3 stride-2 max pool, three
   * stages of one block (16, 32, 64 channels): a 4 x 4 map of 64-wide tokens at 64 px
   * input (64 -> 32 -> 16 -> 8 -> 4).
   */
  tiny: { stemChannels: 16, stemKernel: 5, stemStride: 2, maxPool: true, widths: [16, 32, 64], blocks: [1, 1, 1] },
  /** No max pool, four stages of two blocks (24..192 channels): a 4 x 4 map at 64 px (64 -> 32 -> 16 -> 8 -> 4). */
  small: { stemChannels: 24, stemKernel: 5, stemStride: 2, maxPool: false, widths: [24, 48, 96, 192], blocks: [2, 2, 2, 2] },
  /** torchvision resnet18 without avgpool/fc (512-wide tokens, 7 x 7 at 224 px). */
  resnet18: { stemChannels: 64, stemKernel: 7, stemStride: 2, maxPool: true, widths: [64, 128, 256, 512], blocks: [2, 2, 2, 2] },
};

export function validateResNetConfig(c: ResNetConfig): void {
  const posInt = (v: number, name: string) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`ResNetConfig.${name} must be a positive integer, got ${v}`);
  };
  posInt(c.stemChannels, "stemChannels");
  posInt(c.stemKernel, "stemKernel");
  posInt(c.stemStride, "stemStride");
  if (!Array.isArray(c.widths) || c.widths.length === 0) throw new Error("ResNetConfig.widths must list at least one stage");
  if (!Array.isArray(c.blocks) || c.blocks.length !== c.widths.length) {
    throw new Error(`ResNetConfig.blocks must have one entry per stage (${c.widths.length}), got ${JSON.stringify(c.blocks)}`);
  }
  c.widths.forEach((w, i) => posInt(w, `widths[${i}]`));
  c.blocks.forEach((b, i) => posInt(b, `blocks[${i}]`));
}

/** Output side of the feature map for a square input of `size` pixels. */
export function resnetOutputSize(c: ResNetConfig, size: number): number {
  const conv = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
  let n = conv(size, c.stemKernel, c.stemStride, Math.floor(c.stemKernel / 2));
  if (c.maxPool) n = conv(n, 3, 2, 1);
  for (let i = 1; i < c.widths.length; i++) n = conv(n, 3, 2, 1);
  return n;
}

export interface ResNetForwardOptions {
  /** BatchNorm train mode (batch statistics). Default false. */
  training?: boolean;
  /** Train mode: where the new running statistics go (default: the model's own pending updates). */
  updates?: BatchNormUpdates;
}

export interface ResNet {
  readonly config: ResNetConfig;
  readonly params: ParamStore;
  /** Channels of the output tokens (the last stage's width). */
  readonly outChannels: number;
  /** NHWC images [B, H, W, 3] -> feature map [B, h, w, C]. */
  forwardMap(imgs: tf.Tensor4D, options?: ResNetForwardOptions): tf.Tensor4D;
  /** NHWC images [B, H, W, 3] -> tokens [B, h*w, C] (row-major over h, w). */
  forwardFeatures(imgs: tf.Tensor4D, options?: ResNetForwardOptions): tf.Tensor3D;
  commitBatchNorm(): void;
  discardBatchNorm(): void;
  dispose(): void;
}

/**
 * torch's Conv2d(bias=False, padding=k // 2) on NHWC input with a torch-layout weight
 * [out, in, kh, kw]. The padding is explicit and symmetric: tfjs's "same" pads
 * asymmetrically for strided convolutions, which would shift the sampling grid.
 */
export function conv2dTorch(x: tf.Tensor4D, weight: tf.Tensor4D, stride: number): tf.Tensor4D {
  return tf.tidy(() => {
    const k = weight.shape[2];
    if (weight.shape[3] !== k) throw new Error(`conv2dTorch: square kernels only, got [${weight.shape}]`);
    const filter = tf.transpose(weight, [2, 3, 1, 0]) as tf.Tensor4D;
    return tf.conv2d(x, filter, stride, Math.floor(k / 2));
  });
}

/** kaiming_normal_(mode="fan_out", nonlinearity="relu") of a conv [out, in, k, k], as torchvision initialises. */
function kaimingConv(rng: Rng, out: number, inC: number, k: number): tf.Tensor {
  const std = Math.sqrt(2 / (out * k * k));
  const v = new Float32Array(out * inC * k * k);
  for (let i = 0; i < v.length; i++) v[i] = rng.normal(0, std);
  return tf.tensor(v, [out, inC, k, k]);
}

/** A ResNet with torchvision's initialisation (kaiming-normal fan-out convs, BatchNorm 1/0), parameters under torchvision's names. */
export function createResNet(config: ResNetConfig, { seed = 0, inChannels = 3 }: { seed?: number; inChannels?: number } = {}): ResNet {
  validateResNetConfig(config);
  const cfg: ResNetConfig = { ...config, widths: [...config.widths], blocks: [...config.blocks] };
  const store = new ParamStore();
  let n = 0;
  const conv = (name: string, out: number, inC: number, k: number) => store.add(name, kaimingConv(new Rng(mixSeed(seed, n++)), out, inC, k));
  tf.tidy(() => {
    conv("conv1.weight", cfg.stemChannels, inChannels, cfg.stemKernel);
    addBatchNorm(store, "bn1", cfg.stemChannels);
    let inplanes = cfg.stemChannels;
    cfg.widths.forEach((planes, s) => {
      for (let b = 0; b < cfg.blocks[s]; b++) {
        const p = `layer${s + 1}.${b}`;
        const stride = b === 0 && s > 0 ? 2 : 1;
        conv(`${p}.conv1.weight`, planes, inplanes, 3);
        addBatchNorm(store, `${p}.bn1`, planes);
        conv(`${p}.conv2.weight`, planes, planes, 3);
        addBatchNorm(store, `${p}.bn2`, planes);
        if (stride !== 1 || inplanes !== planes) {
          conv(`${p}.downsample.0.weight`, planes, inplanes, 1);
          addBatchNorm(store, `${p}.downsample.1`, planes);
        }
        inplanes = planes;
      }
    });
  });
  const pending = new BatchNormUpdates();

  const convT = (x: tf.Tensor4D, name: string, stride: number): tf.Tensor4D => conv2dTorch(x, store.get(name) as tf.Tensor4D, stride);

  function forwardMap(imgs: tf.Tensor4D, options: ResNetForwardOptions = {}): tf.Tensor4D {
    if (imgs.rank !== 4) throw new Error(`ResNet expects NHWC images [B, H, W, C], got [${imgs.shape}]`);
    const training = options.training ?? false;
    const updates = training ? (options.updates ?? pending) : undefined;
    const bn = (x: tf.Tensor, prefix: string) => batchNorm(store, prefix, x, 3, { training, updates }) as tf.Tensor4D;
    return tf.tidy(() => {
      let x = tf.relu(bn(convT(imgs, "conv1.weight", cfg.stemStride), "bn1")) as tf.Tensor4D;
      if (cfg.maxPool) x = tf.maxPool(x, 3, 2, 1);
      cfg.widths.forEach((_, s) => {
        for (let b = 0; b < cfg.blocks[s]; b++) {
          const p = `layer${s + 1}.${b}`;
          const stride = b === 0 && s > 0 ? 2 : 1;
          let out = tf.relu(bn(convT(x, `${p}.conv1.weight`, stride), `${p}.bn1`)) as tf.Tensor4D;
          out = bn(convT(out, `${p}.conv2.weight`, 1), `${p}.bn2`);
          const identity = store.has(`${p}.downsample.0.weight`) ? bn(convT(x, `${p}.downsample.0.weight`, stride), `${p}.downsample.1`) : x;
          x = tf.relu(tf.add(out, identity)) as tf.Tensor4D;
        }
      });
      return x;
    });
  }

  function forwardFeatures(imgs: tf.Tensor4D, options: ResNetForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      const map = forwardMap(imgs, options);
      const [b, h, w, c] = map.shape;
      return tf.reshape(map, [b, h * w, c]) as tf.Tensor3D;
    });
  }

  return {
    config: cfg,
    params: store,
    outChannels: cfg.widths[cfg.widths.length - 1],
    forwardMap,
    forwardFeatures,
    commitBatchNorm: () => pending.apply(store),
    discardBatchNorm: () => pending.dispose(),
    dispose: () => {
      pending.dispose();
      store.dispose();
    },
  };
}
