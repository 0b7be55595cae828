// Readers given Node Buffers. fs.readFileSync returns a Buffer, and a small Buffer (from
// Buffer.from, Buffer.concat or a small file) is a view at some offset of a shared 8 KiB
// pool, often not aligned to 4 bytes; a Buffer's slice() is a view too, not a copy.
// Reading such bytes through `.buffer` from offset 0 reads the wrong bytes (once the
// whole file header) without any error, so every reader is checked here on Buffers at
// every alignment against the same bytes in a plain Uint8Array.
import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { indexedDbDatasetCache } from "../../../src/lib/data/cache-indexeddb.js";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { readSafetensors, writeSafetensors, type SafeTensor, type TensorToWrite } from "../../../src/lib/io/safetensors.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";
import { createResNet, RESNET_PRESETS } from "../../../src/lib/models/resnet.js";
import { useBackend } from "../tf/backends.js";

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "../../..");
const SHIPPED_MAE = join(repoRoot, "src/checkpoints/mae-tiny.safetensors");
const dir = mkdtempSync(join(tmpdir(), "maskau-buffer-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A Node Buffer holding `bytes` at byte `shift` of a larger ArrayBuffer whose other bytes are junk. */
function bufferAt(bytes: Uint8Array, shift: number): Buffer {
  const backing = new Uint8Array(bytes.length + shift + 8).fill(0xab);
  backing.set(bytes, shift);
  return Buffer.from(backing.buffer, shift, bytes.length);
}

/** Bitwise equality of two decoded files (Object.is: NaN equals NaN, -0 differs from 0). */
function expectSameTensors(got: Map<string, SafeTensor>, want: Map<string, SafeTensor>): void {
  expect([...got.keys()]).toEqual([...want.keys()]);
  for (const [name, w] of want) {
    const g = got.get(name)!;
    expect(g.dtype, name).toBe(w.dtype);
    expect(g.shape, name).toEqual(w.shape);
    expect(g.data.constructor, name).toBe(w.data.constructor);
    expect(g.data.length, name).toBe(w.data.length);
    let bad = -1;
    for (let i = 0; i < w.data.length && bad < 0; i++) if (!Object.is(g.data[i], w.data[i])) bad = i;
    expect(bad, `${name}: first differing element`).toBe(-1);
  }
}

/**
 * A small file holding every dtype the reader decodes, laid out by hand (the writer only
 * writes F32, I64 and I32): F64, I64, F32, I32, F16, BF16, I16, I8, U8, BOOL, with the
 * values each should decode to.
 */
function everyDtypeFile(): { bytes: Uint8Array; expected: Map<string, { dtype: string; data: number[] }> } {
  const parts: { name: string; dtype: string; size: number; values: number[]; write: (v: DataView, at: number, x: number) => void }[] = [
    { name: "f64", dtype: "F64", size: 8, values: [1.5, -2.25e-3], write: (v, at, x) => v.setFloat64(at, x, true) },
    { name: "i64", dtype: "I64", size: 8, values: [-2147483648, 2147483647], write: (v, at, x) => v.setBigInt64(at, BigInt(x), true) },
    { name: "f32", dtype: "F32", size: 4, values: [0.1, -3e30, 7], write: (v, at, x) => v.setFloat32(at, x, true) },
    { name: "i32", dtype: "I32", size: 4, values: [-5, 123456789], write: (v, at, x) => v.setInt32(at, x, true) },
    { name: "f16", dtype: "F16", size: 2, values: [0x3e00, 0xc000], write: (v, at, x) => v.setUint16(at, x, true) }, // 1.5, -2
    { name: "bf16", dtype: "BF16", size: 2, values: [0x3fc0, 0xc080], write: (v, at, x) => v.setUint16(at, x, true) }, // 1.5, -4
    { name: "i16", dtype: "I16", size: 2, values: [-300, 300], write: (v, at, x) => v.setInt16(at, x, true) },
    { name: "i8", dtype: "I8", size: 1, values: [-128, 5, 127], write: (v, at, x) => v.setInt8(at, x) },
    { name: "u8", dtype: "U8", size: 1, values: [0, 255], write: (v, at, x) => v.setUint8(at, x) },
    { name: "flag", dtype: "BOOL", size: 1, values: [1, 0], write: (v, at, x) => v.setUint8(at, x) },
  ];
  const header: Record<string, unknown> = { __metadata__: { note: "every dtype" } };
  let offset = 0;
  for (const p of parts) {
    header[p.name] = { dtype: p.dtype, shape: [p.values.length], data_offsets: [offset, offset + p.size * p.values.length] };
    offset += p.size * p.values.length;
  }
  const json = new TextEncoder().encode(JSON.stringify(header));
  const bytes = new Uint8Array(8 + json.length + offset);
  const view = new DataView(bytes.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  bytes.set(json, 8);
  let at = 8 + json.length;
  for (const p of parts) {
    p.values.forEach((x, i) => p.write(view, at + i * p.size, x));
    at += p.size * p.values.length;
  }
  const decoded: Record<string, number[]> = {
    f64: [1.5, Math.fround(-2.25e-3)],
    f32: [Math.fround(0.1), Math.fround(-3e30), 7],
    f16: [1.5, -2],
    bf16: [1.5, -4],
  };
  const expected = new Map(parts.map((p) => [p.name, { dtype: p.dtype, data: decoded[p.name] ?? p.values }]));
  return { bytes, expected };
}

describe("safetensors from a Node Buffer", () => {
  it("reads the shipped MAE checkpoint from fs.readFileSync exactly as from a plain Uint8Array, at every alignment", () => {
    const file = readFileSync(SHIPPED_MAE);
    const plain = readSafetensors(new Uint8Array(file));
    expect(plain.tensors.size).toBeGreaterThan(50);
    expectSameTensors(readSafetensors(file).tensors, plain.tensors);
    expect(readSafetensors(file).metadata).toEqual(plain.metadata);
    for (let shift = 0; shift < 8; shift++) expectSameTensors(readSafetensors(bufferAt(file, shift)).tensors, plain.tensors);
    // A Buffer's own subarray of a larger Buffer (one byte in front: misaligned).
    const prefixed = Buffer.concat([Buffer.from([0x42]), file]).subarray(1);
    expect(prefixed.byteOffset % 4).not.toBe(0);
    expectSameTensors(readSafetensors(prefixed).tensors, plain.tensors);
  });

  it("reads a small pooled Buffer (non-zero, misaligned byteOffset) for every dtype", () => {
    const { bytes, expected } = everyDtypeFile();
    const check = (b: Uint8Array) => {
      const { tensors, metadata } = readSafetensors(b);
      expect(metadata).toEqual({ note: "every dtype" });
      for (const [name, e] of expected) {
        const t = tensors.get(name)!;
        expect(t.dtype, name).toBe(e.dtype);
        expect(Array.from(t.data), name).toEqual(e.data);
      }
    };
    check(bytes);
    // Small Buffers come from Node's shared pool: Buffer.from copies into it at the pool's cursor.
    const pooled = Buffer.from(bytes);
    expect(pooled.buffer.byteLength).toBeGreaterThan(bytes.length);
    check(pooled);
    const misaligned = Buffer.concat([Buffer.from([1]), Buffer.from(bytes)]).subarray(1);
    expect(misaligned.byteOffset % 4).not.toBe(0);
    check(misaligned);
    for (let shift = 0; shift < 8; shift++) check(bufferAt(bytes, shift));
    // The same through a file: what a user of the CLI or loadMae passes.
    const path = join(dir, "every-dtype.safetensors");
    writeFileSync(path, bytes);
    check(readFileSync(path));
  });

  it("returns copies: the tensors do not alias the Buffer they were read from", () => {
    const bytes = writeSafetensors({ w: { dtype: "F32", shape: [3], data: [1, 2, 3] }, n: { dtype: "I32", shape: [2], data: [4, 5] } });
    const buffer = bufferAt(bytes, 4); // aligned: the reader may view the bytes directly, then copies
    const { tensors } = readSafetensors(buffer);
    buffer.fill(0);
    expect(Array.from(tensors.get("w")!.data)).toEqual([1, 2, 3]);
    expect(Array.from(tensors.get("n")!.data)).toEqual([4, 5]);
  });
});

describe("checkpoints from a Node Buffer", () => {
  it("decodeCheckpoint and loadMae give the same tensors from fs.readFileSync as from a copy", async () => {
    await useBackend("cpu");
    const file = readFileSync(SHIPPED_MAE);
    const plain = decodeCheckpoint(new Uint8Array(file), "plain");
    for (const bytes of [file, bufferAt(file, 3)]) {
      const ckpt = decodeCheckpoint(bytes, "buffer");
      expect(ckpt.meta).toEqual(plain.meta);
      expect([...ckpt.tensors.keys()]).toEqual([...plain.tensors.keys()]);
      for (const [name, t] of plain.tensors) expect(ckpt.tensors.get(name)!.data, name).toEqual(t.data);
    }
    const fromBuffer = loadMae(bufferAt(file, 1), { source: "mae-tiny.safetensors" });
    const fromCopy = loadMae(new Uint8Array(file), { source: "mae-tiny.safetensors" });
    const a = await fromBuffer.mae.params.stateDict();
    const b = await fromCopy.mae.params.stateDict();
    expect([...a.keys()]).toEqual([...b.keys()]);
    for (const [name, t] of b) expect(a.get(name)!.data, name).toEqual(t.data);
    fromBuffer.mae.dispose();
    fromCopy.mae.dispose();
  });
});

/**
 * torchvision's resnet18().state_dict() names, shapes and order, written from torchvision's
 * construction rules (BasicBlock, layers [2, 2, 2, 2], widths 64..512, a 1x1 downsample when
 * the stride or width changes; fc last), not from MaskAU's model.
 */
function torchvisionResnet18Names(): { name: string; shape: number[]; int64: boolean }[] {
  const out: { name: string; shape: number[]; int64: boolean }[] = [];
  const bn = (prefix: string, c: number) => {
    for (const k of ["weight", "bias", "running_mean", "running_var"]) out.push({ name: `${prefix}.${k}`, shape: [c], int64: false });
    out.push({ name: `${prefix}.num_batches_tracked`, shape: [], int64: true });
  };
  out.push({ name: "conv1.weight", shape: [64, 3, 7, 7], int64: false });
  bn("bn1", 64);
  let inplanes = 64;
  [64, 128, 256, 512].forEach((planes, s) => {
    for (let b = 0; b < 2; b++) {
      const p = `layer${s + 1}.${b}`;
      const stride = b === 0 && s > 0 ? 2 : 1;
      out.push({ name: `${p}.conv1.weight`, shape: [planes, inplanes, 3, 3], int64: false });
      bn(`${p}.bn1`, planes);
      out.push({ name: `${p}.conv2.weight`, shape: [planes, planes, 3, 3], int64: false });
      bn(`${p}.bn2`, planes);
      if (stride !== 1 || inplanes !== planes) {
        out.push({ name: `${p}.downsample.0.weight`, shape: [planes, inplanes, 1, 1], int64: false });
        bn(`${p}.downsample.1`, planes);
      }
      inplanes = planes;
    }
  });
  out.push({ name: "fc.weight", shape: [1000, 512], int64: false });
  out.push({ name: "fc.bias", shape: [1000], int64: false });
  return out;
}

describe("a torchvision ResNet-18 state_dict through safetensors and a Buffer", () => {
  it("loads by name into the resnet18 preset: no missing, unexpected or mis-shaped keys, every value in place", async () => {
    await useBackend("cpu");
    const before = tf.memory().numTensors;
    const entries = torchvisionResnet18Names();
    expect(entries.length).toBe(122); // len(torchvision.models.resnet18().state_dict())
    // Distinct, position-dependent values per tensor, so a misread or mismatched tensor shows.
    const tensors = new Map<string, TensorToWrite>();
    entries.forEach(({ name, shape, int64 }, k) => {
      const n = shape.reduce((a, d) => a * d, 1);
      if (int64) tensors.set(name, { dtype: "I64", shape, data: Int32Array.from([1000 + k]) });
      else tensors.set(name, { dtype: "F32", shape, data: Float32Array.from({ length: n }, (_, i) => k + ((i * 7919) % 10007) / 10007) });
    });
    // As safetensors.torch.save_file writes it (no MaskAU metadata), then read back from disk.
    const path = join(dir, "resnet18.safetensors");
    writeFileSync(path, writeSafetensors(tensors));
    const file = readFileSync(path);
    for (const bytes of [file, Buffer.concat([Buffer.from([0]), file]).subarray(1)]) {
      const ckpt = decodeCheckpoint(bytes, "resnet18.safetensors");
      expect(ckpt.meta).toBeNull();
      expect([...ckpt.tensors.keys()].sort()).toEqual(entries.map((e) => e.name).sort());
      expect(ckpt.dtypes.get("bn1.num_batches_tracked")).toBe("I64");
      const net = createResNet(RESNET_PRESETS.resnet18);
      // With the classifier the backbone refuses the load and names it.
      expect(() => net.params.load(ckpt.tensors, { source: "resnet18.safetensors" })).toThrow(/unexpected 2: fc\.weight, fc\.bias/);
      // ME-GraphAU drops torchvision's fc: the rest loads strictly, by name.
      const backbone = new Map([...ckpt.tensors].filter(([name]) => !name.startsWith("fc.")));
      expect(net.params.load(backbone, { source: "resnet18.safetensors" })).toEqual({ missing: [], unexpected: [], misShaped: [] });
      expect(net.params.names()).toEqual(entries.filter((e) => !e.name.startsWith("fc.")).map((e) => e.name));
      const loaded = await net.params.stateDict();
      for (const [name, t] of loaded) {
        const want = tensors.get(name)!.data as Float32Array | Int32Array;
        expect(t.data.constructor, name).toBe(want.constructor);
        let bad = -1;
        for (let i = 0; i < want.length && bad < 0; i++) if (t.data[i] !== want[i]) bad = i;
        expect(bad, `${name}: first differing element`).toBe(-1);
      }
      net.dispose();
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe("IndexedDB dataset cache from a Node Buffer", () => {
  it("stores exactly the given bytes, not the pool a Buffer view lives in", async () => {
    // A minimal in-memory IndexedDB: requests succeed on the next microtask, values are structured clones.
    const stores = new Map<string, Map<IDBValidKey, unknown>>();
    const request = (result: unknown, before?: () => void) => {
      const r: Record<string, unknown> = { result };
      queueMicrotask(() => {
        before?.();
        (r.onsuccess as (() => void) | undefined)?.();
      });
      return r;
    };
    const db = {
      objectStoreNames: { contains: (n: string) => stores.has(n) },
      createObjectStore: (n: string) => stores.set(n, new Map()),
      // A transaction completes (oncomplete) after its requests.
      transaction: (n: string) => {
        const tx: Record<string, unknown> = {};
        const done = <T>(r: T) => {
          queueMicrotask(() => queueMicrotask(() => (tx.oncomplete as (() => void) | undefined)?.()));
          return r;
        };
        tx.objectStore = () => ({
          put: (v: unknown, k: IDBValidKey) => done(request(stores.get(n)!.set(k, structuredClone(v)) && undefined)),
          get: (k: IDBValidKey) => request(stores.get(n)!.get(k)),
          delete: (k: IDBValidKey) => done(request(stores.get(n)!.delete(k) && undefined)),
        });
        return tx;
      },
    };
    const g = globalThis as { indexedDB?: unknown };
    const previous = g.indexedDB;
    g.indexedDB = {
      open: () => {
        const r: Record<string, unknown> = request(db, () => (r.onupgradeneeded as (() => void) | undefined)?.());
        return r;
      },
    };
    try {
      const cache = await indexedDbDatasetCache("test", "datasets");
      const bytes = Buffer.from([1, 2, 3, 4, 5, 6, 7]);
      expect(bytes.buffer.byteLength).toBeGreaterThan(bytes.length); // a view into the pool
      await cache.put("k", bytes);
      const stored = stores.get("datasets")!.get("k") as ArrayBuffer;
      expect(stored.byteLength).toBe(7);
      expect(Array.from((await cache.get("k"))!)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    } finally {
      g.indexedDB = previous;
    }
  });
});
