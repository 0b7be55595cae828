import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { inspectSafetensors, inspectSafetensorsHeader, readSafetensors, safetensorsHeaderLength, SafetensorsError, writeSafetensors } from "../../../src/lib/io/safetensors.js";
import { fixturePath } from "../../support/shared.js";

/** A file from a header object (or raw header text) and a data buffer; `length` overrides the header length field. */
function raw(header: unknown, data: Uint8Array = new Uint8Array(0), length?: bigint): Uint8Array {
  const json = new TextEncoder().encode(typeof header === "string" ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, length ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const f32 = (n: number) => new Uint8Array(n * 4);

function expectError(bytes: Uint8Array, pattern: RegExp): void {
  let caught: unknown;
  try {
    readSafetensors(bytes, "bad.safetensors");
  } catch (e) {
    caught = e;
  }
  expect(caught, `expected a SafetensorsError matching ${pattern}`).toBeInstanceOf(SafetensorsError);
  expect((caught as Error).message).toMatch(/^bad\.safetensors: /);
  expect((caught as Error).message).toMatch(pattern);
}

describe("safetensors round trip", () => {
  it("keeps F32, I64, I32, scalar shapes and metadata", () => {
    const bytes = writeSafetensors(
      {
        w: { dtype: "F32", shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, 1e-7, -1e30]) },
        count: { dtype: "I64", shape: [], data: Int32Array.from([7]) },
        idx: { dtype: "I64", shape: [3], data: Int32Array.from([-2147483648, 0, 2147483647]) },
        labels: { dtype: "I32", shape: [2, 2], data: Int32Array.from([1, -1, 0, 5]) },
        loss: { dtype: "F32", shape: [], data: Float32Array.from([0.125]) },
        empty: { dtype: "F32", shape: [0, 4], data: new Float32Array(0) },
      },
      { note: "héllo", json: JSON.stringify({ a: 1 }) },
    );
    // Header padded so that the data start is 8-byte aligned.
    expect(Number(new DataView(bytes.buffer).getBigUint64(0, true)) % 8).toBe(0);
    const { tensors, metadata } = readSafetensors(bytes);
    expect(metadata).toEqual({ note: "héllo", json: '{"a":1}' });
    expect(tensors.get("w")).toEqual({ dtype: "F32", shape: [2, 3], data: Float32Array.from([1.5, -2, 3.25, 0, 1e-7, -1e30]) });
    expect(tensors.get("count")).toEqual({ dtype: "I64", shape: [], data: Int32Array.from([7]) });
    expect(tensors.get("idx")!.data).toEqual(Int32Array.from([-2147483648, 0, 2147483647]));
    expect(tensors.get("labels")).toEqual({ dtype: "I32", shape: [2, 2], data: Int32Array.from([1, -1, 0, 5]) });
    expect(tensors.get("loss")!.shape).toEqual([]);
    expect(tensors.get("empty")!.data.length).toBe(0);
    expect(inspectSafetensors(bytes).entries.map((e) => e.name).sort()).toEqual(["count", "empty", "idx", "labels", "loss", "w"]);
  });

  it("refuses to write a shape that disagrees with the data or a reserved name", () => {
    expect(() => writeSafetensors({ w: { dtype: "F32", shape: [2, 2], data: new Float32Array(3) } })).toThrow(SafetensorsError);
    expect(() => writeSafetensors({ __metadata__: { dtype: "F32", shape: [1], data: new Float32Array(1) } })).toThrow(/__metadata__/);
  });

  it("reads the reference fixture with the sidecar's names, dtypes and shapes", () => {
    const bytes = new Uint8Array(readFileSync(fixturePath("mae_tiny.safetensors")));
    const sidecar = JSON.parse(readFileSync(fixturePath("mae_tiny.json"), "utf8")) as {
      tensors: Record<string, { dtype: string; shape: number[] }>;
    };
    const { tensors } = readSafetensors(bytes, "mae_tiny.safetensors");
    expect([...tensors.keys()].sort()).toEqual(Object.keys(sidecar.tensors).sort());
    for (const [name, info] of Object.entries(sidecar.tensors)) {
      const t = tensors.get(name)!;
      expect(t.shape, name).toEqual(info.shape);
      expect(t.dtype, name).toBe(info.dtype);
      expect(t.data.length, name).toBe(info.shape.reduce((a, d) => a * d, 1));
      expect(t.data instanceof Int32Array, name).toBe(info.dtype === "I64");
    }
    // The kept ids are a prefix of the shuffle, and the mask is 0/1.
    const ids = tensors.get("output.ids_shuffle")!.data;
    expect(tensors.get("output.ids_keep")!.data).toEqual(Int32Array.from([...ids.slice(0, 4), ...ids.slice(16, 20)]));
    expect([...tensors.get("output.mask")!.data].every((v) => v === 0 || v === 1)).toBe(true);
  });
});

