// The frozen teacher's outputs for every input a student can draw, computed once. A student
// step reads the teacher's probabilities and edge logits for each face's (frame, composite
// variant, flip); the teacher is frozen and in eval mode, so these depend on nothing else,
// and every student of the same teacher (alpha = 1 and 0, the ablations) draws from the same
// set. Computed in batches of the student's size, they are the bits the step would compute
// (the teacher's outputs do not depend on which other faces share a batch); StudentKdTask
// checks that on its first step and computes live if they differ. Pure tf, no I/O.
import * as tf from "@tensorflow/tfjs-core";
import { flipHorizontal } from "../data/augment.js";
import type { FrameImages } from "../data/frames.js";
import { normalizeImages } from "../data/normalize.js";
import { noGrad } from "../models/batchnorm.js";
import type { Detector } from "../models/detector.js";

export class TeacherTargets {
  /** Floats per input: N probabilities, then N x N x 4 edge logits. */
  readonly width: number;
  private readonly rowOfFrame = new Map<number, number>();

  constructor(
    /** The training frames, in the order of the rows. */
    readonly frames: Int32Array,
    readonly variants: number,
    /** Whether mirrored inputs are held too. */
    readonly flips: boolean,
    readonly numAus: number,
    /** [frames x variants x (flips ? 2 : 1), width]. */
    readonly data: Float32Array,
  ) {
    this.width = numAus + numAus * numAus * 4;
    const rows = frames.length * variants * (flips ? 2 : 1);
    if (data.length !== rows * this.width) throw new Error(`teacher targets: ${data.length} floats for ${rows} inputs of ${this.width}`);
    frames.forEach((f, i) => this.rowOfFrame.set(f, i));
  }

  private row(frame: number, variant: number, flipped: boolean): number {
    const i = this.rowOfFrame.get(frame);
    if (i === undefined || variant >= this.variants || (flipped && !this.flips)) throw new Error(`teacher targets hold no input for frame ${frame}, variant ${variant}${flipped ? ", mirrored" : ""}`);
    return (i * this.variants + variant) * (this.flips ? 2 : 1) + (flipped ? 1 : 0);
  }

  /** [B x N] probabilities then [B x N x N x 4] edge logits of a batch, as the live step concatenates them. */
  gather(frames: Int32Array, variants: Int32Array, flipped: Uint8Array): Float32Array {
    const B = frames.length;
    const N = this.numAus;
    const out = new Float32Array(B * this.width);
    const edges = N * N * 4;
    for (let j = 0; j < B; j++) {
      const src = this.row(frames[j], variants[j], flipped[j] === 1) * this.width;
      out.set(this.data.subarray(src, src + N), j * N);
      out.set(this.data.subarray(src + N, src + this.width), B * N + j * edges);
    }
    return out;
  }
}

/** Whether two float arrays hold the same bits (signed zeros and NaN payloads included). */
export function sameBits(a: Float32Array, b: Float32Array): boolean {
  if (a.length !== b.length) return false;
  const [x, y] = [new Uint32Array(a.buffer, a.byteOffset, a.length), new Uint32Array(b.buffer, b.byteOffset, b.length)];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** The teacher's outputs on a batch of uint8 composites, concatenated [probabilities, edge logits] as the student step has them. */
export function teacherOutputs(teacher: Detector, images: Uint8Array, size: number): tf.Tensor1D {
  const x = normalizeImages(images, size);
  return tf.tidy(() =>
    noGrad([tf.tensor4d(x.data, x.shape)], (t) => {
      const out = teacher.forward(t as tf.Tensor4D, { training: false });
      return tf.concat([tf.reshape(out.prob, [-1]), tf.reshape(out.edgeLogits!, [-1])]);
    }),
  ) as tf.Tensor1D;
}

/**
 * Runs the teacher on every (frame, variant, flip) of `frames`, `batch` inputs at a time.
 * `onProgress(done, total)` sees each batch.
 */
export async function computeTeacherTargets(
  teacher: Detector,
  frames: Int32Array,
  composites: readonly FrameImages[],
  { numAus, size, flips, batch, onProgress }: { numAus: number; size: number; flips: boolean; batch: number; onProgress?: (done: number, total: number) => void },
): Promise<TeacherTargets> {
  const perFrame = composites.length * (flips ? 2 : 1);
  const total = frames.length * perFrame;
  const width = numAus + numAus * numAus * 4;
  const data = new Float32Array(total * width);
  const ib = size * size * 3;
  for (let start = 0; start < total; start += batch) {
    const n = Math.min(batch, total - start);
    const images = new Uint8Array(n * ib);
    for (let j = 0; j < n; j++) {
      const row = start + j;
      const frame = frames[Math.floor(row / perFrame)];
      const variant = Math.floor((row % perFrame) / (flips ? 2 : 1));
      const img = composites[variant].get(frame);
      images.set(flips && row % 2 === 1 ? flipHorizontal(img, size) : img, j * ib);
    }
    const t = teacherOutputs(teacher, images, size);
    const values = (await t.data()) as Float32Array;
    t.dispose();
    // The batch comes back as [n x N] then [n x N x N x 4]; rows interleave them.
    for (let j = 0; j < n; j++) {
      const dst = (start + j) * width;
      data.set(values.subarray(j * numAus, (j + 1) * numAus), dst);
      data.set(values.subarray(n * numAus + j * (width - numAus), n * numAus + (j + 1) * (width - numAus)), dst + numAus);
    }
    onProgress?.(start + n, total);
  }
  return new TeacherTargets(frames, composites.length, flips, numAus, data);
}
