// The safetensors format, read and written in plain TypeScript (no DOM, no Node):
//   bytes [0, 8)      N, unsigned 64-bit little-endian: length of the JSON header
//   bytes [8, 8+N)    UTF-8 JSON header {name: {dtype, shape, data_offsets}, __metadata__?}
//   bytes [8+N, EOF)  the data buffer, little-endian, row-major; offsets relative to it
// Reading validates everything before any tensor is returned (header length, JSON,
// dtypes, shapes against sizes, offsets inside the buffer, no overlaps or gaps), so a
// truncated, oversized or malformed file gets a SafetensorsError and never a partial load.
// The bytes may be any Uint8Array view, a Node Buffer included (fs.readFileSync's result may
// sit at any offset of a shared pool): reads go through the view's own byteOffset.
// tfjs has no 64-bit integers: I64 tensors (indices, counts, BatchNorm
// num_batches_tracked) are read into Int32Array and refused if a value does not fit.
import { previewJson, setOwn } from "./untrusted-json.js";

export type SafeDtype = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "I16" | "I8" | "U8" | "BOOL";

/** What tfjs can hold: float32 or int32 values. */
export type TensorValues = Float32Array | Int32Array;

export interface SafeTensor {
  /** The dtype stored in the file; `data` is converted to float32 or int32. */
  dtype: SafeDtype;
  shape: number[];
  data: TensorValues;
}

export interface SafetensorsFile {
  /** Tensors by name, in the order of their data offsets. */
  tensors: Map<string, SafeTensor>;
  /** The optional `__metadata__` string map. */
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SafetensorsError";
  }
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1 };
/** Header larger than this is refused as corrupt (the reference implementation uses 100 MB). */
const MAX_HEADER_BYTES = 100_000_000;

interface HeaderEntry {
  name: string;
  dtype: SafeDtype;
  shape: number[];
  begin: number;
  end: number;
}

function fail(what: string, source: string): never {
  throw new SafetensorsError(`${source}: ${what}`);
}

/**
 * The header length N from the first 8 bytes of a file of `fileSize` bytes, checked
 * against the limit and the file size before anything else is read or allocated.
 */
export function safetensorsHeaderLength(prefix: Uint8Array, fileSize: number, source = "safetensors file"): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    fail(`file is ${fileSize} bytes, shorter than the 8-byte header length (truncated or not a safetensors file)`, source);
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) fail(`header length ${n} exceeds ${MAX_HEADER_BYTES} bytes (corrupt file or not safetensors)`, source);
  const headerLength = Number(n);
  if (8 + headerLength > fileSize) {
    fail(`header length ${headerLength} runs past the end of the ${fileSize}-byte file (truncated download?)`, source);
  }
  return headerLength;
}

/**
 * Parses and validates the header; returns entries sorted by offset and the data start.
 * `bytes` holds at least the first 8+N bytes of a file of `fileSize` bytes: the header is
 * checked against the size alone, so a large file's header can be read without its data.
 */
function parseHeader(bytes: Uint8Array, source: string, fileSize = bytes.byteLength): { entries: HeaderEntry[]; metadata: Record<string, string>; dataStart: number } {
  const headerLength = safetensorsHeaderLength(bytes, fileSize, source);
  if (bytes.byteLength < 8 + headerLength) fail(`only ${bytes.byteLength} of the header's ${8 + headerLength} bytes were given`, source);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (error) {
    fail(`header is not valid UTF-8 JSON (${(error as Error).message})`, source);
  }
  if (header === null || typeof header !== "object" || Array.isArray(header)) fail("header is not a JSON object", source);
  const dataStart = 8 + headerLength;
  const dataLength = fileSize - dataStart;
  const metadata: Record<string, string> = {};
  const entries: HeaderEntry[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    const quoted = previewJson(name);
    if (name === "__metadata__") {
      if (value === null || typeof value !== "object" || Array.isArray(value)) fail("__metadata__ is not an object of strings", source);
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        if (typeof v !== "string") fail(`__metadata__.${k.length > 80 ? `${k.slice(0, 80)}…` : k} is not a string`, source);
        setOwn(metadata, k, v);
      }
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== "object" || Array.isArray(info)) fail(`entry ${quoted} is not an object`, source);
    if (typeof info.dtype !== "string" || !Object.hasOwn(BYTES, info.dtype)) fail(`tensor ${quoted} has unknown dtype ${previewJson(info.dtype)}`, source);
    const dtype = info.dtype as SafeDtype;
    if (!Array.isArray(info.shape) || !info.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`tensor ${quoted} has an invalid shape ${previewJson(info.shape)}`, source);
    }
    const shape = info.shape as number[];
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`tensor ${quoted} has invalid data_offsets ${previewJson(offsets)}`, source);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) fail(`tensor ${quoted} ends (${end}) before it begins (${begin})`, source);
    // The product of safe integers can exceed 2^53 and round; any such product is larger
    // than a safe-integer span, so the comparison below still refuses it.
    const expected = shape.reduce((a, d) => a * d, 1) * BYTES[dtype];
    if (end - begin !== expected) {
      fail(`tensor ${quoted} spans ${end - begin} bytes but ${dtype} ${previewJson(shape)} needs ${expected}`, source);
    }
    if (end > dataLength) fail(`tensor ${quoted} ends at byte ${end} of a ${dataLength}-byte data buffer (truncated file)`, source);
    entries.push({ name, dtype, shape, begin, end });
  }
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const e of entries) {
    if (e.begin < cursor) fail(`tensor ${previewJson(e.name)} overlaps the previous tensor (offset ${e.begin} < ${cursor})`, source);
    if (e.begin > cursor) fail(`gap in the data buffer before tensor ${previewJson(e.name)} (bytes ${cursor}..${e.begin})`, source);
    cursor = e.end;
  }
  if (cursor !== dataLength) fail(`${dataLength - cursor} bytes after the last tensor (oversized or corrupt file)`, source);
  return { entries, metadata, dataStart };
}

