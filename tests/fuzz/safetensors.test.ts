// Fuzzing the safetensors reader and writer (src/lib/io/safetensors.ts): generated valid
// files read back exactly; mutated files (bytes flipped, truncated, inserted, deleted;
// header fields replaced with hostile values) either read completely or fail with a
// SafetensorsError naming the file; small files claiming huge sizes are refused at once.
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { inspectSafetensors, readSafetensors, SafetensorsError, writeSafetensors, type SafetensorsFile, type TensorToWrite } from "../../src/lib/io/safetensors.js";
import { byteMutation, deepArray, hostileJson, jsonMutation, mutateBytes, mutateJson } from "./support/mutate.js";
import { DTYPE_BYTES, DTYPES, fileFromHeader, FLOAT_DTYPES, headerOf, tensorName, validFile, type GenFile } from "./support/safetensors-files.js";
import { FUZZ_LABEL, fuzzParams, typedOutcome } from "./support/settings.js";

const SOURCE = "fuzz.safetensors";

/** The generated file's tensors and metadata came back exactly. */
function expectSameFile(file: SafetensorsFile, gen: GenFile): void {
  expect([...file.tensors.keys()].sort()).toEqual(gen.tensors.map((t) => t.name).sort());
  for (const t of gen.tensors) {
    const got = file.tensors.get(t.name)!;
    expect(got.dtype).toBe(t.dtype);
    expect(got.shape).toEqual(t.shape);
    expect(got.data).toBeInstanceOf(FLOAT_DTYPES.has(t.dtype) ? Float32Array : Int32Array);
    expect(got.data.length).toBe(t.expected.length);
    for (let i = 0; i < t.expected.length; i++) {
      if (!Object.is(got.data[i], t.expected[i])) throw new Error(`${JSON.stringify(t.name)}[${i}] (${t.dtype}): read ${got.data[i]}, wrote ${t.expected[i]}`);
    }
  }
  const want = gen.metadata ?? [];
  expect(Object.keys(file.metadata).sort()).toEqual(want.map(([k]) => k).sort());
  for (const [k, v] of want) {
    expect(Object.hasOwn(file.metadata, k)).toBe(true);
    expect(file.metadata[k]).toBe(v);
  }
}

/**
 * A file the reader accepted is complete: one tensor per header entry with its dtype and
 * shape, as many values as the shape holds, and every data byte accounted for.
 */
function expectComplete(bytes: Uint8Array, file: SafetensorsFile): void {
  const { length, header } = headerOf(bytes);
  const names = Object.keys(header).filter((k) => k !== "__metadata__");
  expect([...file.tensors.keys()].sort()).toEqual(names.sort());
  let total = 0;
  for (const [name, t] of file.tensors) {
    const entry = header[name] as { dtype: string; shape: number[] };
    expect(t.dtype).toBe(entry.dtype);
    expect(t.shape).toEqual(entry.shape);
    const count = t.shape.reduce((a, d) => a * d, 1);
    expect(t.data.length).toBe(count);
    total += count * DTYPE_BYTES[t.dtype];
  }
  expect(total).toBe(bytes.length - 8 - length);
  const meta = (header.__metadata__ ?? {}) as Record<string, string>;
  expect(Object.keys(file.metadata).sort()).toEqual(Object.keys(meta).sort());
}

/** readSafetensors on untrusted bytes: a complete file, or a SafetensorsError; inspect agrees. */
function readUntrusted(bytes: Uint8Array): void {
  const read = typedOutcome(() => readSafetensors(bytes, SOURCE), [SafetensorsError], SOURCE);
  const listed = typedOutcome(() => inspectSafetensors(bytes, SOURCE), [SafetensorsError], SOURCE);
  if (read.ok) {
    expectComplete(bytes, read.value);
    expect(listed.ok).toBe(true);
  } else if (!listed.ok) {
    // inspect validates the header only; when it fails, reading fails the same way.
    expect(read.error.message).toBe(listed.error.message);
  }
}

