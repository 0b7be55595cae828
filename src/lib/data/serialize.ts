// A compact binary form of an AUDataset (for on-disk and IndexedDB caches and
// for shipping a generated set to a page): a JSON header followed by the raw
// arrays, with an FNV-1a checksum so a damaged cache entry is detected.
//
// Layout: "MAUD" | u32 format version | u32 header bytes | header JSON (UTF-8)
//         | zero padding to a multiple of 4 | payload | 8-byte checksum (hex digits as ASCII, 16 bytes)
import type { AUDataset } from "./dataset.js";
import { Fnv1a64 } from "./hash.js";

const MAGIC = [0x4d, 0x41, 0x55, 0x44]; // "MAUD"
const FORMAT_VERSION = 1;

interface Header {
  name: string;
  size: number;
  n: number;
  aus: number[];
  occurrenceThreshold: number | null;
  subjects: string[];
  folds: number;
  paths: string[] | null;
  source: AUDataset["source"];
  hasIntensities: boolean;
}

function int32Bytes(a: Int32Array): Uint8Array {
  const out = new Uint8Array(a.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) dv.setInt32(i * 4, a[i], true);
  return out;
}

function readInt32(bytes: Uint8Array, offset: number, n: number): Int32Array {
  const dv = new DataView(bytes.buffer, bytes.byteOffset + offset, n * 4);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = dv.getInt32(i * 4, true);
  return out;
}

export function serializeDataset(ds: AUDataset): Uint8Array {
  const n = ds.subject.length;
  const header: Header = {
    name: ds.name,
    size: ds.size,
    n,
    aus: ds.aus,
    occurrenceThreshold: ds.occurrenceThreshold,
    subjects: ds.subjects,
    folds: ds.folds,
    paths: ds.paths,
    source: ds.source,
    hasIntensities: ds.intensities !== null,
  };
  const json = new TextEncoder().encode(JSON.stringify(header));
  const pad = (4 - ((12 + json.length) % 4)) % 4;
  const parts: Uint8Array[] = [
    ds.images,
    ds.labels,
    ...(ds.intensities ? [ds.intensities] : []),
    int32Bytes(ds.subject),
    int32Bytes(ds.sequence),
    int32Bytes(ds.frame),
    new Uint8Array(ds.fold.buffer, ds.fold.byteOffset, ds.fold.length),
  ];
  const payload = parts.reduce((s, p) => s + p.length, 0);
  const out = new Uint8Array(12 + json.length + pad + payload + 16);
  out.set(MAGIC, 0);
  const dv = new DataView(out.buffer);
  dv.setUint32(4, FORMAT_VERSION, true);
  dv.setUint32(8, json.length, true);
  out.set(json, 12);
  let o = 12 + json.length + pad;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  const sum = new Fnv1a64().update(out.subarray(0, o)).hex();
  out.set(new TextEncoder().encode(sum), o);
  return out;
}

export function deserializeDataset(bytes: Uint8Array, what = "dataset blob"): AUDataset {
  if (bytes.length < 28 || MAGIC.some((m, i) => bytes[i] !== m)) throw new Error(`${what}: not a MaskAU dataset (bad magic)`);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = dv.getUint32(4, true);
  if (version !== FORMAT_VERSION) throw new Error(`${what}: format version ${version}, this build reads ${FORMAT_VERSION}`);
  const sumAt = bytes.length - 16;
  const stored = new TextDecoder().decode(bytes.subarray(sumAt));
  const actual = new Fnv1a64().update(bytes.subarray(0, sumAt)).hex();
  if (stored !== actual) throw new Error(`${what}: checksum mismatch (stored ${stored}, computed ${actual}); the file is damaged`);
  const hlen = dv.getUint32(8, true);
  const h = JSON.parse(new TextDecoder().decode(bytes.subarray(12, 12 + hlen))) as Header;
  let o = 12 + hlen + ((4 - ((12 + hlen) % 4)) % 4);
  const take = (len: number) => {
    const s = bytes.slice(o, o + len);
    o += len;
    return s;
  };
  const A = h.aus.length;
  const images = take(h.n * h.size * h.size * 3);
  const labels = take(h.n * A);
  const intensities = h.hasIntensities ? take(h.n * A) : null;
  const subject = readInt32(bytes, o, h.n);
  o += h.n * 4;
  const sequence = readInt32(bytes, o, h.n);
  o += h.n * 4;
  const frame = readInt32(bytes, o, h.n);
  o += h.n * 4;
  const foldBytes = take(h.n);
  if (o !== sumAt) throw new Error(`${what}: payload is ${sumAt - o} bytes longer than its header describes`);
  return {
    name: h.name,
    size: h.size,
    images,
    aus: h.aus,
    labels,
    intensities,
    occurrenceThreshold: h.occurrenceThreshold,
    subjects: h.subjects,
    subject,
    sequence,
    frame,
    fold: new Int8Array(foldBytes.buffer, foldBytes.byteOffset, foldBytes.length),
    folds: h.folds,
    paths: h.paths,
    source: h.source,
  };
}