/** Whether this machine stores numbers little-endian, as safetensors does (every platform tfjs runs on). */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * Decodes one tensor from `data` (the data buffer: a view that starts at byte 8+N of the file).
 * `data` is often a view into a larger ArrayBuffer: a Node Buffer from fs.readFileSync or
 * Buffer.from can sit at any offset of a shared pool, and any subarray has its own byteOffset.
 * So every read goes through the view's own byteOffset, never through `data.buffer` from 0;
 * and nothing relies on `slice()` to copy (on a Node Buffer it returns a view).
 */
function decode(data: Uint8Array, e: HeaderEntry, source: string): TensorValues {
  const count = (e.end - e.begin) / BYTES[e.dtype];
  const offset = data.byteOffset + e.begin; // of the tensor's first byte in data.buffer
  if (LITTLE_ENDIAN && (e.dtype === "F32" || e.dtype === "I32")) {
    // A typed-array view needs a 4-byte-aligned offset. Aligned: view the bytes and copy them
    // (a tensor never aliases the caller's bytes). Misaligned: copy the bytes into a fresh,
    // aligned buffer and view that.
    if (offset % 4 === 0) {
      return e.dtype === "F32" ? new Float32Array(data.buffer, offset, count).slice() : new Int32Array(data.buffer, offset, count).slice();
    }
    const copy = new Uint8Array(e.end - e.begin);
    copy.set(data.subarray(e.begin, e.end));
    return e.dtype === "F32" ? new Float32Array(copy.buffer) : new Int32Array(copy.buffer);
  }
  const view = new DataView(data.buffer, offset, e.end - e.begin);
  switch (e.dtype) {
    case "F32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case "F64": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case "F16":
    case "BF16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = e.dtype === "F16" ? halfToFloat(view.getUint16(i * 2, true)) : bfloatToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case "I64": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) {
        const v = view.getBigInt64(i * 8, true);
        if (v > 2147483647n || v < -2147483648n) fail(`tensor ${previewJson(e.name)} holds ${v}, outside the int32 range tfjs supports`, source);
        out[i] = Number(v);
      }
      return out;
    }
    case "I32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case "I16": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt16(i * 2, true);
      return out;
    }
    case "I8":
      return Int32Array.from(new Int8Array(data.buffer, offset, count));
    case "U8":
    case "BOOL":
      return Int32Array.from(data.subarray(e.begin, e.end));
  }
}

/** No lone surrogates (String.prototype.isWellFormed, which ES2022 typings lack). */
function isWellFormed(text: string): boolean {
  return !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

function bfloatToFloat(b: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setUint32(0, b << 16, false);
  return buf.getFloat32(0, false);
}

/**
 * Reads a whole safetensors file. `source` names the file in error messages.
 * Throws SafetensorsError on any inconsistency; never returns part of a file.
 */
export function readSafetensors(bytes: Uint8Array, source = "safetensors file"): SafetensorsFile {
  const { entries, metadata, dataStart } = parseHeader(bytes, source);
  const data = bytes.subarray(dataStart);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(data, e, source) });
  return { tensors, metadata };
}

