import { describe, expect, it } from "vitest";
import { Fnv1a64, canonicalJson, fnv1a64 } from "../../../src/lib/data/hash.js";

/** Reference 64-bit FNV-1a with BigInt, straight from the definition. */
function fnvBigInt(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h.toString(16).padStart(16, "0");
}

describe("fnv1a64", () => {
  it("matches the published FNV-1a 64 test vectors", () => {
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
    expect(fnv1a64("foobar")).toBe("85944171f73967e8");
  });

  it("matches a BigInt reference on random bytes, incrementally or at once", () => {
    const bytes = new Uint8Array(1280);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 131 + 17) % 251;
    const inc = new Fnv1a64().update(bytes.subarray(0, 100)).update(bytes.subarray(100)).hex();
    expect(inc).toBe(fnvBigInt(bytes));
    expect(fnv1a64(bytes)).toBe(fnvBigInt(bytes));
  });

  it("serialises configs canonically (key order does not matter)", () => {
    expect(canonicalJson({ b: 1, a: [1, { d: 2, c: 3 }] })).toBe(canonicalJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
    expect(() => canonicalJson({ a: Infinity })).toThrow(/non-finite/);
  });
});