describe("safetensors corruption gets a clear SafetensorsError", () => {
  const good = () => raw({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] } }, f32(2));

  it("file shorter than 8 bytes", () => {
    expectError(new Uint8Array(0), /0 bytes, shorter than the 8-byte header length/);
    expectError(new Uint8Array(5), /5 bytes/);
  });
  it("header length past the end of the file", () => expectError(raw({}, new Uint8Array(0), 1000n), /header length 1000 runs past the end/));
  it("header length huge", () => expectError(raw({}, new Uint8Array(0), 1n << 60n), /exceeds 100000000 bytes/));
  it("header that is not JSON", () => expectError(raw("{not json"), /not valid UTF-8 JSON/));
  it("header that is not UTF-8", () => {
    const bytes = raw("{}  ");
    bytes[9] = 0xff;
    expectError(bytes, /not valid UTF-8 JSON/);
  });
  it("header that is not an object", () => {
    expectError(raw("[1, 2]"), /not a JSON object/);
    expectError(raw("null"), /not a JSON object/);
    expectError(raw('"text"'), /not a JSON object/);
  });
  it("unknown dtype", () => expectError(raw({ a: { dtype: "F128", shape: [1], data_offsets: [0, 16] } }, new Uint8Array(16)), /"a" has unknown dtype "F128"/));
  it("bad shapes", () => {
    expectError(raw({ a: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, f32(1)), /"a" has an invalid shape \[-1\]/);
    expectError(raw({ a: { dtype: "F32", shape: [1.5], data_offsets: [0, 4] } }, f32(1)), /invalid shape/);
    expectError(raw({ a: { dtype: "F32", shape: "2", data_offsets: [0, 8] } }, f32(2)), /invalid shape/);
    expectError(raw({ a: { dtype: "F32", data_offsets: [0, 8] } }, f32(2)), /invalid shape/);
  });
  it("bad data_offsets", () => {
    expectError(raw({ a: { dtype: "F32", shape: [2], data_offsets: [0] } }, f32(2)), /invalid data_offsets/);
    expectError(raw({ a: { dtype: "F32", shape: [2], data_offsets: [8, 0] } }, f32(2)), /ends \(0\) before it begins \(8\)/);
    expectError(raw({ a: "x" }), /entry "a" is not an object|unknown dtype/);
  });
  it("offsets that disagree with dtype and shape", () => {
    expectError(raw({ a: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, f32(2)), /"a" spans 8 bytes but F32 \[3\] needs 12/);
  });
  it("offsets past the end (truncated file)", () => {
    const bytes = good();
    expectError(bytes.slice(0, bytes.length - 3), /ends at byte 8 of a 5-byte data buffer \(truncated file\)/);
  });
  it("overlapping tensors", () => {
    expectError(
      raw({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, f32(3)),
      /"b" overlaps the previous tensor/,
    );
  });
  it("a gap between tensors", () => {
    expectError(
      raw({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] }, b: { dtype: "F32", shape: [1], data_offsets: [8, 12] } }, f32(3)),
      /gap in the data buffer before tensor "b" \(bytes 4\.\.8\)/,
    );
  });
  it("trailing bytes (oversized file)", () => {
    const bytes = good();
    const bigger = new Uint8Array(bytes.length + 4);
    bigger.set(bytes);
    expectError(bigger, /4 bytes after the last tensor/);
  });
  it("I64 values outside the int32 range", () => {
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigInt64(8, 2147483648n, true);
    expectError(raw({ n: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, data), /"n" holds 2147483648, outside the int32 range/);
    new DataView(data.buffer).setBigInt64(8, -2147483649n, true);
    expectError(raw({ n: { dtype: "I64", shape: [2], data_offsets: [0, 16] } }, data), /-2147483649/);
  });
  it("bad __metadata__", () => {
    expectError(raw({ __metadata__: ["x"] }), /__metadata__ is not an object of strings/);
    expectError(raw({ __metadata__: null }), /__metadata__ is not an object of strings/);
    expectError(raw({ __metadata__: { step: 3 } }), /__metadata__\.step is not a string/);
  });
  it("the valid base case reads", () => {
    expect(readSafetensors(good()).tensors.get("a")!.data).toEqual(new Float32Array(2));
  });
});

