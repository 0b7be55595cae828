// Stable content hashes in plain TypeScript, so Node and the browser compute the
// same digest of the same bytes (used to check that a seed reproduces a dataset
// byte for byte, and to key dataset caches).
//
// FNV-1a with a 64-bit state (offset basis 0xcbf29ce484222325, prime
// 0x100000001b3), computed on four 16-bit limbs to stay in exact integer range.

/** Incremental 64-bit FNV-1a. */
export class Fnv1a64 {
  // Limbs, least significant first.
  private h0 = 0x2325;
  private h1 = 0x8422;
  private h2 = 0x9ce4;
  private h3 = 0xcbf2;

  update(bytes: Uint8Array): this {
    let h0 = this.h0;
    let h1 = this.h1;
    let h2 = this.h2;
    let h3 = this.h3;
    for (let i = 0; i < bytes.length; i++) {
      h0 ^= bytes[i];
      // Multiply by the prime 2^40 + 0x1b3: limb-wise product with 0x1b3 plus h << 40.
      const t0 = h0 * 0x1b3;
      const t1 = h1 * 0x1b3;
      const t2 = h2 * 0x1b3;
      const t3 = h3 * 0x1b3;
      // h << 40 adds h0 << 8 to limb 2 and h1 << 8 to limb 3 (carries into limb 4 vanish).
      const c1 = t1 + (t0 >>> 16);
      const c2 = t2 + (h0 << 8) + (c1 >>> 16);
      const c3 = t3 + (h1 << 8) + (c2 >>> 16);
      h0 = t0 & 0xffff;
      h1 = c1 & 0xffff;
      h2 = c2 & 0xffff;
      h3 = c3 & 0xffff;
    }
    this.h0 = h0;
    this.h1 = h1;
    this.h2 = h2;
    this.h3 = h3;
    return this;
  }

  /** Hashes the UTF-8 bytes of a string. */
  updateString(text: string): this {
    return this.update(new TextEncoder().encode(text));
  }

  /** 16 lowercase hex digits. */
  hex(): string {
    return [this.h3, this.h2, this.h1, this.h0].map((x) => x.toString(16).padStart(4, "0")).join("");
  }
}

/** 64-bit FNV-1a of some byte arrays taken in order, as 16 hex digits. */
export function fnv1a64(...parts: (Uint8Array | string)[]): string {
  const h = new Fnv1a64();
  for (const p of parts) {
    if (typeof p === "string") h.updateString(p);
    else h.update(p);
  }
  return h.hex();
}

/** JSON with object keys sorted, so equal configs serialise (and hash) equally. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") {
    if (typeof value === "number" && !Number.isFinite(value)) {
      throw new Error(`canonicalJson: cannot serialise the non-finite number ${value}`);
    }
    return JSON.stringify(value) ?? "null";
  }
  if (Array.isArray(value)) return "[" + value.map((v) => canonicalJson(v)).join(",") + "]";
  const keys = Object.keys(value as Record<string, unknown>)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonicalJson((value as Record<string, unknown>)[k])).join(",") + "}";
}
