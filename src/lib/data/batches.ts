// Seeded mini-batches over a subset of a dataset (a fold's training frames),
// optionally augmented, and paired batches: the clean, occluded and MAE-composite
// images of the same faces under the same mask and flip. Batches are plain typed
// arrays; see tensor.ts and normalize.ts to turn them into model input.
import type { Fill } from "../masks/fill.js";
import { variantKey } from "../masks/keys.js";
import { occludeImages } from "../masks/occlude.js";
import { occlusionPatchMasks, type OcclusionSpec } from "../masks/spec.js";
import { DEFAULT_AUGMENT, augmentImage, flipHorizontal, type AugmentOptions } from "./augment.js";
import { imageBytes, type AUDataset } from "./dataset.js";
import { gatherImages, gatherLabels, type FrameImages } from "./frames.js";
import { Rng, mixSeed } from "./prng.js";

export interface BatchOptions {
  batchSize: number;
  /** Seed of the shuffle and the augmentation. */
  seed: number;
  /** Epoch number: each epoch gets its own order from the same seed. Default 0. */
  epoch?: number;
  /** Shuffle the frames (default true); false keeps the given order (evaluation). */
  shuffle?: boolean;
  /** Drop a last, smaller batch. Default false. */
  dropLast?: boolean;
  /** Augmentation; null or omitted = none. `true`-like defaults: DEFAULT_AUGMENT. */
  augment?: AugmentOptions | null;
}

export interface Batch {
  /** [B] frame indices into the dataset. */
  indices: Int32Array;
  /** [B, size, size, 3] uint8. */
  images: Uint8Array;
  /** [B, A] 0/1. */
  labels: Uint8Array;
  size: number;
}

/** The frame order of one epoch. */
export function epochOrder(indices: ArrayLike<number>, seed: number, epoch = 0, shuffle = true): Int32Array {
  const order = Int32Array.from(indices);
  if (shuffle) new Rng(mixSeed(seed, epoch, 0xba7c)).shuffle(order);
  return order;
}

/** Yields the batches of one epoch over `indices` (default: every frame). */
export function* batches(ds: AUDataset, indices: ArrayLike<number> | null, options: BatchOptions): Generator<Batch> {
  const { batchSize, seed } = options;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  const all = indices ?? Int32Array.from({ length: ds.subject.length }, (_, i) => i);
  const order = epochOrder(all, seed, options.epoch ?? 0, options.shuffle ?? true);
  const A = ds.aus.length;
  const ib = imageBytes(ds);
  const aug = options.augment ? { ...DEFAULT_AUGMENT, ...options.augment } : null;
  const rng = new Rng(mixSeed(seed, options.epoch ?? 0, 0xa06));
  for (let start = 0; start < order.length; start += batchSize) {
    const idx = order.subarray(start, Math.min(order.length, start + batchSize));
    if (idx.length < batchSize && options.dropLast) break;
    const images = new Uint8Array(idx.length * ib);
    const labels = new Uint8Array(idx.length * A);
    for (let j = 0; j < idx.length; j++) {
      const i = idx[j];
      const img = ds.images.subarray(i * ib, (i + 1) * ib);
      images.set(aug ? augmentImage(img, ds.size, rng, aug) : img, j * ib);
      labels.set(ds.labels.subarray(i * A, (i + 1) * A), j * A);
    }
    yield { indices: Int32Array.from(idx), images, labels, size: ds.size };
  }
}

/** Frame indices of the batch of `step`: consecutive slices of per-epoch seeded orders. */
export function batchIndicesAt(indices: ArrayLike<number>, batchSize: number, seed: number, step: number): Int32Array {
  const n = indices.length;
  if (n === 0) throw new Error("no training frames");
  const out = new Int32Array(batchSize);
  let pos = step * batchSize;
  let epoch = Math.floor(pos / n);
  let order = epochOrder(indices, seed, epoch);
  for (let i = 0; i < batchSize; i++, pos++) {
    const e = Math.floor(pos / n);
    if (e !== epoch) {
      epoch = e;
      order = epochOrder(indices, seed, epoch);
    }
    out[i] = order[pos - e * n];
  }
  return out;
}

export interface PairedBatchOptions {
  /** The occlusion (masks/spec.ts). */
  occlusion: OcclusionSpec;
  /** Patch side of its masks in pixels (the MAE's patch size). */
  patch: number;
  /** Paint of the removed patches in `occluded`. Default "gray". */
  fill?: Fill;
  /** Seed of the fill: image j's paint draws from mixSeed(fillSeed, j) (occludeImages). Default 0. */
  fillSeed?: number;
  /**
   * Cached MAE composites, one set per occlusion variant: composites[v] holds the frames'
   * composites under the masks keyed variantKey(frame, v) (buildComposites with
   * {variant: v}). Without them the batch has no `composite`.
   */
  composites?: readonly FrameImages[];
  /** The occlusion variant of image j. Default 0 for every image (the evaluation's masks). */
  variantOf?: (j: number) => number;
  /** Whether image j is mirrored. Default: no image. */
  flipOf?: (j: number) => boolean;
}

