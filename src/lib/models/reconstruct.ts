// Occlude-and-reconstruct with a pretrained MAE, as the paper's teacher sees faces:
// the encoder reads the visible patches only (the occluded ones are the MAE's
// masked tokens), the decoder predicts every patch, and the composite keeps the
// visible pixels of the input and takes the reconstruction elsewhere.
import * as tf from "@tensorflow/tfjs-core";
import { denormalizeImages, normalizeImages } from "../data/normalize.js";
import { maskingFromNoise, type Mae } from "./mae.js";

export interface Reconstruction {
  /** [B, H, W, 3] the decoder's prediction of every patch (normalised pixel space). */
  reconstruction: tf.Tensor4D;
  /** [B, H, W, 3] visible patches of the input + reconstructed removed patches. */
  composite: tf.Tensor4D;
  /** [B, L] mean squared error of each patch against the input (normalised pixels). */
  patchError: tf.Tensor2D;
}

/**
 * The noise and ratio that make the official random_masking keep exactly the patches
 * with mask 0 (in patch order) and remove those with mask 1.
 */
export function noiseForMask(mask: ArrayLike<number>, numPatches: number): { noise: Float32Array; ratio: number } {
  const L = numPatches;
  const noise = new Float32Array(L);
  let removed = 0;
  for (let l = 0; l < L; l++) {
    const r = mask[l] >= 0.5 ? 1 : 0;
    removed += r;
    noise[l] = r + l / (2 * L);
  }
  if (removed === L) throw new Error("the mask removes every patch: the MAE needs at least one visible patch");
  // floor(L * (1 - ratio)) = L - removed exactly (in float64) with ratio = (removed - 0.5) / L.
  return { noise, ratio: removed === 0 ? 0 : (removed - 0.5) / L };
}

/**
 * Reconstructs normalised NHWC images `imgs` under patch masks `mask` ([B * L], 1 =
 * removed). Samples with different numbers of removed patches are run in separate
 * groups (the encoder's token count must agree within a batch).
 */
export function reconstruct(mae: Mae, imgs: tf.Tensor4D, mask: ArrayLike<number>): Reconstruction {
  if (mae.config.normPixLoss) {
    throw new Error("reconstruct: this MAE was trained with norm_pix_loss, so it predicts per-patch normalised pixels whose mean and scale are unknown for removed patches; use a model trained without norm_pix_loss (the tiny preset)");
  }
  const B = imgs.shape[0];
  const L = mae.numPatches;
  if (mask.length !== B * L) throw new Error(`reconstruct: mask has ${mask.length} entries, expected ${B} x ${L}`);
  const groups = new Map<number, number[]>();
  for (let b = 0; b < B; b++) {
    let removed = 0;
    for (let l = 0; l < L; l++) removed += mask[b * L + l] >= 0.5 ? 1 : 0;
    groups.set(removed, [...(groups.get(removed) ?? []), b]);
  }
  return tf.tidy(() => {
    const preds: tf.Tensor3D[] = new Array(B);
    for (const members of groups.values()) {
      const noise = new Float32Array(members.length * L);
      let ratio = 0;
      members.forEach((b, j) => {
        const plan = noiseForMask(Array.prototype.slice.call(mask, b * L, (b + 1) * L), L);
        noise.set(plan.noise, j * L);
        ratio = plan.ratio;
      });
      const sub = tf.gather(imgs, tf.tensor1d(members, "int32"));
      const plan = maskingFromNoise(noise, members.length, L, ratio);
      const enc = mae.forwardEncoder(sub as tf.Tensor4D, ratio, noise);
      const pred = mae.forwardDecoder(enc.latent, plan.idsRestore);
      const parts = tf.split(pred, members.length, 0);
      members.forEach((b, j) => (preds[b] = parts[j] as tf.Tensor3D));
    }
    const pred = tf.concat(preds, 0) as tf.Tensor3D;
    const reconstruction = mae.unpatchify(pred);
    const maskT = tf.tensor2d(Float32Array.from(mask, (v) => (v >= 0.5 ? 1 : 0)), [B, L]);
    // Mixed per patch, [B, L, 1] broadcast over the patch's pixels, then unpatchified: the
    // same values as mixing the images with a per-pixel mask (patchify is a permutation),
    // without tiling the mask to every pixel (wasm's Tile ran element by element, a quarter
    // of a composite batch's time).
    const target = mae.patchify(imgs);
    const keep = tf.expandDims(tf.sub(1, maskT), 2);
    const composite = mae.unpatchify(tf.add(tf.mul(target, keep), tf.mul(pred, tf.sub(1, keep))) as tf.Tensor3D);
    const patchError = tf.mean(tf.square(tf.sub(pred, target)), -1) as tf.Tensor2D;
    return { reconstruction, composite, patchError };
  });
}

export interface ImageReconstruction {
  /** uint8 RGB [B, H, W, 3] of the decoder's prediction. */
  reconstruction: Uint8Array;
  /** uint8 RGB [B, H, W, 3]: visible input pixels + reconstructed removed patches. */
  composite: Uint8Array;
  /** [B, L] per-patch mean squared error (normalised pixel units). */
  patchError: Float32Array;
  /** Mean error over the removed patches of each image. */
  removedError: Float32Array;
}

/** reconstruct() on uint8 RGB images, returning plain arrays (for pages and the CLI). */
export async function reconstructImages(mae: Mae, images: Uint8Array, mask: ArrayLike<number>): Promise<ImageReconstruction> {
  const size = mae.config.imgSize;
  const { data, shape } = normalizeImages(images, size);
  const imgs = tf.tensor4d(data, shape);
  const out = reconstruct(mae, imgs, mask);
  try {
    const [rec, comp, err] = await Promise.all([out.reconstruction.data(), out.composite.data(), out.patchError.data()]);
    const L = mae.numPatches;
    const B = shape[0];
    const removedError = new Float32Array(B);
    for (let b = 0; b < B; b++) {
      let sum = 0;
      let n = 0;
      for (let l = 0; l < L; l++) {
        if (mask[b * L + l] >= 0.5) {
          sum += err[b * L + l];
          n++;
        }
      }
      removedError[b] = n ? sum / n : 0;
    }
    return {
      reconstruction: denormalizeImages(rec as Float32Array),
      composite: denormalizeImages(comp as Float32Array),
      patchError: Float32Array.from(err),
      removedError,
    };
  } finally {
    tf.dispose([imgs, out.reconstruction, out.composite, out.patchError]);
  }
}
