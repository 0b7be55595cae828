import { describe, expect, it } from "vitest";
import { mixSeed } from "../../../src/lib/data/prng.js";
import { stepMaskKeys, variantKey } from "../../../src/lib/masks/keys.js";

describe("mask keys", () => {
  it("per-step keys are a function of (seed, step, slot): distinct within a batch, repeatable", () => {
    expect(Array.from(stepMaskKeys(1, 2, 3))).toEqual(Array.from(stepMaskKeys(1, 2, 3)));
    expect(new Set(stepMaskKeys(1, 2, 3)).size).toBe(3);
    expect(Array.from(stepMaskKeys(1, 3, 3))).not.toEqual(Array.from(stepMaskKeys(1, 2, 3)));
    expect(stepMaskKeys(1, 2, 5)[4]).toBe(mixSeed(1, 2, 4, 0x5e7) | 0);
  });

  it("variant 0 of a frame is the frame (the evaluation's mask); other variants differ", () => {
    expect(variantKey(17, 0)).toBe(17);
    expect(variantKey(17, 2)).toBe(mixSeed(17, 2, 0x7a21) | 0);
    expect(new Set([0, 1, 2, 3].map((v) => variantKey(17, v))).size).toBe(4);
  });
});
