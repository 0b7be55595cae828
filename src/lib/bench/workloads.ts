// The benchmark workloads of shared/bench/README.md, built from MaskAU's own model
// code (the MAE in src/lib/models/mae.ts, the AdamW in src/lib/train/adamw.ts) so the
// figures measure what users run. Shapes, step boundaries and hyperparameters match
// the PyTorch anchor (torch_anchor.py) exactly; the patch embedding is the Conv2d
// form, which the anchor states is equivalent to its Linear(192, 192).
import * as tf from "@tensorflow/tfjs-core";
import type { MaeConfig } from "../config.js";
import { MAE_DEFAULTS } from "../config.js";
import { Rng } from "../data/prng.js";
import { createMae, seededNoise } from "../models/mae.js";
import { AdamW } from "../train/adamw.js";

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
    parameters: mae.params.countTrainable() + BENCH_MAE.embedDim * ((BENCH_MAE.imgSize / BENCH_MAE.patchSize) ** 2 + 1),
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
      const { value, grads } = tf.variableGrads(() => mae.loss(imgs, BENCH_MASK_RATIO, noise), Object.values(variables));
      const byName: tf.NamedTensorMap = {};
      for (const [name, v] of Object.entries(variables)) byName[name] = grads[v.name];
      optimizer.update(variables, byName, 1.5e-4);
      await value.data();
      tf.dispose([value, ...Object.values(grads)]);
    },
    dispose() {
      optimizer.dispose();
      mae.dispose();
      imgs.dispose();
    },
  };
}

export const WORKLOADS: Record<string, (seed?: number) => Workload> = { mae_infer: maeInfer, mae_train: maeTrain };