export interface PairedBatch {
  /** [B] frame indices. */
  frames: Int32Array;
  /** [B, A] 0/1 labels as floats (a flip keeps them: every AU here is bilateral, see augment.ts). */
  labels: Float32Array;
  /** [B] each image's occlusion variant (its mask key is variantKey(frame, variant)). */
  variants: Int32Array;
  /** [B] 1 where the images are mirrored. */
  flipped: Uint8Array;
  /** [B, L] 1 = removed, as the returned images have it (mirrored with them). */
  masks: Float32Array;
  /** [B, S, S, 3] uint8: the faces, the faces with the removed patches painted, their MAE composites. */
  clean: Uint8Array;
  occluded: Uint8Array;
  composite?: Uint8Array;
}

/** Mirrors row-major [grid, grid] patch mask rows in place, as flipHorizontal mirrors the pixels. */
function flipMaskRow(mask: Float32Array, grid: number): void {
  for (let i = 0; i < grid; i++) mask.subarray(i * grid, (i + 1) * grid).reverse();
}

/**
 * Clean, occluded and composite images of the same frames, paired: image j of each comes
 * from the same face, the same mask (that of its composite variant, key
 * variantKey(frames[j], variantOf(j))) and the same flip. Flips apply after occluding and
 * compositing, so flip(occlude(x, m)) pairs with flip(composite(x, m)): a teacher reading
 * `composite` and a student reading `occluded` see the same face and the same occlusion.
 * variantOf and flipOf are called once per image, in order (variantOf for every image first).
 */
export function pairedBatch(ds: AUDataset, frames: ArrayLike<number>, options: PairedBatchOptions): PairedBatch {
  const { occlusion, patch, fill = "gray", fillSeed = 0, composites, variantOf = () => 0, flipOf = () => false } = options;
  const size = ds.size;
  const grid = size / patch;
  if (!Number.isInteger(grid)) throw new Error(`image size ${size} is not a multiple of the patch size ${patch}`);
  const B = frames.length;
  const L = grid * grid;
  const ib = imageBytes(ds);
  const idx = Int32Array.from(frames);
  const variants = Int32Array.from({ length: B }, (_, j) => variantOf(j));
  for (const v of variants) {
    if (!(Number.isInteger(v) && v >= 0)) throw new Error(`occlusion variants are integers >= 0, got ${v}`);
    if (composites && v >= composites.length) throw new Error(`no composites of variant ${v} (${composites.length} variant${composites.length === 1 ? " was" : "s were"} prepared)`);
  }
  const masks = occlusionPatchMasks(occlusion, Array.from(idx, (f, j) => variantKey(f, variants[j])), grid, patch);
  const clean = gatherImages(ds, idx);
  const occluded = occludeImages(clean, size, masks, patch, fill, fillSeed);
  let composite: Uint8Array | undefined;
  if (composites) {
    composite = new Uint8Array(B * ib);
    for (let j = 0; j < B; j++) {
      const set = composites[variants[j]];
      if (set.size !== size) throw new Error(`composites of ${set.size} px for a dataset of ${size} px`);
      composite.set(set.get(idx[j]), j * ib);
    }
  }
  const flipped = Uint8Array.from({ length: B }, (_, j) => (flipOf(j) ? 1 : 0));
  for (let j = 0; j < B; j++) {
    if (!flipped[j]) continue;
    for (const images of composite ? [clean, occluded, composite] : [clean, occluded]) {
      const img = images.subarray(j * ib, (j + 1) * ib);
      img.set(flipHorizontal(img, size));
    }
    flipMaskRow(masks.subarray(j * L, (j + 1) * L), grid);
  }
  return { frames: idx, labels: gatherLabels(ds, idx), variants, flipped, masks, clean, occluded, composite };
}

export interface PairedStepOptions extends Omit<PairedBatchOptions, "variantOf" | "flipOf" | "fillSeed"> {
  batchSize: number;
  seed: number;
  /** Random horizontal flips (each image with probability 1/2). Default true. */
  flip?: boolean;
  /** Variants to draw from. Default: the number of composite sets, else 1. */
  variants?: number;
}

/**
 * The paired batch of training step `step`, a function of (seed, step): frames from
 * per-epoch seeded orders (batchIndicesAt), then each image's variant and flip drawn
 * from (seed, step) exactly as DetectorTrainTask draws them, so a teacher trained on the
 * composites with the same seed read these composites at this step.
 */
export function pairedBatchAt(ds: AUDataset, trainFrames: ArrayLike<number>, step: number, options: PairedStepOptions): PairedBatch {
  const { batchSize, seed, flip = true } = options;
  const frames = batchIndicesAt(trainFrames, batchSize, seed, step);
  const n = options.variants ?? options.composites?.length ?? 1;
  if (!(Number.isInteger(n) && n >= 1)) throw new Error(`variants must be a positive integer, got ${n}`);
  const pick = new Rng(mixSeed(seed, step, 0xc0de));
  const variants = Array.from(frames, () => (n > 1 ? pick.int(n) : 0));
  const coin = new Rng(mixSeed(seed, step, 0xf11b));
  const flips = Array.from(frames, () => flip && coin.next() < 0.5);
  return pairedBatch(ds, frames, { ...options, variantOf: (j) => variants[j], flipOf: (j) => flips[j], fillSeed: mixSeed(seed, step, 0xf111) });
}
