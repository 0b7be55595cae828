// The benchmark workloads of shared/bench/README.md, built from MaskAU's own model
// code (the MAE in src/lib/models/mae.ts, the ANFL pieces in src/lib/models/anfl.ts, the
// tiny detector's ResNet backbone in src/lib/models/resnet.ts, the AdamW in src/lib/train/adamw.ts) so the figures measure what users run. Shapes, step boundaries and hyperparameters match
// the PyTorch anchor (torch_anchor.py) exactly; the patch embedding is the Conv2d
// form, which the anchor states is equivalent to its Linear(192, 192).
import * as tf from "@tensorflow/tfjs-core";
import type { MaeConfig } from "../config.js";
import { MAE_DEFAULTS } from "../config.js";
import { Rng } from "../data/prng.js";
import { Init } from "../models/anfl.js";
import { DETECTOR_PRESETS } from "../models/detector.js";
import { createMae, seededNoise } from "../models/mae.js";
import { ParamStore } from "../models/params.js";
import { createResNet, type ResNetConfig } from "../models/resnet.js";
import { linearT } from "../tf/ops.js";
import { AdamW } from "../train/adamw.js";
import { BENCH_AUS, BENCH_DIM, BenchGraphHead, graphHeadFlops } from "./graph-head.js";

/** B = 32 images of 64 x 64 x 3; encoder 192 wide, 4 blocks, 3 heads; decoder 128, 2 blocks, 4 heads. */
export const BENCH_MAE: MaeConfig = {
  ...MAE_DEFAULTS,
  imgSize: 64,
  patchSize: 8,
  embedDim: 192,
  depth: 4,
  numHeads: 3,
  decoderEmbedDim: 128,
  decoderDepth: 2,
  decoderNumHeads: 4,
  mlpRatio: 4,
  normPixLoss: false,
  lnEps: 1e-6,
};
export const BENCH_BATCH = 32;
export const BENCH_MASK_RATIO = 0.75;

/** Analytic matrix-product FLOPs (README section 5), so GFLOP/s is comparable with the anchor's. */
export function blockFlops(b: number, n: number, d: number): number {
  return 24 * b * n * d * d + 4 * b * n * n * d;
}

export function maeInferFlops(c = BENCH_MAE, b = BENCH_BATCH): number {
  const L = (c.imgSize / c.patchSize) ** 2;
  const patchDim = c.patchSize * c.patchSize * c.inChans;
  return 2 * b * L * patchDim * c.embedDim + c.depth * blockFlops(b, L + 1, c.embedDim);
}

export function maeTrainFlops(c = BENCH_MAE, b = BENCH_BATCH, ratio = BENCH_MASK_RATIO): number {
  const L = (c.imgSize / c.patchSize) ** 2;
  const keep = Math.floor(L * (1 - ratio));
  const patchDim = c.patchSize * c.patchSize * c.inChans;
  const embed = 2 * b * L * patchDim * c.embedDim;
  const forward =
    embed +
    c.depth * blockFlops(b, keep + 1, c.embedDim) +
    2 * b * (keep + 1) * c.embedDim * c.decoderEmbedDim +
    c.decoderDepth * blockFlops(b, L + 1, c.decoderEmbedDim) +
    2 * b * (L + 1) * c.decoderEmbedDim * patchDim;
  return forward + (2 * forward - embed);
}

export interface Workload {
  name: string;
  /** Matrix-product FLOPs of one step. */
  flops: number;
  parameters: number;
  /** One step; resolves once its result has been read back. */
  step(): Promise<void>;
  dispose(): void;
}

/** gcn: the graph head forward and backward, no optimizer step. */
export function gcnFlops(b = BENCH_BATCH): number {
  const { forward, backward } = graphHeadFlops(b, false);
  return forward + backward;
}

