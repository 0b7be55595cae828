// MAE pretraining as a Trainer task: the batch of step t and its masking noise are
// functions of (seed, t) only, so a resumed run sees exactly the batches an
// uninterrupted one would. Images are flipped horizontally at random (the faces
// are aligned and frontal; a flip is another plausible face).
import * as tf from "@tensorflow/tfjs-core";
import { flipHorizontal } from "../data/augment.js";
import { imageBytes, type AUDataset } from "../data/dataset.js";
import { batchIndicesAt } from "../data/batches.js";
import { normalizeImages } from "../data/normalize.js";
import { mixSeed, Rng } from "../data/prng.js";
import { seededNoise, type Mae } from "../models/mae.js";
import type { StepLoss, TrainTask } from "./trainer.js";

export interface MaeTaskOptions {
  batchSize: number;
  /** Fraction of patches removed (MAE: 0.75). */
  maskRatio: number;
  seed: number;
  /** Random horizontal flips. Default true. */
  flip?: boolean;
}

/** uint8 RGB images of the given frames, flipped where the step's coin says so. */
export function batchImages(ds: AUDataset, idx: Int32Array, flipSeed: number | null): Uint8Array {
  const ib = imageBytes(ds);
  const out = new Uint8Array(idx.length * ib);
  const rng = flipSeed === null ? null : new Rng(flipSeed);
  for (let j = 0; j < idx.length; j++) {
    const img = ds.images.subarray(idx[j] * ib, (idx[j] + 1) * ib);
    out.set(rng && rng.next() < 0.5 ? flipHorizontal(img, ds.size) : img, j * ib);
  }
  return out;
}

export class MaePretrainTask implements TrainTask {
  readonly variables: Record<string, tf.Variable>;

  constructor(
    readonly mae: Mae,
    readonly dataset: AUDataset,
    readonly indices: ArrayLike<number>,
    readonly options: MaeTaskOptions,
  ) {
    if (dataset.size !== mae.config.imgSize) {
      throw new Error(`the dataset has ${dataset.size} px images but the MAE expects ${mae.config.imgSize} px: generate or import the data at ${mae.config.imgSize} px`);
    }
    this.variables = mae.trainable();
  }

  /** The normalised images and masking noise of a step (also used by the pages to preview). */
  inputs(step: number): { images: Uint8Array; noise: Float32Array } {
    const { batchSize, seed, flip = true } = this.options;
    const idx = batchIndicesAt(this.indices, batchSize, seed, step);
    const images = batchImages(this.dataset, idx, flip ? mixSeed(seed, step, 0xf11b) : null);
    return { images, noise: seededNoise(mixSeed(seed, step, 0x6d61), batchSize, this.mae.numPatches) };
  }

  loss(step: number): StepLoss {
    const { images, noise } = this.inputs(step);
    const { data, shape } = normalizeImages(images, this.dataset.size);
    const imgs = tf.tensor4d(data, shape);
    return { loss: this.mae.loss(imgs, this.options.maskRatio, noise) };
  }
}
