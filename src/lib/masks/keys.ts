// Mask keys: an occlusion (spec.ts) gives each image the mask of its key, so the key
// decides which images share an occlusion.
//   evaluation, and the composites it reads   the frame index: every run sees the same
//                                             occlusion of a frame, and the occluded and
//                                             composite conditions are paired
//   further cached composites of a frame      variantKey(frame, v), v = 1, 2, ...
//   training masks drawn afresh at each step  stepMaskKeys(seed, step, B)[slot]
import { mixSeed } from "../data/prng.js";

/**
 * Mask key of variant `v` of a frame: variant 0 is the frame index itself (the mask every
 * evaluation uses); further variants give a training frame other occlusions, so that a
 * teacher trained on cached composites still sees each face occluded in several ways.
 */
export function variantKey(frame: number, variant: number): number {
  return variant === 0 ? frame : mixSeed(frame, variant, 0x7a21) | 0;
}

/** Mask keys of training images: a function of (seed, step, slot in the batch). */
export function stepMaskKeys(seed: number, step: number, batch: number): Int32Array {
  return Int32Array.from({ length: batch }, (_, j) => mixSeed(seed, step, j, 0x5e7) | 0);
}
