// Valid safetensors files for the fuzz tests, written independently of src/lib/io:
// every dtype the reader knows, shapes from scalars to rank 4 (zero-size dimensions
// included), names and metadata with any Unicode (quotes, backslashes, NUL, prototype
// names), the data laid out in an order other than the header's, and the header padded
// with spaces. Each tensor carries the values the reader must return (float32 or int32).
import { fc } from "@fast-check/vitest";
import type { SafeDtype } from "../../../src/lib/io/safetensors.js";
import { jsonText } from "./mutate.js";

export const DTYPES: readonly SafeDtype[] = ["F32", "F16", "BF16", "F64", "I64", "I32", "I16", "I8", "U8", "BOOL"];
export const DTYPE_BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
export const FLOAT_DTYPES = new Set<SafeDtype>(["F32", "F16", "BF16", "F64"]);

export interface GenTensor {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  /** Little-endian bytes as stored. */
  bytes: Uint8Array;
  /** What the reader returns: float32 values for float dtypes, int32 otherwise. */
  expected: number[];
}

export interface GenFile {
  tensors: GenTensor[];
  /** `__metadata__` pairs (unique keys), or null for no metadata entry. */
  metadata: [string, string][] | null;
  bytes: Uint8Array;
  /** Length of the JSON header in bytes (after the 8-byte length). */
  headerLength: number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const bitsToF32 = (bits: number) => ((u32[0] = bits >>> 0), f32[0]);

/** IEEE half to float32 through the float32 bit pattern (exact: every half is a float32). */
export function halfBits(h: number): number {
  const sign = h >> 15;
  const exp = (h >> 10) & 31;
  const frac = h & 1023;
  if (exp === 0) return (sign ? -1 : 1) * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign ? -Infinity : Infinity;
  return bitsToF32((sign << 31) | ((exp - 15 + 127) << 23) | (frac << 13));
}

/** Tensor names: any Unicode, JSON-special characters, lone surrogates and prototype names. */
export const tensorName: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 6, arbitrary: fc.string({ unit: "binary", maxLength: 10 }) },
    { weight: 2, arbitrary: fc.string({ unit: fc.constantFrom("a", ".", "0", '"', "\\", "\u0000", "\n", "\uD800", "\uDC00", "é", "😀"), maxLength: 6 }) },
    { weight: 1, arbitrary: fc.constantFrom("__proto__", "constructor", "toString", "hasOwnProperty", "", "blocks.0.attn.qkv.weight", "optimizer.x") },
  )
  .filter((n) => n !== "__metadata__");

/** One value of a dtype: [how it is written, what the reader returns]. */
function valueOf(dtype: SafeDtype): fc.Arbitrary<{ write: (v: DataView, at: number) => void; expected: number }> {
  switch (dtype) {
    case "F32":
      return fc.float().map((x) => ({ write: (v, at) => v.setFloat32(at, x, true), expected: Math.fround(x) }));
    case "F64":
      return fc.double().map((x) => ({ write: (v, at) => v.setFloat64(at, x, true), expected: Math.fround(x) }));
    case "F16":
      return fc.integer({ min: 0, max: 0xffff }).map((h) => ({ write: (v, at) => v.setUint16(at, h, true), expected: halfBits(h) }));
    case "BF16":
      return fc.integer({ min: 0, max: 0xffff }).map((h) => ({ write: (v, at) => v.setUint16(at, h, true), expected: bitsToF32(h << 16) }));
    case "I64":
      return fc.integer().map((x) => ({ write: (v, at) => v.setBigInt64(at, BigInt(x), true), expected: x }));
    case "I32":
      return fc.integer().map((x) => ({ write: (v, at) => v.setInt32(at, x, true), expected: x }));
    case "I16":
      return fc.integer({ min: -32768, max: 32767 }).map((x) => ({ write: (v, at) => v.setInt16(at, x, true), expected: x }));
    case "I8":
      return fc.integer({ min: -128, max: 127 }).map((x) => ({ write: (v, at) => v.setInt8(at, x), expected: x }));
    case "U8":
      return fc.integer({ min: 0, max: 255 }).map((x) => ({ write: (v, at) => v.setUint8(at, x), expected: x }));
    case "BOOL":
      return fc.integer({ min: 0, max: 1 }).map((x) => ({ write: (v, at) => v.setUint8(at, x), expected: x }));
  }
}

