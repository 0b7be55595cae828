import { describe, expect, it } from "vitest";
import { Rng, mixSeed } from "../../../src/lib/data/prng.js";

describe("Rng", () => {
  it("gives the same stream for the same seed and different streams for different seeds", () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const sa = Array.from({ length: 50 }, () => a.nextU32());
    const sb = Array.from({ length: 50 }, () => b.nextU32());
    const sc = Array.from({ length: 50 }, () => c.nextU32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
  });

  it("draws uniforms in [0, 1) with the right mean and normals with unit variance", () => {
    const r = new Rng(7);
    let sum = 0;
    let min = 1;
    let max = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      sum += u;
      min = Math.min(min, u);
      max = Math.max(max, u);
    }
    expect(min).toBeGreaterThanOrEqual(0);
    expect(max).toBeLessThan(1);
    expect(Math.abs(sum / n - 0.5)).toBeLessThan(0.01);
    let s1 = 0;
    let s2 = 0;
    for (let i = 0; i < n; i++) {
      const z = r.normal();
      s1 += z;
      s2 += z * z;
    }
    expect(Math.abs(s1 / n)).toBeLessThan(0.03);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.05);
  });

  it("shuffles into a permutation", () => {
    const xs = Array.from({ length: 30 }, (_, i) => i);
    const ys = new Rng(1).shuffle(xs.slice());
    expect(ys).not.toEqual(xs);
    expect(ys.slice().sort((a, b) => a - b)).toEqual(xs);
  });

  it("mixes seed parts, including parts beyond 32 bits", () => {
    expect(mixSeed(1, 2)).toBe(mixSeed(1, 2));
    expect(mixSeed(1, 2)).not.toBe(mixSeed(2, 1));
    expect(mixSeed(2 ** 33)).not.toBe(mixSeed(0));
    expect(() => mixSeed(NaN)).toThrow(/finite/);
  });
});
