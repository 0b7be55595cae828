// A user's checkpoint for the Evaluation page's teacher or student slot, read in parts
// (lib/io/checkpoint-upload.ts, lib/eval/slot-checkpoint.ts): a file over the limit is not
// read at all, a hostile header is refused after its first bytes, a file that does not fit
// its slot is refused before its tensors are read, and a real checkpoint loads whole and
// predicts as the one loadCheckpointModel builds. Each refusal is a typed error
// (SafetensorsError for the file, CheckpointError for what it holds) that names the file.
// The page's Chromium test (tests/browser/checkpoint-uploads.test.ts) sends the same files.
import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { readUploadHeader, type ByteSource } from "../../../src/lib/io/checkpoint-upload.js";
import { SafetensorsError } from "../../../src/lib/io/safetensors.js";
import { loadSlotCheckpoint, type SlotFaces } from "../../../src/lib/eval/slot-checkpoint.js";
import type { DetectorConfig } from "../../../src/lib/models/detector.js";
import { loadCheckpointModel } from "../../../src/lib/registry.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

const CKPT = "src/checkpoints";
const FACES: SlotFaces = { imgSize: 64, aus: [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24], preset: "bp4d" };

/** A file in memory that records which byte ranges were read. */
function source(name: string, bytes: Uint8Array, size = bytes.length): ByteSource & { reads: [number, number][] } {
  const reads: [number, number][] = [];
  return {
    name,
    size,
    reads,
    read: async (start, end) => {
      reads.push([start, end]);
      return bytes.slice(start, Math.min(end, bytes.length));
    },
  };
}
const bytesRead = (s: { reads: [number, number][] }) => s.reads.reduce((n, [a, b]) => n + (b - a), 0);
const file = (name: string) => new Uint8Array(readFileSync(`${CKPT}/${name}`));

beforeAll(async () => {
  await initNodeBackend("cpu");
});