export const shapeArb: fc.Arbitrary<number[]> = fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 4 }).filter((s) => s.reduce((a, d) => a * d, 1) <= 48);

export function tensorBody(name: string): fc.Arbitrary<GenTensor> {
  return fc.record({ dtype: fc.constantFrom(...DTYPES), shape: shapeArb }).chain(({ dtype, shape }) => {
    const count = shape.reduce((a, d) => a * d, 1);
    return fc.array(valueOf(dtype), { minLength: count, maxLength: count }).map((values) => {
      const bytes = new Uint8Array(count * DTYPE_BYTES[dtype]);
      const view = new DataView(bytes.buffer);
      values.forEach((v, i) => v.write(view, i * DTYPE_BYTES[dtype]));
      return { name, dtype, shape, bytes, expected: values.map((v) => v.expected) };
    });
  });
}

export const metadataArb: fc.Arbitrary<[string, string][] | null> = fc.option(
  fc.uniqueArray(fc.tuple(fc.oneof(tensorName, fc.constant("__proto__")), fc.string({ unit: "binary", maxLength: 12 })), {
    maxLength: 4,
    selector: (p) => p[0],
  }),
);

/** Writes a file: header entries in the given order, data in `dataOrder`, `padding` spaces after the JSON. */
export function encodeFile(
  tensors: GenTensor[],
  metadata: [string, string][] | null,
  { dataOrder = tensors.map((_, i) => i), metadataAt = 0, padding = 0 }: { dataOrder?: number[]; metadataAt?: number; padding?: number } = {},
): GenFile {
  const offsets = new Map<number, [number, number]>();
  let cursor = 0;
  for (const i of dataOrder) {
    offsets.set(i, [cursor, cursor + tensors[i].bytes.length]);
    cursor += tensors[i].bytes.length;
  }
  const parts = tensors.map((t, i) => `${jsonText(t.name)}:${jsonText({ dtype: t.dtype, shape: t.shape, data_offsets: offsets.get(i) })}`);
  if (metadata) {
    const meta = `"__metadata__":{${metadata.map(([k, v]) => `${jsonText(k)}:${jsonText(v)}`).join(",")}}`;
    parts.splice(metadataAt % (parts.length + 1), 0, meta);
  }
  const header = new TextEncoder().encode(`{${parts.join(",")}}${" ".repeat(padding)}`);
  const bytes = new Uint8Array(8 + header.length + cursor);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(header.length), true);
  bytes.set(header, 8);
  for (const i of dataOrder) bytes.set(tensors[i].bytes, 8 + header.length + offsets.get(i)![0]);
  return { tensors, metadata, bytes, headerLength: header.length };
}

/** A valid file: up to `maxTensors` tensors of any dtype, optional metadata, shuffled data order, padding. */
export function validFile(maxTensors = 5): fc.Arbitrary<GenFile> {
  return fc
    .uniqueArray(tensorName, { maxLength: maxTensors })
    .chain((names) =>
      fc.record({
        tensors: fc.tuple(...names.map(tensorBody)),
        metadata: metadataArb,
        order: fc.shuffledSubarray(
          names.map((_, i) => i),
          { minLength: names.length, maxLength: names.length },
        ),
        metadataAt: fc.nat(),
        padding: fc.integer({ min: 0, max: 9 }),
      }),
    )
    .map(({ tensors, metadata, order, metadataAt, padding }) => encodeFile(tensors, metadata, { dataOrder: order, metadataAt, padding }));
}

/** Writes a header object (already JSON-shaped, may hold deepArray markers) in front of `data`; `length` overrides the length field. */
export function fileFromHeader(header: unknown, data: Uint8Array, length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(jsonText(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

/** The header length field and the parsed header of a file the reader accepted. */
export function headerOf(bytes: Uint8Array): { length: number; header: Record<string, unknown> } {
  const length = Number(new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + length))) as Record<string, unknown>;
  return { length, header };
}
