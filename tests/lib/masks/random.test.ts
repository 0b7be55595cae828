import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readSafetensors } from "../../../src/lib/io/safetensors.js";
import { countRemoved } from "../../../src/lib/masks/convert.js";
import { keptCount, maskFromNoise, maskNoise, randomMasking } from "../../../src/lib/masks/random.js";
import { fixturePath } from "../../support/shared.js";

describe("MAE random masking", () => {
  it("keeps floor(L * (1 - r)) patches, in float64", () => {
    expect(keptCount(16, 0.7)).toBe(4); // 16 * 0.30000000000000004 = 4.800..., not 5
    expect(keptCount(25, 0.6)).toBe(10); // float32 would give 9
    expect(Math.floor(Math.fround(25 * Math.fround(1 - Math.fround(0.6))))).toBe(9);
    expect(keptCount(196, 0.75)).toBe(49);
    expect(keptCount(196, 0.5)).toBe(98);
    expect(keptCount(16, 0)).toBe(16);
    expect(keptCount(16, 1)).toBe(0);
    expect(() => keptCount(16, 1.5)).toThrow(/\[0, 1\]/);
    for (const [L, r, keep] of [[16, 0.7, 4], [25, 0.6, 10]] as const) {
      const m = randomMasking(3, L, r, 11);
      expect(m.lenKeep).toBe(keep);
      for (let b = 0; b < 3; b++) expect(countRemoved(m.mask.subarray(b * L, (b + 1) * L))).toBe(L - keep);
      expect(m.idsKeep.length).toBe(3 * keep);
    }
  });

  it("is a function of the seed, and the returned noise reproduces it", () => {
    const a = randomMasking(4, 196, 0.75, 123);
    const b = randomMasking(4, 196, 0.75, 123);
    const c = randomMasking(4, 196, 0.75, 124);
    expect(b.mask).toEqual(a.mask);
    expect(b.noise).toEqual(a.noise);
    expect(c.mask).not.toEqual(a.mask);
    // Rows differ from each other.
    expect(a.mask.subarray(0, 196)).not.toEqual(a.mask.subarray(196, 392));
    const again = maskFromNoise(a.noise, 4, 0.75);
    expect(again.mask).toEqual(a.mask);
    expect(again.idsShuffle).toEqual(a.idsShuffle);
    // Noise is float32-exact, in [0, 1).
    expect([...a.noise].every((v) => v >= 0 && v < 1 && Math.fround(v) === v)).toBe(true);
    expect(maskNoise(2, 10, 5)).toEqual(maskNoise(2, 10, 5));
  });

  it("ids are consistent: restore inverts shuffle, kept = smallest noise, mask in original order", () => {
    const m = randomMasking(2, 49, 0.5, 9);
    for (let b = 0; b < 2; b++) {
      const o = b * 49;
      for (let r = 0; r < 49; r++) expect(m.idsRestore[o + m.idsShuffle[o + r]]).toBe(r);
      for (let r = 1; r < 49; r++) expect(m.noise[o + m.idsShuffle[o + r]]).toBeGreaterThanOrEqual(m.noise[o + m.idsShuffle[o + r - 1]]);
      for (let k = 0; k < m.lenKeep; k++) expect(m.mask[o + m.idsKeep[b * m.lenKeep + k]]).toBe(0);
    }
  });

  it("matches the official masking of the reference fixture (same noise)", () => {
    const { tensors } = readSafetensors(new Uint8Array(readFileSync(fixturePath("mae_tiny.safetensors"))));
    const noise = tensors.get("input.noise")!;
    const m = maskFromNoise(noise.data, noise.shape[0], 0.75);
    expect(m.mask).toEqual(tensors.get("output.mask")!.data);
    expect(m.idsShuffle).toEqual(tensors.get("output.ids_shuffle")!.data);
    expect(m.idsRestore).toEqual(tensors.get("output.ids_restore")!.data);
    expect(m.idsKeep).toEqual(tensors.get("output.ids_keep")!.data);
    // Ratio 0 with increasing noise keeps every patch in natural order.
    const sorted = tensors.get("input.noise_sorted")!;
    const all = maskFromNoise(sorted.data, 2, 0);
    expect(countRemoved(all.mask)).toBe(0);
    expect(all.idsRestore).toEqual(tensors.get("encoder_all_patches.output.ids_restore")!.data);
  });

  it("breaks ties towards the lower index", () => {
    const m = maskFromNoise(new Float32Array(8).fill(0.5), 1, 0.5);
    expect([...m.mask]).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
  });
});
