// The portable exp, log, log2 and pow of the feature maps: within one unit in the last place
// of the engine's (which is within one of the exact value) over a wide range, the special
// values as Math gives them, and Math restored after withPortableMath, also on a throw.
import { describe, expect, it } from "vitest";
import { portableExp, portableLog, portableLog2, portablePow, withPortableMath } from "../../../src/lib/project/portable-math.js";

/** Distance in units in the last place between two finite doubles of the same sign. */
function ulps(a: number, b: number): number {
  if (a === b) return 0;
  const f = new Float64Array([a, b]);
  const i = new BigInt64Array(f.buffer);
  return Math.abs(Number(i[0] - i[1]));
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
}

describe("portable math", () => {
  it("exp is within 1 ulp of Math.exp from -745 to 709, subnormal results included", () => {
    const u = lcg(1);
    let worst = 0;
    for (let k = 0; k < 200_000; k++) {
      const x = k < 100_000 ? 40 * u() - 20 : 1450 * u() - 742;
      worst = Math.max(worst, ulps(portableExp(x), Math.exp(x)));
    }
    for (const x of [0, -0, 1e-300, -1e-300, 0.3465, -0.3465, 1.0397, -1.0397, 709.78, -745.1]) worst = Math.max(worst, ulps(portableExp(x), Math.exp(x)));
    expect(worst).toBeLessThanOrEqual(1);
    expect(portableExp(0)).toBe(1);
    expect(ulps(portableExp(1), Math.E)).toBeLessThanOrEqual(1);
    expect(portableExp(710)).toBe(Infinity);
    expect(portableExp(-746)).toBe(0);
    expect(portableExp(Infinity)).toBe(Infinity);
    expect(portableExp(-Infinity)).toBe(0);
    expect(portableExp(NaN)).toBeNaN();
  });

  it("log is within 1 ulp of Math.log from subnormals to the largest double", () => {
    const u = lcg(2);
    let worst = 0;
    for (let k = 0; k < 200_000; k++) {
      const x = k < 100_000 ? 10 * u() : 2 ** (2098 * u() - 1074);
      if (x > 0) worst = Math.max(worst, ulps(portableLog(x), Math.log(x)));
    }
    for (const x of [Number.MIN_VALUE, 1 - 2 ** -53, 1 + 2 ** -52, 0.5, 2, Math.E, Number.MAX_VALUE]) worst = Math.max(worst, ulps(portableLog(x), Math.log(x)));
    expect(worst).toBeLessThanOrEqual(1);
    expect(portableLog(1)).toBe(0);
    expect(portableLog(0)).toBe(-Infinity);
    expect(portableLog(-1)).toBeNaN();
    expect(portableLog(Infinity)).toBe(Infinity);
    expect(portableLog(NaN)).toBeNaN();
  });

  it("log2 is exact on powers of two and within 2 ulps elsewhere", () => {
    for (let e = -1074; e <= 1023; e++) expect(portableLog2(2 ** e)).toBe(e);
    const u = lcg(3);
    let worst = 0;
    for (let k = 0; k < 50_000; k++) {
      const x = 1000 * u() + 1e-3;
      worst = Math.max(worst, ulps(portableLog2(x), Math.log2(x)));
    }
    expect(worst).toBeLessThanOrEqual(2);
  });

  it("pow is close to Math.pow for UMAP's arguments and keeps its special values", () => {
    const u = lcg(4);
    let worst = 0;
    for (let k = 0; k < 100_000; k++) {
      const x = 20 * u();
      const y = 4 * u() - 2;
      if (x > 0) worst = Math.max(worst, Math.abs(portablePow(x, y) / Math.pow(x, y) - 1));
    }
    expect(worst).toBeLessThan(2e-15);
    expect(portablePow(3, 2)).toBe(9);
    expect(portablePow(-2, 3)).toBeCloseTo(-8, 12);
    expect(portablePow(-2, 2)).toBe(4);
    expect(portablePow(-2, 0.5)).toBeNaN();
    expect(portablePow(0, 0.5)).toBe(0);
    expect(portablePow(0, -0.5)).toBe(Infinity);
    expect(portablePow(NaN, 0)).toBe(1);
    expect(portablePow(2, Infinity)).toBe(Infinity);
  });

  it("withPortableMath swaps the functions in for the call only, also when it throws", () => {
    const native = { exp: Math.exp, log: Math.log, log2: Math.log2, pow: Math.pow };
    expect(withPortableMath(() => [Math.exp, Math.log, Math.log2, Math.pow])).toEqual([portableExp, portableLog, portableLog2, portablePow]);
    expect({ exp: Math.exp, log: Math.log, log2: Math.log2, pow: Math.pow }).toEqual(native);
    expect(() => withPortableMath(() => { throw new Error("boom"); })).toThrow("boom");
    expect(Math.pow).toBe(native.pow);
    // pow's special cases do not recurse into the replaced Math.pow.
    expect(withPortableMath(() => Math.pow(0, 2.5))).toBe(0);
  });
});
