// MAE composites of occluded faces, for every frame of a set at once: the teacher's
// input. The MAE is frozen, so a frame's composite depends only on the frame and its
// mask (keyed by the frame index, see masks/keys.ts): it is computed once per fold
// and reused by every epoch, by the evaluation of condition (c) and by the teacher.
import type { AUDataset } from "../data/dataset.js";
import { FrameImages, gatherImages } from "../data/frames.js";
import { variantKey } from "../masks/keys.js";
import type { Mae } from "../models/mae.js";
import { reconstructImages } from "../models/reconstruct.js";
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
  const grid = size / mae.config.patchSize;
  const batch = options.batchSize ?? 64;
  const ib = size * size * 3;
  const out = new Uint8Array(frames.length * ib);
  for (let start = 0; start < frames.length; start += batch) {
    const idx = frames.subarray(start, Math.min(frames.length, start + batch));
    const variant = options.variant ?? 0;
    const masks = occlusionPatchMasks(occlusion, variant === 0 ? idx : Array.from(idx, (f) => variantKey(f, variant)), grid, mae.config.patchSize);
    const rec = await reconstructImages(mae, gatherImages(ds, idx), masks);
    out.set(rec.composite, start * ib);
    options.onProgress?.(start + idx.length, frames.length);
  }
  return new FrameImages(Int32Array.from(frames), out, size);
}