describe(`safetensors fuzzing (${FUZZ_LABEL})`, () => {
  test.prop([validFile()], fuzzParams())("a generated file of any dtypes, shapes and metadata reads back exactly", (gen) => {
    const read = typedOutcome(() => readSafetensors(gen.bytes, SOURCE), [SafetensorsError], SOURCE);
    if (!read.ok) throw read.error;
    expectSameFile(read.value, gen);
    // The same bytes at an odd offset of a larger buffer (as a Node Buffer may sit) read the same.
    const shifted = new Uint8Array(gen.bytes.length + 3);
    shifted.set(gen.bytes, 3);
    expectSameFile(readSafetensors(shifted.subarray(3), SOURCE), gen);
  });

  const writable = fc.uniqueArray(
    fc.tuple(
      tensorName,
      fc.constantFrom<TensorToWrite["dtype"]>("F32", "I32", "I64"),
      fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }),
      fc.nat(),
    ),
    { maxLength: 5, selector: (t) => t[0] },
  );
  const metadataIn = fc.dictionary(fc.oneof(tensorName, fc.constant("__proto__")), fc.string({ unit: "binary", maxLength: 8 }), { maxKeys: 3 });

  test.prop([writable, metadataIn], fuzzParams())("writeSafetensors' output reads back exactly, or the writer refuses with a SafetensorsError", (specs, metadata) => {
    const tensors = new Map<string, TensorToWrite>();
    for (const [name, dtype, shape, seed] of specs) {
      const count = shape.reduce((a, d) => a * d, 1);
      const data = dtype === "F32" ? Float32Array.from({ length: count }, (_, i) => Math.fround(Math.sin(seed + i) * 1e3)) : Int32Array.from({ length: count }, (_, i) => ((seed * 2654435761 + i * 40503) | 0));
      tensors.set(name, { dtype, shape, data });
    }
    const written = typedOutcome(() => writeSafetensors(tensors, metadata), [SafetensorsError]);
    if (!written.ok) return;
    const read = typedOutcome(() => readSafetensors(written.value, SOURCE), [SafetensorsError], SOURCE);
    if (!read.ok) throw new Error(`the writer produced a file the reader refuses: ${read.error.message}`);
    expect([...read.value.tensors.keys()].sort()).toEqual([...tensors.keys()].sort());
    for (const [name, t] of tensors) {
      const got = read.value.tensors.get(name)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(Array.from(got.data)).toEqual(Array.from(t.data));
    }
    expect(Object.keys(read.value.metadata).sort()).toEqual(Object.keys(metadata).sort());
    for (const k of Object.keys(metadata)) expect(read.value.metadata[k]).toBe(metadata[k]);
    // Files for other readers (safetensors' Rust reader, PyTorch): the header is well-formed UTF-8 JSON.
    const { length } = headerOf(written.value);
    expect(new TextDecoder("utf-8", { fatal: true }).decode(written.value.subarray(8, 8 + length))).not.toMatch(/\\ud[89a-f][0-9a-f]{2}/i);
  });

  test.prop([validFile(3), fc.array(byteMutation, { minLength: 1, maxLength: 4 })], fuzzParams())(
    "bytes flipped, overwritten, truncated, inserted or deleted: a complete load or a SafetensorsError",
    (gen, mutations) => readUntrusted(mutateBytes(gen.bytes, mutations)),
  );

  test.prop([validFile(3), fc.array(jsonMutation, { minLength: 1, maxLength: 3 })], fuzzParams())(
    "header fields replaced, deleted or added: a complete load or a SafetensorsError",
    (gen, mutations) => {
      const { length, header } = headerOf(gen.bytes);
      const mutated = mutateJson(header, mutations);
      readUntrusted(fileFromHeader(mutated, gen.bytes.subarray(8 + length)));
    },
  );

  test.prop([fc.uint8Array({ maxLength: 120 }), fc.option(fc.nat())], fuzzParams())("random bytes, with a random or a consistent length field", (bytes, headerLength) => {
    if (headerLength !== null && bytes.length >= 8) new DataView(bytes.buffer).setBigUint64(0, BigInt(headerLength % (bytes.length - 7)), true);
    readUntrusted(bytes);
  });

  const hugeNumber = fc.oneof(fc.constantFrom(2 ** 31, 2 ** 32, 2 ** 40, 2 ** 52, 2 ** 53 - 1, 2 ** 53, 1e300), fc.integer({ min: 2 ** 20, max: 2 ** 52 }));
  test.prop(
    [fc.constantFrom(...DTYPES), fc.array(hugeNumber, { minLength: 1, maxLength: 3 }), hugeNumber, fc.uint8Array({ maxLength: 40 })],
    fuzzParams(),
  )("a small file whose header claims huge shapes or offsets is refused at once, before allocating", (dtype, shape, end, data) => {
    const before = process.memoryUsage().arrayBuffers;
    const start = performance.now();
    const bytes = fileFromHeader({ t: { dtype, shape, data_offsets: [0, end] } }, data);
    const read = typedOutcome(() => readSafetensors(bytes, SOURCE), [SafetensorsError], SOURCE);
    expect(read.ok).toBe(false);
    expect(performance.now() - start).toBeLessThan(200);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
  });

  test.prop([hostileJson, fc.constantFrom("dtype", "shape", "data_offsets", "__metadata__", "entry")], fuzzParams(0.5))(
    "one hostile value in any field of a one-tensor header",
    (value, field) => {
      const entry: Record<string, unknown> = { dtype: "F32", shape: [2], data_offsets: [0, 8] };
      const header: Record<string, unknown> = { w: entry };
      if (field === "entry") header.w = value;
      else if (field === "__metadata__") header.__metadata__ = value;
      else entry[field] = value;
      readUntrusted(fileFromHeader(header, new Uint8Array(8)));
    },
  );
});

describe("huge claims are refused fast", () => {
  /** A 100-byte file: the 8-byte length, a header, the rest data. */
  function hundredBytes(header: unknown, length?: bigint): Uint8Array {
    const json = new TextEncoder().encode(JSON.stringify(header));
    return fileFromHeader(header, new Uint8Array(100 - 8 - json.length), length);
  }

  it("a 100-byte file claiming a 2^40-byte header", () => {
    const start = performance.now();
    expect(() => readSafetensors(hundredBytes({}, 1n << 40n), SOURCE)).toThrow(/header length 1099511627776 exceeds/);
    expect(performance.now() - start).toBeLessThan(50);
  });

  it("a 100-byte file claiming a 2^40-byte tensor", () => {
    const start = performance.now();
    const bytes = hundredBytes({ t: { dtype: "U8", shape: [2 ** 40], data_offsets: [0, 2 ** 40] } });
    expect(bytes.length).toBe(100);
    expect(() => readSafetensors(bytes, SOURCE)).toThrow(SafetensorsError);
    expect(() => readSafetensors(bytes, SOURCE)).toThrow(/ends at byte 1099511627776 of a \d+-byte data buffer/);
    expect(performance.now() - start).toBeLessThan(50);
  });

  it("a header nested 50,000 arrays deep is a SafetensorsError, not a stack overflow", () => {
    const bytes = fileFromHeader({ t: { dtype: "F32", shape: deepArray(50_000), data_offsets: [0, 0] } }, new Uint8Array(0));
    expect(() => readSafetensors(bytes, SOURCE)).toThrow(SafetensorsError);
  });
});