/** student_kd_step: encoder on all patches, adapter, graph head, backward into all three. */
export function studentKdFlops(c = BENCH_MAE, b = BENCH_BATCH): number {
  const L = (c.imgSize / c.patchSize) ** 2;
  const embed = 2 * b * L * c.patchSize * c.patchSize * c.inChans * c.embedDim;
  const encoder = maeInferFlops(c, b);
  const adapter = 2 * b * c.embedDim * c.embedDim;
  const head = graphHeadFlops(b, true);
  return encoder + adapter + head.forward + (2 * encoder - embed) + 2 * adapter + head.backward;
}

/** Gradients of `loss` (cleared each step), one AdamW update at the anchor's lr 1.5e-4, and the loss read back. */
async function optimizerStep(optimizer: AdamW, variables: Record<string, tf.Variable>, loss: () => tf.Scalar): Promise<void> {
  const { value, grads } = tf.variableGrads(loss, Object.values(variables));
  const byName: tf.NamedTensorMap = {};
  for (const [name, v] of Object.entries(variables)) byName[name] = grads[v.name];
  optimizer.update(variables, byName, 1.5e-4);
  await value.data();
  tf.dispose([value, ...Object.values(grads)]);
}

/** The MAE encoder's trainable variables (the decoder's and the mask token left out). */
function encoderVariables(mae: ReturnType<typeof createMae>): Record<string, tf.Variable> {
  return Object.fromEntries(Object.entries(mae.trainable()).filter(([name]) => !name.startsWith("decoder") && name !== "mask_token"));
}

const countOf = (variables: Record<string, tf.Variable>) => Object.values(variables).reduce((n, v) => n + v.size, 0);

/** Values of a seeded generator as a tensor. */
function seeded(seed: number, shape: number[], draw: (rng: Rng) => number): tf.Tensor {
  const rng = new Rng(seed);
  return tf.tensor(Float32Array.from({ length: shape.reduce((p, d) => p * d, 1) }, () => draw(rng)), shape);
}

/** Binary cross-entropy on clamped probabilities (the anchor's gcn loss). */
function binaryCrossEntropy(prob: tf.Tensor, y: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(prob, 1e-6, 1 - 1e-6);
  return tf.neg(tf.mean(tf.add(tf.mul(y, tf.log(p)), tf.mul(tf.sub(1, y), tf.log(tf.sub(1, p)))))) as tf.Scalar;
}

/** Binary KL(t || p) per element, averaged (the anchor's distillation loss). */
function binaryKl(t: tf.Tensor, prob: tf.Tensor): tf.Scalar {
  const p = tf.clipByValue(prob, 1e-6, 1 - 1e-6);
  const pos = tf.mul(t, tf.sub(tf.log(t), tf.log(p)));
  const neg = tf.mul(tf.sub(1, t), tf.sub(tf.log(tf.sub(1, t)), tf.log(tf.sub(1, p))));
  return tf.mean(tf.add(pos, neg)) as tf.Scalar;
}

/** gcn: a constant pooled feature f [32, 192] through the AU graph head, BCE, backward; no optimizer step. */
export function gcn(seed = 0): Workload {
  const head = new BenchGraphHead(seed);
  const f = seeded(seed + 1, [BENCH_BATCH, BENCH_DIM], (r) => r.normal(0, 1)) as tf.Tensor2D;
  const y = seeded(seed + 2, [BENCH_BATCH, BENCH_AUS], (r) => (r.next() < 0.5 ? 1 : 0));
  const variables = Object.values(head.params.trainable());
  return {
    name: "gcn",
    flops: gcnFlops(),
    parameters: head.params.countTrainable(),
    async step() {
      const { value, grads } = tf.variableGrads(() => binaryCrossEntropy(head.forward(f), y), variables);
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    },
    dispose() {
      head.dispose();
      tf.dispose([f, y]);
    },
  };
}

/**
 * student_kd_step: the MAE encoder on every patch, mean of the patch tokens, a Linear(192,
 * 192) adapter aligned to a teacher feature (MSE), the graph head distilled from teacher
 * probabilities (binary KL), backward, and one AdamW step over encoder, adapter and head.
 */
