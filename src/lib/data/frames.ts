// Images and labels of chosen frames of a dataset, gathered into contiguous batches,
// and images prepared for some frames only (the MAE composites of a fold), kept by frame.
import { imageBytes, type AUDataset } from "./dataset.js";

/** Images of chosen frames, stored contiguously (composites of a fold, say). */
export class FrameImages {
  private readonly slot = new Map<number, number>();

  constructor(
    readonly frames: Int32Array,
    /** [frames, size, size, 3] uint8 RGB. */
    readonly images: Uint8Array,
    readonly size: number,
  ) {
    if (images.length !== frames.length * size * size * 3) throw new Error(`FrameImages: ${images.length} bytes for ${frames.length} frames of ${size} px`);
    frames.forEach((f, i) => this.slot.set(f, i));
  }

  has(frame: number): boolean {
    return this.slot.has(frame);
  }

  /** A view of one frame's image. */
  get(frame: number): Uint8Array {
    const i = this.slot.get(frame);
    if (i === undefined) throw new Error(`no image for frame ${frame} (only ${this.frames.length} frames were prepared)`);
    const ib = this.size * this.size * 3;
    return this.images.subarray(i * ib, (i + 1) * ib);
  }
}

/** uint8 images [frames, S, S, 3] of `frames` from a dataset or from prepared images (composites). */
export function gatherImages(source: AUDataset | FrameImages, frames: ArrayLike<number>): Uint8Array {
  const ib = imageBytes(source);
  const out = new Uint8Array(frames.length * ib);
  for (let j = 0; j < frames.length; j++) {
    const f = frames[j];
    out.set(source instanceof FrameImages ? source.get(f) : source.images.subarray(f * ib, (f + 1) * ib), j * ib);
  }
  return out;
}

/** Labels [frames, A] as floats. */
export function gatherLabels(ds: AUDataset, frames: ArrayLike<number>): Float32Array {
  const A = ds.aus.length;
  const out = new Float32Array(frames.length * A);
  for (let j = 0; j < frames.length; j++) for (let a = 0; a < A; a++) out[j * A + a] = ds.labels[frames[j] * A + a];
  return out;
}
