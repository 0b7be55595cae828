// The student of section 3.3 (models/student.ts, align.ts, the detector's mae-aligned
// backbone, cost.ts): it reads the occluded pixels and nothing else, its parts get
// gradients on every backend, its head is the teacher's, it round-trips through its
// checkpoint, and its size and compute are what cost.ts says.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { MAE_PRESETS, type MaeConfig } from "../../../src/lib/config.js";
import { gatherImages } from "../../../src/lib/data/frames.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { normalizeImages } from "../../../src/lib/data/normalize.js";
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMeta } from "../../../src/lib/io/checkpoint.js";
import { weightedKdLoss } from "../../../src/lib/losses/kd.js";
import { weightedAsymmetricLoss } from "../../../src/lib/losses/wal.js";
import { occludeImages } from "../../../src/lib/masks/occlude.js";
import { occlusionPatchMasks, parseOcclusion } from "../../../src/lib/masks/spec.js";
import { poolTokens } from "../../../src/lib/models/align.js";
import { studentCost } from "../../../src/lib/models/cost.js";
import { createDetector, detectorConfig, isMaeEncoderName, type Detector, type DetectorConfig } from "../../../src/lib/models/detector.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { CheckpointMismatchError, type ParamStore } from "../../../src/lib/models/params.js";
import { reconstruct } from "../../../src/lib/models/reconstruct.js";
import {
  createStudent,
  loadTeacherHead,
  studentConfig,
  studentConfigFromMeta,
  studentModelKind,
  type StudentConfig,
} from "../../../src/lib/models/student.js";
import { loadCheckpointModel, modelNameFromMeta, resolveStudent } from "../../../src/lib/registry.js";
import { PARITY_BACKENDS, useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";
import { gradientReport, leakCheck } from "./head-checks.js";

const MAE_FILE = "src/checkpoints/mae-tiny.safetensors";

/** A student small enough for gradient checks on SwiftShader: 32 px, a 4 x 4 grid of 16-wide tokens pooled to 2 x 2, 5 AUs. */
const SMALL_MAE: MaeConfig = { ...MAE_PRESETS.tiny, imgSize: 32, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 1 };
function smallConfig(frozen: boolean): StudentConfig {
  return {
    backbone: { kind: "mae-aligned", mae: SMALL_MAE, frozen, align: { gridOut: 2, hidden: [12], outChannels: 10 } },
    head: "mefl",
    imgSize: 32,
    numClasses: 5,
    inChannels: 8,
    neighborNum: 3,
    metric: "dots",
  };
}

/** The student's parameters as one store by full state-dict name (for the shared gradient and leak checks). */
function view(det: Detector): ParamStore {
  const get = (n: string) =>
    n.startsWith("backbone.") ? det.backbone.params.get(n.slice("backbone.".length)) : n.startsWith("align.") ? det.align!.params.get(n) : det.head.params.get(n);
  return { trainable: () => det.trainable(), names: () => det.names(), get } as unknown as ParamStore;
}

const images = (seed: number, b: number, size: number) => tf.tensor4d(uniform(seed, b * size * size * 3, -2, 2), [b, size, size, 3]);
const values = async (t: tf.Tensor) => Array.from(await t.data());
const maxAbsDiff = async (a: tf.Tensor, b: tf.Tensor) => {
  const [x, y] = [await values(a), await values(b)];
  return x.reduce((m, v, i) => Math.max(m, Math.abs(v - y[i])), 0);
};

describe("student (MAE encoder on all patches -> alignment -> MEFL head)", () => {
  it("state-dict names: backbone.* (the MAE encoder's official names), align.fc{i}.*, then global_linear.* and head.*", async () => {
    await useBackend("cpu");
    const cfg = studentConfig("mae-tiny", { numClasses: 12 });
    const mae = createMae(cfg.backbone.mae);
    const encoderNames = mae.params.names().filter(isMaeEncoderName).map((n) => `backbone.${n}`);
    mae.dispose();
    const s = createStudent(cfg);
    const names = s.names();
    expect(names.slice(0, encoderNames.length)).toEqual(encoderNames);
    expect(names.some((n) => n.includes("decoder") || n.endsWith("mask_token"))).toBe(false);
    expect(names.slice(encoderNames.length, encoderNames.length + 4)).toEqual(["align.fc1.weight", "align.fc1.bias", "align.fc2.weight", "align.fc2.bias"]);
    expect(names[encoderNames.length + 4]).toBe("global_linear.fc.weight");
    expect(names.every((n) => /^(backbone|align|global_linear|head)\./.test(n))).toBe(true);
    expect(names).toContain("head.edge_fc.weight");
    expect(s.align!.params.get("align.fc1.weight").shape).toEqual([128, 96]); // torch Linear layout [out, in]
    expect(s.align!.params.get("align.fc2.weight").shape).toEqual([64, 128]);
    // torch.nn.Linear's default init: U(-1/sqrt(in), 1/sqrt(in)), weight and bias.
    for (const [name, fanIn] of [["align.fc1.weight", 96], ["align.fc1.bias", 96], ["align.fc2.weight", 128]] as const) {
      const v = await values(s.align!.params.get(name));
      expect(Math.max(...v.map(Math.abs))).toBeLessThanOrEqual(1 / Math.sqrt(fanIn));
      expect(Math.max(...v.map(Math.abs))).toBeGreaterThan(0.9 / Math.sqrt(fanIn));
    }
    s.dispose();
  });

  it("shapes of the tiny preset: MAE tokens [B, 64, 96] -> aligned [B, 16, 64] -> prob [B, 12], nodeFeatures [B, 12, 64], edgeLogits [B, 144, 4]", async () => {
    await useBackend("cpu");
    const s = createStudent(studentConfig("mae-tiny", { numClasses: 12 }), { seed: 1 });
    const x = images(1, 2, 64);
    const raw = s.backbone.forwardFeatures(x, false);
    const tokens = s.forwardFeatures(x);
    const out = s.forward(x);
    expect(raw.shape).toEqual([2, 64, 96]);
    expect(tokens.shape).toEqual([2, 16, 64]);
    expect(out.kind).toBe("mefl");
    expect(out.prob.shape).toEqual([2, 12]);
    expect(out.nodeFeatures.shape).toEqual([2, 12, 64]);
    expect(out.edgeLogits!.shape).toEqual([2, 144, 4]);
    tf.dispose([x, raw, tokens, out.prob, out.nodeFeatures, out.edgeLogits!]);
    s.dispose();
  });

  it("alignment = mean over 2 x 2 windows of the patch grid, Linear, exact GELU, Linear (checked on the host in float64)", async () => {
    await useBackend("cpu");
    const s = createStudent(smallConfig(false), { seed: 2 });
    const x = images(2, 2, 32);
    const raw = await values(s.backbone.forwardFeatures(x, false)); // [2, 16, 16]: 4 x 4 grid
    const got = await values(s.forwardFeatures(x)); // [2, 4, 10]: 2 x 2 grid
    const p = async (n: string) => values(s.align!.params.get(n));
    const [w1, b1, w2, b2] = await Promise.all(["align.fc1.weight", "align.fc1.bias", "align.fc2.weight", "align.fc2.bias"].map(p));
    const erf = (z: number) => {
      // Abramowitz & Stegun 7.1.26 is too coarse here; a series is exact enough for |z| < 4.
      let sum = 0;
      let term = z;
      for (let n = 0; n < 80; n++) {
        sum += term / (2 * n + 1);
        term *= (-z * z) / (n + 1);
      }
      return (2 / Math.sqrt(Math.PI)) * sum;
    };
    const gelu = (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
    const [E, H, C] = [16, 12, 10];
    for (let b = 0; b < 2; b++) {
      for (let r = 0; r < 2; r++) {
        for (let c = 0; c < 2; c++) {
          const pooled = new Float64Array(E);
          for (const [dr, dc] of [[0, 0], [0, 1], [1, 0], [1, 1]]) {
            const t = (2 * r + dr) * 4 + (2 * c + dc);
            for (let e = 0; e < E; e++) pooled[e] += raw[(b * 16 + t) * E + e] / 4;
          }
          const hidden = Array.from({ length: H }, (_, o) => gelu(b1[o] + pooled.reduce((a, v, i) => a + v * w1[o * E + i], 0)));
          for (let o = 0; o < C; o++) {
            const want = b2[o] + hidden.reduce((a, v, i) => a + v * w2[o * H + i], 0);
            expect(got[(b * 4 + r * 2 + c) * C + o]).toBeCloseTo(want, 5);
          }
        }
      }
    }
    const ones = tf.ones([1, 16, 3]) as tf.Tensor3D;
    expect(() => poolTokens(ones, 3, 3)).toThrow(/16 tokens do not form the 3 x 3 grid/);
    tf.dispose([x, ones]);
    s.dispose();
  });

  it("never sees the mask: masks that remove different patches but leave the same pixels give the same output, which a mask-reading model (the teacher's MAE) does not; the removed pixels' content does change it", async () => {
    await useBackend("wasm");
    const { mae } = loadMae(new Uint8Array(readFileSync(MAE_FILE)), { source: MAE_FILE });
    const { mae: encoder } = loadMae(new Uint8Array(readFileSync(MAE_FILE)), { source: MAE_FILE });
    const s = createStudent(studentConfig("mae-tiny", { numClasses: 12 }), { seed: 3, mae: encoder });
    const size = 64;
    const patch = 8;
    const grid = size / patch;
    const L = grid * grid;
    const faces = generateFaceDataset({ preset: "bp4d", seed: 3, subjects: 6, sequencesPerSubject: 1, framesPerSequence: 2, size });
    const frames = [0, 3];
    const clean = gatherImages(faces, frames);
    // The faces wear an occluder no mask lists (black over the eyes, like sunglasses) ...
    const eyes = occlusionPatchMasks(parseOcclusion("region:eyes"), frames, grid, patch);
    const worn = occludeImages(clean, size, eyes, patch, "black");
    // ... and are occluded as condition (b) does it: mask A (a block, the paper's protocol)
    // with the black fill; mask B also lists the eye patches, which are already black.
    const maskA = occlusionPatchMasks(parseOcclusion("block:0.3"), frames, grid, patch);
    const maskB = Float32Array.from(maskA, (v, i) => Math.max(v, eyes[i]));
    const count = (m: Float32Array, b: number) => m.subarray(b * L, (b + 1) * L).reduce((a, v) => a + v, 0);
    for (const b of [0, 1]) expect(count(maskB, b)).toBeGreaterThan(count(maskA, b) + 2);
    const occA = occludeImages(worn, size, maskA, patch, "black");
    const occB = occludeImages(worn, size, maskB, patch, "black");
    expect(Buffer.from(occA).equals(Buffer.from(occB))).toBe(true);
    expect(Buffer.from(occA).equals(Buffer.from(worn))).toBe(false);
    const xA = tf.tensor4d(normalizeImages(occA, size).data, [2, size, size, 3]);
    const xB = tf.tensor4d(normalizeImages(occB, size).data, [2, size, size, 3]);

    // The teacher's path reads the masks: its MAE keeps only the patches a mask leaves, so
    // the two masks give different composites of the same pixels.
    const recA = reconstruct(mae, xA, maskA);
    const recB = reconstruct(mae, xB, maskB);
    expect(await maxAbsDiff(recA.composite, recB.composite)).toBeGreaterThan(0.05);

    // The student reads the pixels alone: the same output, bit for bit.
    const outA = s.forward(xA);
    const outB = s.forward(xB);
    expect(await values(outB.prob)).toEqual(await values(outA.prob));
    expect(await values(outB.nodeFeatures)).toEqual(await values(outA.nodeFeatures));
    expect(await values(outB.edgeLogits!)).toEqual(await values(outA.edgeLogits!));

    // It does read the removed region: another fill of mask A's patches changes its output
    // (the encoder runs on every patch, the occluded ones included).
    const occGray = occludeImages(worn, size, maskA, patch, "gray");
    const xGray = tf.tensor4d(normalizeImages(occGray, size).data, [2, size, size, 3]);
    const outGray = s.forward(xGray);
    expect(await maxAbsDiff(outGray.prob, outA.prob)).toBeGreaterThan(1e-4);
    expect(await maxAbsDiff(outGray.edgeLogits!, outA.edgeLogits!)).toBeGreaterThan(1e-4);

    tf.dispose([xA, xB, xGray, recA.composite, recA.reconstruction, recA.patchError, recB.composite, recB.reconstruction, recB.patchError]);
    for (const o of [outA, outB, outGray]) tf.dispose([o.prob, o.nodeFeatures, o.edgeLogits!]);
    mae.dispose();
    s.dispose();
  });

  for (const backend of PARITY_BACKENDS) {
    it(`every trainable parameter gets a gradient from a KD + AU loss on prob and edgeLogits on ${backend}, encoder included unless frozen; no leaks`, async () => {
      await useBackend(backend);
      for (const frozen of [false, true]) {
        const s = createStudent(smallConfig(frozen), { seed: 4 });
        const x = images(5, 3, 32);
        const teacher = { prob: tf.tensor2d(uniform(6, 15, 0.05, 0.95), [3, 5]), edgeLogits: tf.tensor3d(uniform(7, 3 * 25 * 4, -2, 2), [3, 25, 4]) };
        const y = tf.tensor2d(Float32Array.from(uniform(8, 15), (v) => (v > 0 ? 1 : 0)), [3, 5]);
        const loss = () => {
          const out = s.forward(x, { training: true });
          return tf.add(weightedKdLoss({ prob: out.prob, edgeLogits: out.edgeLogits! }, teacher), weightedAsymmetricLoss(out.prob, y)) as tf.Scalar;
        };
        const trainable = Object.keys(s.trainable());
        const encoder = trainable.filter((n) => n.startsWith("backbone."));
        expect(encoder.length).toBe(frozen ? 0 : s.backbone.params.names().filter((n) => isMaeEncoderName(n) && n !== "pos_embed").length);
        expect(trainable.filter((n) => n.startsWith("align.")).length).toBe(4);
        const report = await gradientReport(view(s), loss);
        // A train-mode BatchNorm cancels a constant shift of its input: the fc biases before
        // one, and align's last bias (a per-channel shift that global_linear's fc passes on
        // to its BatchNorm); attention key biases cancel in the softmax.
        const exempt = (n: string) =>
          n === "align.fc2.bias" || n.endsWith("linear_k.bias") || (/(^|\.)fc\.bias$/.test(n) && !n.startsWith("head.edge_fc"));
        expect(report.missing).toEqual([]);
        expect(report.zero.filter((n) => !exempt(n))).toEqual([]);
        for (const n of Object.keys(report.maxAbs).filter(exempt)) expect(report.maxAbs[n], n).toBeLessThan(1e-4 * report.largest);
        s.discardBatchNorm();
        await leakCheck({ params: view(s), commitBatchNorm: () => s.commitBatchNorm() }, loss, 3);
        tf.dispose([x, y, teacher.prob, teacher.edgeLogits]);
        s.dispose();
      }
    });
  }

  it("round-trips through stateDict/load, and through a checkpoint that loadCheckpointModel rebuilds from its metadata", async () => {
    await useBackend("cpu");
    const cfg = studentConfig("mae-tiny", { numClasses: 12 });
    const a = createStudent(cfg, { seed: 1 });
    const b = createStudent(cfg, { seed: 2 });
    const x = images(9, 2, 64);
    tf.dispose(Object.values(a.forward(x, { training: true })).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
    a.commitBatchNorm(); // moved BatchNorm statistics, so buffers matter too
    const state = await a.stateDict();
    b.load(state);
    const pa = a.forward(x);
    const pb = b.forward(x);
    expect(await values(pb.prob)).toEqual(await values(pa.prob));
    expect(await values(pb.edgeLogits!)).toEqual(await values(pa.edgeLogits!));

    const meta = { model: studentModelKind(), modelName: "student/mae-tiny", config: { detector: cfg, preset: "mae-tiny" } };
    const bytes = encodeCheckpoint(state, meta);
    const decoded = decodeCheckpoint(bytes, "student.safetensors");
    expect(decoded.meta!.model).toBe("student");
    expect(studentConfigFromMeta(decoded.meta!)).toEqual(cfg);
    expect(modelNameFromMeta(decoded.meta!)).toBe("student/mae-tiny");
    const unnamed = { ...decoded.meta! } as Record<string, unknown>;
    delete unnamed.modelName; // a checkpoint that records only the model kind and preset
    expect(modelNameFromMeta(unnamed as unknown as CheckpointMeta)).toBe("student/mae-tiny");
    const loaded = loadCheckpointModel(bytes, { source: "student.safetensors" });
    expect(loaded.family).toBe("student");
    expect(loaded.name).toBe("student/mae-tiny");
    if (loaded.family !== "student") throw new Error("not a student");
    expect(loaded.detector.config).toEqual(cfg);
    const pc = loaded.detector.forward(x);
    expect(await values(pc.prob)).toEqual(await values(pa.prob));
    expect(await values(pc.edgeLogits!)).toEqual(await values(pa.edgeLogits!));

    // A student checkpoint is not a detector and the other way round; a student's config must be mae-aligned.
    expect(() => studentConfigFromMeta({ model: "megraphau-mefl", config: { detector: cfg } }, "t.safetensors")).toThrow(/t\.safetensors holds a "megraphau-mefl" model, not a student/);
    const teacherCfg = detectorConfig("tiny", { head: "mefl", numClasses: 12 });
    expect(() => studentConfigFromMeta({ model: "student", config: { detector: teacherCfg } })).toThrow(/"resnet" backbone, not "mae-aligned"/);
    expect(() => studentConfigFromMeta({ model: "student", config: {} })).toThrow(/lacks the student's config/);
    const badGrid = structuredClone(cfg);
    badGrid.backbone.align.gridOut = 3;
    expect(() => studentConfigFromMeta({ model: "student", config: { detector: badGrid } })).toThrow(/gridOut 3 does not divide the MAE's 8 x 8 patch grid/);

    for (const o of [pa, pb, pc]) tf.dispose([o.prob, o.nodeFeatures, o.edgeLogits!]);
    x.dispose();
    [a, b, loaded.detector].forEach((d) => d.dispose());
  });

  it("registry: student/mae-tiny (or mae-tiny in the student family) builds the preset, encoder trained unless asked frozen", () => {
    const entry = resolveStudent("mae-tiny");
    expect(entry.name).toBe("student/mae-tiny");
    const cfg = entry.config({ numClasses: 8 });
    expect(cfg.numClasses).toBe(8);
    expect(cfg.head).toBe("mefl");
    expect(cfg.backbone).toEqual({ kind: "mae-aligned", mae: MAE_PRESETS.tiny, frozen: false, align: { gridOut: 4, hidden: [128], outChannels: 64 } });
    expect(entry.config({ numClasses: 8, frozen: true }).backbone.frozen).toBe(true);
    expect(entry.config({ numClasses: 8 }).backbone.frozen).toBe(false); // the preset is not shared
    expect(() => resolveStudent("detector/resnet-tiny")).toThrow(/choose student\/mae-tiny/);
  });

  it("the encoder handed the shipped tiny MAE gives, before alignment, exactly its forwardEncoderAll patch tokens", async () => {
    await useBackend("cpu");
    const bytes = new Uint8Array(readFileSync(MAE_FILE));
    const { mae: reference } = loadMae(bytes, { source: MAE_FILE });
    const { mae: encoder } = loadMae(bytes, { source: MAE_FILE });
    const s = createStudent(studentConfig("mae-tiny", { numClasses: 12 }), { mae: encoder });
    const x = images(10, 2, 64);
    const all = reference.forwardEncoderAll(x); // [2, 65, 96], cls first
    const expected = tf.slice(all, [0, 1, 0], [2, 64, 96]);
    const got = s.backbone.forwardFeatures(x, false);
    expect(await values(got)).toEqual(await values(expected));
    // Its state dict holds the MAE's encoder tensors under backbone.*.
    const state = await s.stateDict();
    const maeState = await reference.params.stateDict();
    for (const [name, t] of maeState) {
      if (!isMaeEncoderName(name)) expect(state.has(`backbone.${name}`)).toBe(false);
      else expect(Array.from(state.get(`backbone.${name}`)!.data), name).toEqual(Array.from(t.data));
    }
    // A handed-over MAE must be the config's encoder.
    const other = createMae({ ...MAE_PRESETS.tiny, embedDim: 64, numHeads: 2 });
    expect(() => createStudent(studentConfig("mae-tiny", { numClasses: 12 }), { mae: other })).toThrow(/differs from the config's encoder in embedDim \(64 vs 96\), numHeads/);
    tf.dispose([x, all, expected, got]);
    [reference, other].forEach((m) => m.dispose());
    s.dispose();
  });

  it("its head has the teacher's shapes: a detector/resnet-tiny MEFL teacher's global_linear and head load, and then both heads give the same outputs on the same tokens", async () => {
    await useBackend("cpu");
    const teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: 12 }), { seed: 11 });
    const s = createStudent(studentConfig("mae-tiny", { numClasses: 12 }), { seed: 12 });
    const x = images(12, 2, 64);
    const teacherTokens = teacher.forwardFeatures(x);
    const studentTokens = s.forwardFeatures(x);
    expect(studentTokens.shape).toEqual(teacherTokens.shape); // [2, 16, 64]
    tf.dispose(Object.values(teacher.forward(x, { training: true })).filter((v) => v instanceof tf.Tensor) as tf.Tensor[]);
    teacher.commitBatchNorm();
    const teacherState = await teacher.stateDict();

    // Loading the whole teacher without strictness: only the backbones differ.
    const probe = createStudent(studentConfig("mae-tiny", { numClasses: 12 }), { seed: 13 });
    const report = probe.load(teacherState, { strict: false });
    expect(report.misShaped).toEqual([]);
    expect(report.missing.length).toBeGreaterThan(0);
    expect(report.missing.every((n) => n.startsWith("backbone.") || n.startsWith("align."))).toBe(true);
    expect(report.missing.filter((n) => n.startsWith("align."))).toEqual(["align.fc1.weight", "align.fc1.bias", "align.fc2.weight", "align.fc2.bias"]);
    expect(report.unexpected.every((n) => n.startsWith("backbone."))).toBe(true);
    probe.dispose();

    const before = await s.stateDict();
    loadTeacherHead(s, teacherState, { source: "teacher.safetensors" });
    const after = await s.stateDict();
    for (const [name, t] of after) {
      const source = name.startsWith("backbone.") || name.startsWith("align.") ? before.get(name)! : teacherState.get(name)!;
      expect(Array.from(t.data), name).toEqual(Array.from(source.data));
    }
    const ht = teacher.forwardHead(teacherTokens);
    const hs = s.forwardHead(teacherTokens);
    expect(await values(hs.prob)).toEqual(await values(ht.prob));
    expect(await values(hs.nodeFeatures)).toEqual(await values(ht.nodeFeatures));
    expect(await values(hs.edgeLogits!)).toEqual(await values(ht.edgeLogits!));

    // A stage-1 (ANFL) teacher's head does not fit, and nothing loads.
    const anfl = createDetector(detectorConfig("tiny", { head: "anfl", numClasses: 12 }), { seed: 14 });
    const anflState = await anfl.stateDict();
    expect(() => loadTeacherHead(s, anflState, { source: "stage1.safetensors" })).toThrow(CheckpointMismatchError);
    expect(() => loadTeacherHead(s, anflState, { source: "stage1.safetensors" })).toThrow(/stage1\.safetensors \(its global_linear and head\).*missing.*head\.edge_extractor/);
    const unchanged = await s.stateDict();
    for (const [name, t] of unchanged) expect(Array.from(t.data), name).toEqual(Array.from(after.get(name)!.data));

    for (const o of [ht, hs]) tf.dispose([o.prob, o.nodeFeatures, o.edgeLogits!]);
    tf.dispose([x, teacherTokens, studentTokens]);
    [teacher, s, anfl].forEach((d) => d.dispose());
  });

  it("studentCost: parameters per part equal the model's variables; MACs equal the matrix products a forward runs", async () => {
    await useBackend("cpu");
    for (const cfg of [studentConfig("mae-tiny", { numClasses: 12 }), smallConfig(false), { ...smallConfig(false), head: "anfl" } as StudentConfig]) {
      const cost = studentCost(cfg);
      const s = createStudent(cfg);
      const sizes = Object.entries(s.trainable());
      const sum = (pred: (n: string) => boolean) => sizes.filter(([n]) => pred(n)).reduce((a, [, v]) => a + v.size, 0);
      expect(cost.encoder.params).toBe(sum((n) => n.startsWith("backbone.")));
      expect(cost.align.params).toBe(sum((n) => n.startsWith("align.")));
      expect(cost.head.params).toBe(sum((n) => n.startsWith("global_linear.") || n.startsWith("head.")));
      expect(cost.total.params).toBe(s.countTrainable());
      // MACs: every BatchMatMul of a one-image forward, m*n*k each (k from the first operand and the output).
      const x = images(13, 1, cfg.imgSize);
      const profile = await tf.profile(() => {
        const out = s.forward(x);
        return [out.prob, out.nodeFeatures, ...(out.edgeLogits ? [out.edgeLogits] : [])];
      });
      let macs = 0;
      for (const k of profile.kernels) {
        if (k.name !== "BatchMatMul") continue;
        // a = [batch, m, k] (or transposed) and output [batch, m, n]: batch*m*k*n = size(a) * n.
        const a = k.inputShapes[0].reduce((p, d) => p * d, 1);
        macs += a * k.outputShapes[0][k.outputShapes[0].length - 1];
      }
      expect(cost.total.macs).toBe(macs);
      tf.dispose(profile.result as tf.Tensor[]);
      x.dispose();
      s.dispose();
    }
    const tiny = studentCost(studentConfig("mae-tiny", { numClasses: 12 }));
    expect(tiny.total.params).toBe(tiny.encoder.params + tiny.align.params + tiny.head.params);
    expect(() => studentCost(detectorConfig("tiny", { head: "mefl", numClasses: 12 }) as DetectorConfig)).toThrow(/not the student's "mae-aligned"/);
  });
});
