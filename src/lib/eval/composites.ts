// MAE composites of occluded faces, for every frame of a set at once: the teacher's
// input. The MAE is frozen, so a frame's composite depends only on the frame and its
// mask (keyed by the frame index, see masks/keys.ts): it is computed once per fold
// and reused by every epoch, by the evaluation of condition (c) and by the teacher.
// A frame's composite does not depend on the batch it is computed in, nor on the wasm
// thread count (tests/lib/eval/composites.test.ts), but it does depend on the kernels
// that compute it: builds and backends differ in the last bit of some floats, which now
// and then rounds a pixel the other way. compositeFingerprint tells such computations
// apart, so a disk cache never serves one computation's composites to another.
import * as tf from "@tensorflow/tfjs-core";
import type { AUDataset } from "../data/dataset.js";
import { FrameImages, gatherImages } from "../data/frames.js";
import { fnv1a64 } from "../data/hash.js";
import { normalizeImages } from "../data/normalize.js";
import { variantKey } from "../masks/keys.js";
import type { Mae } from "../models/mae.js";
import { reconstruct, reconstructImages } from "../models/reconstruct.js";
import { occlusionPatchMasks, type OcclusionSpec } from "../masks/spec.js";

export interface CompositeOptions {
  /** Images per MAE call. Default 64. */
  batchSize?: number;
  /** Which occlusion of each frame (mask key variantKey(frame, variant)); default 0, the evaluation's. */
  variant?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Composites of `frames` under `occlusion` (the masks keyed by frame index, or by variantKey for variant > 0). */
export async function buildComposites(mae: Mae, ds: AUDataset, frames: Int32Array, occlusion: OcclusionSpec, options: CompositeOptions = {}): Promise<FrameImages> {
  if (occlusion.kind === "none") throw new Error("composites need an occlusion (e.g. random:0.5 or block:0.3)");
  const size = mae.config.imgSize;
  if (ds.size !== size) throw new Error(`the dataset has ${ds.size} px images but the MAE expects ${size} px`);
  const batch = options.batchSize ?? 64;
  const ib = size * size * 3;
  const out = new Uint8Array(frames.length * ib);
  for (let start = 0; start < frames.length; start += batch) {
    const idx = frames.subarray(start, Math.min(frames.length, start + batch));
    const rec = await reconstructImages(mae, gatherImages(ds, idx), compositeMasks(mae, idx, occlusion, options.variant ?? 0));
    out.set(rec.composite, start * ib);
    options.onProgress?.(start + idx.length, frames.length);
  }
  return new FrameImages(Int32Array.from(frames), out, size);
}

export interface ChunkedCompositeOptions {
  /** Says how far the composites are (the label of the set, faces done, faces in all). */
  progress: (label: string, done: number, total: number) => void;
  /** Gives the page a turn between chunks (so it draws the progress). */
  turn: () => Promise<void>;
  /** Faces per chunk. Default 64. */
  chunk?: number;
}

/**
 * buildComposites for pages: a run's composite source (frames, occlusion, variant, label)
 * that computes them in chunks, reports before each chunk and gives the page a turn
 * between chunks. The same composites as buildComposites.
 */
export function compositesInChunks(mae: Mae, ds: AUDataset, { progress, turn, chunk = 64 }: ChunkedCompositeOptions) {
  return async (frames: Int32Array, occlusion: OcclusionSpec, variant: number, label: string): Promise<FrameImages> => {
    const size = ds.size;
    const out = new Uint8Array(frames.length * size * size * 3);
    for (let start = 0; start < frames.length; start += chunk) {
      progress(label.trim(), start, frames.length);
      await turn();
      const part = await buildComposites(mae, ds, frames.subarray(start, Math.min(frames.length, start + chunk)), occlusion, { variant });
      out.set(part.images, start * size * size * 3);
    }
    return new FrameImages(Int32Array.from(frames), out, size);
  };
}

/** The patch masks of `frames` under `occlusion`: keyed by frame index, or by variantKey for variant > 0. */
function compositeMasks(mae: Mae, frames: Int32Array, occlusion: OcclusionSpec, variant: number): Float32Array {
  const grid = mae.config.imgSize / mae.config.patchSize;
  return occlusionPatchMasks(occlusion, variant === 0 ? frames : Array.from(frames, (f) => variantKey(f, variant)), grid, mae.config.patchSize);
}

/** Frames whose float composites make a fingerprint. */
export const FINGERPRINT_FRAMES = 4;

/**
 * A fingerprint of the arithmetic that computes composites here (build, backend, kernels):
 * FNV-1a 64 of the float32 composites, before they are rounded to bytes, of the first
 * FINGERPRINT_FRAMES frames of `frames` under the same masks. A change in the last bit of
 * a float shows here although it changes a rounded byte only now and then (two builds of
 * MaskAU differed in 153 of the 41 M bytes of test fold 1's block:0.3 composites), so a
 * cache keyed by it never serves composites that another computation made. The same
 * build on the same backend gives the same fingerprint at any thread count.
 */
export async function compositeFingerprint(mae: Mae, ds: AUDataset, frames: Int32Array, occlusion: OcclusionSpec, { variant = 0 }: { variant?: number } = {}): Promise<string> {
  if (occlusion.kind === "none") throw new Error("composites need an occlusion (e.g. random:0.5 or block:0.3)");
  const idx = frames.subarray(0, Math.min(frames.length, FINGERPRINT_FRAMES));
  if (idx.length === 0) return "no frames";
  const { data, shape } = normalizeImages(gatherImages(ds, idx), mae.config.imgSize);
  const imgs = tf.tensor4d(data, shape);
  const out = reconstruct(mae, imgs, compositeMasks(mae, idx, occlusion, variant));
  try {
    const composite = (await out.composite.data()) as Float32Array;
    return fnv1a64(new Uint8Array(composite.buffer, composite.byteOffset, composite.byteLength));
  } finally {
    tf.dispose([imgs, out.reconstruction, out.composite, out.patchError]);
  }
}