// Bugs found by fuzzing (tests/fuzz/safetensors.test.ts), one regression test each.
describe("safetensors: fuzzing regressions", () => {
  it("keeps a __metadata__ key named __proto__ (it was dropped silently)", () => {
    const file = readSafetensors(raw('{"__metadata__": {"__proto__": "x", "b": "y"}}'));
    expect(Object.keys(file.metadata).sort()).toEqual(["__proto__", "b"]);
    expect(Object.hasOwn(file.metadata, "__proto__")).toBe(true);
    expect(file.metadata["__proto__"]).toBe("x");
    const written = readSafetensors(writeSafetensors({}, JSON.parse('{"__proto__": "v"}') as Record<string, string>));
    expect(Object.keys(written.metadata)).toEqual(["__proto__"]);
  });

  it("writes a tensor named __proto__ into the header (the file was unreadable)", () => {
    const tensors = new Map([["__proto__", { dtype: "F32" as const, shape: [1], data: [2.5] }]]);
    const back = readSafetensors(writeSafetensors(tensors));
    expect([...back.tensors.keys()]).toEqual(["__proto__"]);
    expect(Array.from(back.tensors.get("__proto__")!.data)).toEqual([2.5]);
  });

  it("a deeply nested shape is a SafetensorsError, not a RangeError from the error message", () => {
    const depth = 50_000;
    const header = `{"a":{"dtype":"F32","shape":${"[".repeat(depth)}${"]".repeat(depth)},"data_offsets":[0,0]}}`;
    expectError(raw(header), /"a" has an invalid shape \[\[\[\[…\]\]\]\]$/);
  });

  it("Object.prototype names are not dtypes", () => {
    for (const dtype of ["toString", "constructor", "__proto__", "hasOwnProperty"]) {
      expectError(raw({ a: { dtype, shape: [1], data_offsets: [0, 4] } }, f32(1)), new RegExp(`"a" has unknown dtype "${dtype}"`));
    }
  });

  it("error messages quote long names and values in bounded form", () => {
    const name = "n".repeat(10_000);
    let message = "";
    try {
      readSafetensors(raw({ [name]: { dtype: "F32", shape: new Array(5000).fill(1), data_offsets: [0, 8] } }, f32(2)));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^safetensors file: tensor "n{77}…" spans 8 bytes but F32 \[1,1,1,1,1,1,1,1,…\] needs 4$/);
    expect(message.length).toBeLessThan(400);
  });

  it("the writer refuses what it cannot write readably: lone surrogates, bad shapes, unknown dtypes", () => {
    const one = (name: string, shape: number[], dtype = "F32") => () =>
      writeSafetensors(new Map([[name, { dtype: dtype as "F32", shape, data: [1] }]]));
    expect(one("w\uD800", [1])).toThrow(/not well-formed Unicode/);
    expect(() => writeSafetensors({}, { k: "\uDC00" })).toThrow(/metadata "k" is not well-formed Unicode/);
    expect(one("w", [-1, -1])).toThrow(/shape \[-1,-1\] is not a list of non-negative integers/);
    expect(one("w", [0.5, 2])).toThrow(SafetensorsError);
    expect(one("w", [1], "F16")).toThrow(/cannot write dtype "F16"/);
    // A surrogate pair is fine.
    expect(readSafetensors(one("w😀", [1])()).tensors.has("w😀")).toBe(true);
  });

  it("inspectSafetensorsHeader lists a file from its header bytes and size alone", () => {
    const bytes = writeSafetensors({ a: { dtype: "F32", shape: [2, 3], data: new Float32Array(6) }, n: { dtype: "I64", shape: [], data: [1] } }, { k: "v" });
    const headerLength = safetensorsHeaderLength(bytes, bytes.length);
    const listing = inspectSafetensorsHeader(bytes.subarray(0, 8 + headerLength), bytes.length, "big.safetensors");
    expect(listing.entries.map((e) => [e.name, e.dtype, e.shape])).toEqual([["n", "I64", []], ["a", "F32", [2, 3]]]);
    expect(listing.metadata).toEqual({ k: "v" });
    expect(() => inspectSafetensorsHeader(bytes.subarray(0, 8 + headerLength), bytes.length - 1, "cut.safetensors")).toThrow(/^cut\.safetensors: .*truncated file/);
    expect(() => safetensorsHeaderLength(bytes, 12, "cut.safetensors")).toThrow(/runs past the end of the 12-byte file/);
  });
});
