// MAE random masking, exactly as the official `random_masking` does it, from a noise
// array instead of torch.rand so that a seed (or the MAE itself) reproduces it:
//   len_keep    = int(L * (1 - ratio))  -> Math.floor in float64 (not round, not float32)
//   ids_shuffle = argsort(noise) ascending: the smallest noise values are kept
//   ids_restore = argsort(ids_shuffle)
//   ids_keep    = ids_shuffle[:, :len_keep]  (ascending-noise order, not spatial order)
//   mask        = 1 removed / 0 kept, in the original patch order
import { Rng } from "../data/prng.js";

export interface RandomMasking {
  batch: number;
  /** Patches per image. */
  length: number;
  lenKeep: number;
  /** [B, L] the noise the masking was derived from. */
  noise: Float32Array;
  /** [B, L] 1 = removed, 0 = kept. */
  mask: Float32Array;
  /** [B, L] patch indices by ascending noise. */
  idsShuffle: Int32Array;
  /** [B, L] inverse permutation of idsShuffle. */
  idsRestore: Int32Array;
  /** [B, lenKeep] the kept patch indices, ascending noise. */
  idsKeep: Int32Array;
}

/** Patches kept out of L at masking ratio r: floor(L * (1 - r)) in float64. */
export function keptCount(length: number, ratio: number): number {
  if (!(ratio >= 0 && ratio <= 1)) throw new Error(`mask ratio must be in [0, 1], got ${ratio}`);
  if (!(Number.isInteger(length) && length > 0)) throw new Error(`number of patches must be a positive integer, got ${length}`);
  return Math.floor(length * (1 - ratio));
}

/**
 * [B, L] uniform noise in [0, 1) from a seed, with 24-bit resolution (every value is an
 * exact float32, like torch.rand). Row b depends only on (seed, b).
 */
export function maskNoise(batch: number, length: number, seed: number): Float32Array {
  const out = new Float32Array(batch * length);
  for (let b = 0; b < batch; b++) {
    const rng = new Rng(seed * 65599 + b);
    for (let l = 0; l < length; l++) out[b * length + l] = (rng.nextU32() >>> 8) / 16777216;
  }
  return out;
}

/** Masking from given noise ([B, L], row-major). Ties in the noise go to the lower index. */
export function maskFromNoise(noise: ArrayLike<number>, batch: number, ratio: number): RandomMasking {
  if (!(Number.isInteger(batch) && batch > 0) || noise.length % batch !== 0) {
    throw new Error(`noise of ${noise.length} values does not split into ${batch} rows`);
  }
  const length = noise.length / batch;
  const lenKeep = keptCount(length, ratio);
  const noiseOut = Float32Array.from(noise);
  const mask = new Float32Array(batch * length);
  const idsShuffle = new Int32Array(batch * length);
  const idsRestore = new Int32Array(batch * length);
  const idsKeep = new Int32Array(batch * lenKeep);
  const order = new Array<number>(length);
  for (let b = 0; b < batch; b++) {
    const base = b * length;
    for (let l = 0; l < length; l++) order[l] = l;
    order.sort((i, j) => noiseOut[base + i] - noiseOut[base + j] || i - j);
    for (let r = 0; r < length; r++) {
      const l = order[r];
      idsShuffle[base + r] = l;
      idsRestore[base + l] = r;
      mask[base + l] = r < lenKeep ? 0 : 1;
      if (r < lenKeep) idsKeep[b * lenKeep + r] = l;
    }
  }
  return { batch, length, lenKeep, noise: noiseOut, mask, idsShuffle, idsRestore, idsKeep };
}

/** Seeded random masking of B images of L patches at ratio r (noise included for the MAE). */
export function randomMasking(batch: number, length: number, ratio: number, seed: number): RandomMasking {
  keptCount(length, ratio);
  return maskFromNoise(maskNoise(batch, length, seed), batch, ratio);
}

