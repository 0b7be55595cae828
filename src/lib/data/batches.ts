// Seeded mini-batches over a subset of a dataset (a fold's training frames),
// optionally augmented. Batches are plain typed arrays; see tensor.ts and
// normalize.ts to turn them into model input.
import { DEFAULT_AUGMENT, augmentImage, type AugmentOptions } from "./augment.js";
import { imageBytes, type AUDataset } from "./dataset.js";
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