describe("a checkpoint file for an Evaluation page slot", () => {
  it("refuses a file over the limit without reading a byte, and hostile headers after their first bytes", async () => {
    const huge = source("huge.safetensors", new Uint8Array(0), 2 * 2 ** 30);
    await expect(readUploadHeader(huge)).rejects.toThrow(/^“huge\.safetensors” is 2\.1 GB, more than the 200\.0 MB a checkpoint may be here; it was not read\./);
    expect(huge.reads).toEqual([]);

    // A header length of 2^40 in a 100-byte file: only the first bytes are read.
    const lying = new Uint8Array(100);
    new DataView(lying.buffer).setBigUint64(0, 2n ** 40n, true);
    lying[8] = 0x7b;
    const s = source("lying.safetensors", lying);
    await expect(readUploadHeader(s)).rejects.toThrow(SafetensorsError);
    await expect(readUploadHeader(source("lying.safetensors", lying))).rejects.toThrow(/^“lying\.safetensors” is damaged or not a checkpoint: its first 8 bytes give a header of 1099511627776 bytes, more than the whole 100 bytes file/);
    expect(bytesRead(s)).toBe(100);

    // A tensor claiming 2^42 bytes behind a valid header: refused from the header, nothing allocated.
    const header = new TextEncoder().encode(JSON.stringify({ x: { dtype: "F32", shape: [2 ** 20, 2 ** 20], data_offsets: [0, 2 ** 42] } }));
    const claims = new Uint8Array(8 + header.length + 16);
    new DataView(claims.buffer).setBigUint64(0, BigInt(header.length), true);
    claims.set(header, 8);
    await expect(readUploadHeader(source("claims.safetensors", claims))).rejects.toThrow(/claims 4398\.0 GB of tensors, but only 16 bytes follow the header/);
  });

  it("names what a file that is not safetensors is, and a checkpoint cut short", async () => {
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, ...new Uint8Array(40)]);
    await expect(readUploadHeader(source("face.png", png))).rejects.toThrow(/^“face\.png” is not a safetensors checkpoint: it is a PNG picture\./);
    await expect(readUploadHeader(source("x.pth", new Uint8Array([0x50, 0x4b, 3, 4, ...new Uint8Array(60)])))).rejects.toThrow(/it is a ZIP archive \(a PyTorch \.pt or \.pth file is one\)/);
    await expect(readUploadHeader(source("notes.txt", new TextEncoder().encode("not a checkpoint at all\n")))).rejects.toThrow(/it is text\./);
    await expect(readUploadHeader(source("empty", new Uint8Array(0)))).rejects.toThrow(/^“empty” is empty \(0 bytes\)/);
    const whole = file("teacher-tiny-mefl-random0.5.safetensors");
    await expect(readUploadHeader(source("cut.safetensors", whole.subarray(0, 1000)))).rejects.toThrow(/^“cut\.safetensors” is cut short: its header is \d+ bytes long but the file ends after 1000/);
    await expect(readUploadHeader(source("cut.safetensors", whole.subarray(0, 500_000)))).rejects.toThrow(/^“cut\.safetensors” is cut short: its header describes [\d,]+ bytes of tensors, but only [\d,]+ follow it/);
  });

  it("refuses what does not fit the slot before reading the tensors", async () => {
    const refused = async (name: string, bytes: Uint8Array, slot: "teacher" | "student", message: RegExp) => {
      const s = source(name, bytes);
      const error = await loadSlotCheckpoint(s, slot, FACES).then(
        () => null,
        (e: Error) => e,
      );
      expect(error).toBeInstanceOf(CheckpointError);
      expect(error!.message).toMatch(message);
      expect(bytesRead(s), `${name}: only the header is read`).toBeLessThan(bytes.length / 2);
    };
    await refused("mae-tiny.safetensors", file("mae-tiny.safetensors"), "teacher", /holds an MAE .*, not an AU detector/);
    await refused("mae-tiny.safetensors", file("mae-tiny.safetensors"), "student", /holds an MAE .*, not a student/);
    await refused("detector-tiny-clean.safetensors", file("detector-tiny-clean.safetensors"), "student", /holds a stage-1 \(ANFL\) ME-GraphAU detector trained on clean faces, not a student: choose it in the Teacher slot/);
    await refused("student.safetensors", file("student-tiny-random0.5.safetensors"), "teacher", /holds a student, not a teacher: choose it in the Student slot/);

    const clean = decodeCheckpoint(file("detector-tiny-clean.safetensors"), "clean");
    const meta = clean.meta!;
    const detector = meta.config.detector as DetectorConfig;
    const w = clean.tensors.get("global_linear.fc.weight")!;
    const reshaped = new Map(clean.tensors).set("global_linear.fc.weight", { shape: [64, 32], data: (w.data as Float32Array).slice(0, 2048) });
    await refused("reshaped.safetensors", encodeCheckpoint(reshaped, meta), "teacher", /does not fit the ANFL detector its metadata describes \(.*mis-shaped global_linear\.fc\.weight \[64,32\] vs \[64,64\]\)/);
    await refused("eight.safetensors", encodeCheckpoint(clean.tensors, { ...meta, config: { ...meta.config, detector: { ...detector, numClasses: 8 } } }), "teacher", /predicts 8 AUs, but the held-out faces here are labelled with 12 \(BP4D's AU1, AU2/);
    await refused("big.safetensors", encodeCheckpoint(clean.tensors, { ...meta, config: { ...meta.config, detector: { ...detector, imgSize: 112 } } }), "teacher", /reads 112 px faces, but the faces here are 64 px/);
    // A config claiming a model far larger than the file: refused from its parameter count, nothing built.
    const wide = { ...detector, inChannels: 40_000 };
    await refused("wide.safetensors", encodeCheckpoint(clean.tensors, { ...meta, config: { ...meta.config, detector: wide } }), "teacher", /metadata describes a model of [\d,]+ parameters, but the file holds .* of tensors/);
    await refused("unknown.safetensors", encodeCheckpoint(clean.tensors, { ...meta, model: "vit-classifier" }), "teacher", /holds a "vit-classifier" model, which this version of MaskAU does not know/);
  });

  it("loads a real teacher and student whole, predicting as loadCheckpointModel's", async () => {
    for (const [name, slot, description] of [
      ["teacher-tiny-mefl-block0.3.safetensors", "teacher", /^ME-GraphAU stage 2 \(MEFL\), ResNet backbone, 12 AUs, 750 steps$/],
      ["student-tiny-random0.5.safetensors", "student", /^student \(MAE encoder, alignment, MEFL head\), 12 AUs, 1,500 steps$/],
      ["detector-tiny-clean.safetensors", "teacher", /^ME-GraphAU stage 1 \(ANFL\), ResNet backbone, 12 AUs/],
    ] as const) {
      const bytes = file(name);
      const loaded = await loadSlotCheckpoint(source(name, bytes), slot, FACES);
      const reference = loadCheckpointModel(bytes, { source: name });
      try {
        expect(loaded.description).toMatch(description);
        expect([loaded.name, loaded.size]).toEqual([name, bytes.length]);
        const x = tf.randomUniform([2, 64, 64, 3], -1, 1, "float32", 5) as tf.Tensor4D;
        const [a, b] = tf.tidy(() => [loaded.detector.forward(x).prob.dataSync(), (reference as { detector: typeof loaded.detector }).detector.forward(x).prob.dataSync()]);
        x.dispose();
        expect(Array.from(a)).toEqual(Array.from(b));
      } finally {
        loaded.detector.dispose();
        if (reference.family === "mae") reference.mae.dispose();
        else reference.detector.dispose();
      }
    }
  });
});