/**
 * Each tensor's name, stored dtype, shape and raw bytes (a view into `bytes`), in the
 * order of their data offsets; validated like readSafetensors, nothing decoded.
 */
export function safetensorsRawTensors(bytes: Uint8Array, source = "safetensors file"): { name: string; dtype: SafeDtype; shape: number[]; bytes: Uint8Array }[] {
  const { entries, dataStart } = parseHeader(bytes, source);
  return entries.map(({ name, dtype, shape, begin, end }) => ({ name, dtype, shape, bytes: bytes.subarray(dataStart + begin, dataStart + end) }));
}

export interface SafetensorsListing {
  entries: { name: string; dtype: SafeDtype; shape: number[] }[];
  metadata: Record<string, string>;
}

/** Lists names, dtypes and shapes without decoding the data (still fully validated). */
export function inspectSafetensors(bytes: Uint8Array, source = "safetensors file"): SafetensorsListing {
  return inspectSafetensorsHeader(bytes, bytes.byteLength, source);
}

/**
 * The same listing from a file's first 8+N bytes (see safetensorsHeaderLength) and its size,
 * for a file too large to read whole: the header is validated against the size, the data
 * is not read (so values, e.g. an I64 outside the int32 range, are not checked).
 */
export function inspectSafetensorsHeader(headerBytes: Uint8Array, fileSize: number, source = "safetensors file"): SafetensorsListing {
  const { entries, metadata } = parseHeader(headerBytes, source, fileSize);
  return { entries: entries.map(({ name, dtype, shape }) => ({ name, dtype, shape })), metadata };
}

export interface TensorToWrite {
  /** F32 for float data, I64 for int32 data that the reader of the file expects as int64 (torch indices, counts), I32 otherwise. */
  dtype: "F32" | "I64" | "I32";
  shape: number[];
  data: ArrayLike<number>;
}

const WRITABLE: readonly string[] = ["F32", "I64", "I32"] satisfies TensorToWrite["dtype"][];

/**
 * Serialises tensors (in the given order; 8-byte dtypes first so every tensor is
 * aligned to its element size) and string metadata to safetensors bytes.
 */
export function writeSafetensors(tensors: Record<string, TensorToWrite> | Map<string, TensorToWrite>, metadata: Record<string, string> = {}): Uint8Array {
  const list = [...(tensors instanceof Map ? tensors.entries() : Object.entries(tensors))];
  for (const [name, t] of list) {
    if (name === "__metadata__") throw new SafetensorsError(`"__metadata__" cannot be a tensor name`);
    if (!isWellFormed(name)) throw new SafetensorsError(`tensor name ${previewJson(name)} is not well-formed Unicode (a lone surrogate): other safetensors readers refuse such a header`);
    if (!WRITABLE.includes(t.dtype)) throw new SafetensorsError(`tensor ${previewJson(name)}: cannot write dtype ${previewJson(t.dtype)} (F32, I32 or I64)`);
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new SafetensorsError(`tensor ${previewJson(name)}: shape ${previewJson(t.shape)} is not a list of non-negative integers`);
    }
    const count = t.shape.reduce((a, d) => a * d, 1);
    if (count !== t.data.length) throw new SafetensorsError(`tensor ${previewJson(name)}: shape ${previewJson(t.shape)} holds ${count} values, got ${t.data.length}`);
  }
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== "string") throw new SafetensorsError(`metadata ${previewJson(k)} is not a string`);
    if (!isWellFormed(k) || !isWellFormed(v)) throw new SafetensorsError(`metadata ${previewJson(k)} is not well-formed Unicode (a lone surrogate)`);
  }
  const ordered = [...list.filter(([, t]) => BYTES[t.dtype] === 8), ...list.filter(([, t]) => BYTES[t.dtype] !== 8)];
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of ordered) {
    const size = t.data.length * BYTES[t.dtype];
    setOwn(header, name, { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + size] });
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil((8 + json.length) / 8) * 8 - 8;
  if (padded > json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const [, t] of ordered) {
    for (let i = 0; i < t.data.length; i++) {
      if (t.dtype === "F32") view.setFloat32(at + i * 4, t.data[i], true);
      else if (t.dtype === "I32") view.setInt32(at + i * 4, t.data[i], true);
      else view.setBigInt64(at + i * 8, BigInt(Math.trunc(t.data[i])), true);
    }
    at += t.data.length * BYTES[t.dtype];
  }
  return out;
}