export function studentKdStep(seed = 0): Workload {
  const mae = createMae(BENCH_MAE, { seed });
  const adapter = new ParamStore();
  adapter.add("adapter.weight", new Init(seed + 3).xavier([BENCH_DIM, BENCH_DIM]));
  adapter.add("adapter.bias", tf.zeros([BENCH_DIM]));
  const head = new BenchGraphHead(seed + 2);
  const imgs = benchImages(seed + 1);
  const teacherProb = seeded(seed + 4, [BENCH_BATCH, BENCH_AUS], (r) => 0.05 + 0.9 * r.next());
  const teacherFeat = seeded(seed + 5, [BENCH_BATCH, BENCH_DIM], (r) => r.normal(0, 1));
  const variables: Record<string, tf.Variable> = {
    ...encoderVariables(mae),
    ...adapter.trainable(),
    ...Object.fromEntries(Object.entries(head.params.trainable()).map(([k, v]) => [`head.${k}`, v])),
  };
  const optimizer = new AdamW({ betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
  const L = mae.numPatches;
  return {
    name: "student_kd_step",
    flops: studentKdFlops(),
    parameters: countOf(variables),
    async step() {
      await optimizerStep(optimizer, variables, () => {
        const tokens = mae.forwardEncoderAll(imgs);
        const pooled = tf.mean(tf.slice(tokens, [0, 1, 0], [-1, L, -1]), 1);
        const feat = linearT(pooled, adapter.get("adapter.weight") as tf.Tensor2D, adapter.get("adapter.bias") as tf.Tensor1D);
        const align = tf.mean(tf.squaredDifference(feat, teacherFeat));
        return tf.add(binaryKl(teacherProb, head.forward(feat as tf.Tensor2D)), align) as tf.Scalar;
      });
    },
    dispose() {
      optimizer.dispose();
      mae.dispose();
      adapter.dispose();
      head.dispose();
      tf.dispose([imgs, teacherProb, teacherFeat]);
    },
  };
}

function benchImages(seed: number): tf.Tensor4D {
  const rng = new Rng(seed);
  const n = BENCH_BATCH * BENCH_MAE.imgSize * BENCH_MAE.imgSize * 3;
  return tf.tensor4d(Float32Array.from({ length: n }, () => rng.next()), [BENCH_BATCH, BENCH_MAE.imgSize, BENCH_MAE.imgSize, 3]);
}

/** mae_infer: the encoder on all 64 patches plus cls, no gradients. */
export function maeInfer(seed = 0): Workload {
  const mae = createMae(BENCH_MAE, { seed });
  const imgs = benchImages(seed + 1);
  return {
    name: "mae_infer",
    flops: maeInferFlops(),
    parameters: countOf(encoderVariables(mae)),
    async step() {
      const out = tf.tidy(() => tf.sum(mae.forwardEncoderAll(imgs)));
      await out.data();
      out.dispose();
    },
    dispose() {
      mae.dispose();
      imgs.dispose();
    },
  };
}

/** mae_train: masking 0.75 with a new draw each step, encoder + decoder, loss, backward, AdamW. */
export function maeTrain(seed = 0): Workload {
  const mae = createMae(BENCH_MAE, { seed });
  const imgs = benchImages(seed + 1);
  const optimizer = new AdamW({ betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
  const variables = mae.trainable();
  const L = mae.numPatches;
  let draw = 0;
  return {
    name: "mae_train",
    flops: maeTrainFlops(),
    parameters: mae.params.countTrainable(),
    async step() {
      const noise = seededNoise(seed * 1_000_003 + draw++, BENCH_BATCH, L);
      await optimizerStep(optimizer, variables, () => mae.loss(imgs, BENCH_MASK_RATIO, noise));
    },
    dispose() {
      optimizer.dispose();
      mae.dispose();
      imgs.dispose();
    },
  };
}

/** The tiny detector's backbone (detector preset `tiny`): stem 16 (5x5 s2) + max pool, one basic block each of 16, 32, 64. */
export function benchResNet(): ResNetConfig {
  const backbone = DETECTOR_PRESETS.tiny.backbone;
  if (backbone.kind !== "resnet") throw new Error("the tiny detector preset no longer has a ResNet backbone");
  return backbone.resnet;
}

/**
 * Matrix-product FLOPs of a ResNet's convolutions as im2col products [B*Ho*Wo, Cin*k*k] x
 * [Cin*k*k, Cout] (README section 5): forward, and backward = 1x the stem (its input, the
 * images, is constant) + 2x every other convolution.
 */
export function resnetConvFlops(c: ResNetConfig, b = BENCH_BATCH, size = BENCH_MAE.imgSize, inChannels = 3): { forward: number; backward: number } {
  const out = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;
  const conv = (side: number, cin: number, k: number, cout: number) => 2 * b * side * side * cin * k * k * cout;
  let side = out(size, c.stemKernel, c.stemStride, Math.floor(c.stemKernel / 2));
  const stem = conv(side, inChannels, c.stemKernel, c.stemChannels);
  let forward = stem;
  let backward = stem;
  if (c.maxPool) side = out(side, 3, 2, 1);
  let cin = c.stemChannels;
  c.widths.forEach((w, s) => {
    for (let i = 0; i < c.blocks[s]; i++) {
      const stride = i === 0 && s > 0 ? 2 : 1;
      const sideOut = out(side, 3, stride, 1);
      let f = conv(sideOut, cin, 3, w) + conv(sideOut, w, 3, w);
      if (stride !== 1 || cin !== w) f += conv(sideOut, cin, 1, w);
      forward += f;
      backward += 2 * f;
      side = sideOut;
      cin = w;
    }
  });
  return { forward, backward };
}

/** detector_train: the tiny ResNet's convolutions plus the graph head at its width, on mean-pooled tokens. */
export function detectorTrainFlops(c = benchResNet(), b = BENCH_BATCH): number {
  const convs = resnetConvFlops(c, b);
  const head = graphHeadFlops(b, true, c.widths[c.widths.length - 1]);
  return convs.forward + convs.backward + head.forward + head.backward;
}

/**
 * detector_train: the tiny detector's ResNet backbone in train mode (batch statistics; the
 * running statistics move after each step, as torch's do), its tokens [32, 16, 64] mean-pooled
 * into the graph head of width 64, BCE against Bernoulli(0.5) labels, backward, one AdamW
 * step over backbone and head.
 */
export function detectorTrain(seed = 0): Workload {
  const config = benchResNet();
  const width = config.widths[config.widths.length - 1];
  const net = createResNet(config, { seed });
  const head = new BenchGraphHead(seed + 2, width);
  const imgs = benchImages(seed + 1);
  const y = seeded(seed + 3, [BENCH_BATCH, BENCH_AUS], (r) => (r.next() < 0.5 ? 1 : 0));
  const variables: Record<string, tf.Variable> = {
    ...Object.fromEntries(Object.entries(net.params.trainable()).map(([k, v]) => [`backbone.${k}`, v])),
    ...Object.fromEntries(Object.entries(head.params.trainable()).map(([k, v]) => [`head.${k}`, v])),
  };
  const optimizer = new AdamW({ betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
  return {
    name: "detector_train",
    flops: detectorTrainFlops(config),
    parameters: countOf(variables),
    async step() {
      await optimizerStep(optimizer, variables, () => {
        const tokens = net.forwardFeatures(imgs, { training: true });
        return binaryCrossEntropy(head.forward(tf.mean(tokens, 1) as tf.Tensor2D), y);
      });
      net.commitBatchNorm();
    },
    dispose() {
      optimizer.dispose();
      net.dispose();
      head.dispose();
      tf.dispose([imgs, y]);
    },
  };
}

export const WORKLOADS: Record<string, (seed?: number) => Workload> = {
  mae_infer: maeInfer,
  mae_train: maeTrain,
  gcn,
  student_kd_step: studentKdStep,
  detector_train: detectorTrain,
};
