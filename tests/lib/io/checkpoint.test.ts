import * as tf from "@tensorflow/tfjs-core";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as fsp from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readCheckpointFile, writeCheckpointFile, writeFileAtomic } from "../../../src/lib/io/atomic-node.js";
import {
  CheckpointError,
  checkpointBuffers,
  checkpointToTrainState,
  decodeCheckpoint,
  encodeCheckpoint,
  encodeTrainState,
  META_KEY,
} from "../../../src/lib/io/checkpoint.js";
import { readSafetensors, SafetensorsError, writeSafetensors, type TensorToWrite } from "../../../src/lib/io/safetensors.js";
import { CheckpointMismatchError, ParamStore, type TensorData } from "../../../src/lib/models/params.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { Trainer, type TrainState, type TrainTask, type TrainerConfig } from "../../../src/lib/train/trainer.js";
import { fixturePath } from "../../support/shared.js";

const META = { model: "test-net", config: { width: 3 }, dataset: { name: "synthetic", fold: 1 }, seed: 7, step: 10, metrics: { loss: 0.5 }, createdBy: "maskau test" };

function state(): Map<string, TensorData> {
  return new Map<string, TensorData>([
    ["fc.weight", { shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }],
    ["fc.bias", { shape: [2], data: Float32Array.from([-1, 1]) }],
    ["bn.running_mean", { shape: [2], data: Float32Array.from([0.1, 0.2]) }],
    ["bn.num_batches_tracked", { shape: [], data: Int32Array.from([42]) }],
    ["index", { shape: [2], data: Int32Array.from([3, -4]) }],
  ]);
}

describe("checkpoint encode / decode", () => {
  it("round-trips tensors and metadata; num_batches_tracked becomes I64, other ints I32", () => {
    const bytes = encodeCheckpoint(state(), META);
    const ckpt = decodeCheckpoint(bytes, "x.safetensors");
    expect([...ckpt.tensors.keys()].sort()).toEqual([...state().keys()].sort());
    for (const [name, t] of state()) expect(ckpt.tensors.get(name), name).toEqual(t);
    expect(ckpt.dtypes.get("bn.num_batches_tracked")).toBe("I64");
    expect(ckpt.dtypes.get("index")).toBe("I32");
    expect(ckpt.dtypes.get("fc.weight")).toBe("F32");
    expect(ckpt.meta).toMatchObject({ format: "maskau-checkpoint", version: 1, ...META });
    expect(typeof ckpt.meta!.createdAt).toBe("string");
    expect(ckpt.optimizer).toBeNull();
    expect(ckpt.rawMetadata.format).toBe("pt");
    // The metadata is a plain JSON string in __metadata__, readable by any safetensors reader.
    expect(JSON.parse(readSafetensors(bytes).metadata[META_KEY]).model).toBe("test-net");
  });

  it("decodes plain official safetensors with meta = null", () => {
    const ckpt = decodeCheckpoint(new Uint8Array(readFileSync(fixturePath("mae_tiny.safetensors"))), "mae_tiny.safetensors");
    expect(ckpt.meta).toBeNull();
    expect(ckpt.optimizer).toBeNull();
    expect(ckpt.tensors.get("blocks.0.attn.qkv.weight")!.shape).toEqual([144, 48]);
    expect(ckpt.tensors.has("cls_token")).toBe(true);
  });

  it("names the problem in bad metadata", () => {
    const withMeta = (m: string) => writeSafetensors({ a: { dtype: "F32", shape: [1], data: [1] } }, { [META_KEY]: m });
    const err = (m: string) => {
      try {
        decodeCheckpoint(withMeta(m), "run.safetensors");
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointError);
        return (e as Error).message;
      }
      throw new Error("no error");
    };
    expect(err("{oops")).toMatch(/^run\.safetensors: __metadata__\.maskau is not valid JSON/);
    expect(err("[]")).toMatch(/is not a JSON object/);
    expect(err(JSON.stringify({ format: "other", version: 1, model: "m", config: {} }))).toMatch(/format "other", expected "maskau-checkpoint"/);
    expect(err(JSON.stringify({ format: "maskau-checkpoint", version: 9, model: "m", config: {} }))).toMatch(/version 9; this MaskAU reads up to version 1/);
    expect(err(JSON.stringify({ format: "maskau-checkpoint", version: 1, config: {} }))).toMatch(/lacks the model kind/);
    expect(err(JSON.stringify({ format: "maskau-checkpoint", version: 1, model: "m" }))).toMatch(/lacks the model config/);
    expect(err(JSON.stringify({ format: "maskau-checkpoint", version: 1, model: "m", config: {}, step: "3" }))).toMatch(/non-numeric "step"/);
    expect(err(JSON.stringify({ format: "maskau-checkpoint", version: 1, model: "m", config: {}, trainer: { step: -1 } }))).toMatch(/trainer\.step/);
  });

  it("refuses to encode inconsistent inputs", () => {
    expect(() => encodeCheckpoint(new Map([["a", { shape: [3], data: new Float32Array(2) }]]), META)).toThrow(/shape \[3\] holds 3 values/);
    expect(() => encodeCheckpoint(new Map([["optimizer.x", { shape: [1], data: new Float32Array(1) }]]), META)).toThrow(/reserved prefix/);
    expect(() => encodeCheckpoint(state(), { ...META, model: "" })).toThrow(/model kind/);
    expect(() => encodeCheckpoint(state(), META, { step: 1, buffers: {} })).toThrow(/without trainer state/);
  });

  it("a truncated checkpoint is a SafetensorsError, never a partial load", () => {
    const bytes = encodeCheckpoint(state(), META);
    expect(() => decodeCheckpoint(bytes.slice(0, bytes.length - 1), "cut.safetensors")).toThrow(SafetensorsError);
  });
});

describe("ParamStore.load reports by name", () => {
  beforeAll(async () => {
    await initNodeBackend("cpu");
  });

  function store(): ParamStore {
    const s = new ParamStore();
    s.add("fc.weight", tf.zeros([2, 3]));
    s.add("fc.bias", tf.zeros([2]));
    s.add("bn.num_batches_tracked", tf.zeros([], "int32"), { trainable: false });
    return s;
  }

  it("loads a matching checkpoint exactly (I64 buffer included)", async () => {
    const s = store();
    const all = state();
    const ckpt = decodeCheckpoint(encodeCheckpoint(new Map([...all].filter(([n]) => s.has(n))), META));
    expect(s.load(ckpt.tensors)).toEqual({ missing: [], unexpected: [], misShaped: [] });
    const back = await s.stateDict();
    expect(back.get("fc.weight")!.data).toEqual(all.get("fc.weight")!.data);
    expect(back.get("bn.num_batches_tracked")!.data).toEqual(Int32Array.from([42]));
    s.dispose();
  });

  it("strict: missing, unexpected and mis-shaped keys are named and nothing is assigned", async () => {
    const s = store();
    const tensors = new Map<string, TensorData>([
      ["fc.weight", { shape: [3, 2], data: new Float32Array(6).fill(9) }],
      ["fc.extra", { shape: [1], data: new Float32Array(1) }],
      ["bn.num_batches_tracked", { shape: [], data: Int32Array.from([5]) }],
    ]);
    let error: CheckpointMismatchError | undefined;
    try {
      s.load(tensors, { source: "bad.safetensors" });
    } catch (e) {
      error = e as CheckpointMismatchError;
    }
    expect(error).toBeInstanceOf(CheckpointMismatchError);
    expect(error!.report).toEqual({
      missing: ["fc.bias"],
      unexpected: ["fc.extra"],
      misShaped: [{ name: "fc.weight", expected: [2, 3], got: [3, 2] }],
    });
    expect(error!.message).toMatch(/bad\.safetensors.*missing 1: fc\.bias.*unexpected 1: fc\.extra.*fc\.weight expected \[2,3\] got \[3,2\]/);
    // Refused as a whole: even the matching buffer kept its old value.
    expect((await s.stateDict()).get("bn.num_batches_tracked")!.data).toEqual(Int32Array.from([0]));
    // strict: false loads the matching tensors only and returns the same report.
    const report = s.load(tensors, { strict: false });
    expect(report.missing).toEqual(["fc.bias"]);
    const after = await s.stateDict();
    expect(after.get("bn.num_batches_tracked")!.data).toEqual(Int32Array.from([5]));
    expect(after.get("fc.weight")!.data).toEqual(new Float32Array(6));
    s.dispose();
  });
});

describe("resuming from a checkpoint", () => {
  beforeAll(async () => {
    await initNodeBackend("cpu");
  });

  const CONFIG: TrainerConfig = { steps: 6, lr: 0.05, minLr: 0.001, warmupSteps: 2, clipNorm: 5 };

  function task(): TrainTask & { dispose(): void } {
    const w = tf.variable(tf.zeros([3, 1]), true, `w_${Math.random()}`);
    const b = tf.variable(tf.zeros([1]), true, `b_${Math.random()}`);
    const trueW = tf.tensor2d([[1], [-2], [0.5]]);
    return {
      variables: { "head.weight": w, "head.bias": b },
      loss(step) {
        const x = tf.randomNormal([8, 3], 0, 1, "float32", 500 + step);
        const y = tf.add(tf.matMul(x, trueW), 0.3);
        return { loss: tf.mean(tf.square(tf.sub(tf.add(tf.matMul(x, w), b), y))) as tf.Scalar };
      },
      dispose: () => tf.dispose([w, b, trueW]),
    };
  }

  it("continues exactly where an uninterrupted run would be", async () => {
    const straight = task();
    const full = new Trainer(straight, CONFIG, new AdamW({ weightDecay: 5e-4 }));
    await full.run();
    const expected = await full.state();

    const first = task();
    let saved: Uint8Array | undefined;
    const buffers = new Map<string, TensorData>([["bn.num_batches_tracked", { shape: [], data: Int32Array.from([3]) }]]);
    const t1 = new Trainer(first, CONFIG, new AdamW({ weightDecay: 5e-4 }), {
      onCheckpoint: (s: TrainState) => void (saved = encodeTrainState(s, { model: "regression", config: { in: 3 }, seed: 1, createdBy: "test" }, buffers)),
    });
    await t1.run(3);
    const ckpt = decodeCheckpoint(saved!, "resume.safetensors");
    expect(ckpt.meta!.trainer!.step).toBe(3);
    expect(ckpt.meta!.step).toBe(3);
    expect(ckpt.meta!.trainer!.variables).toEqual(["head.weight", "head.bias"]);
    expect(Object.keys(ckpt.optimizer!.buffers).sort()).toEqual(
      ["head.bias.exp_avg", "head.bias.exp_avg_sq", "head.weight.exp_avg", "head.weight.exp_avg_sq"],
    );
    expect(ckpt.tensors.has("optimizer.head.bias.exp_avg")).toBe(false);
    expect(checkpointBuffers(ckpt).get("bn.num_batches_tracked")!.data).toEqual(Int32Array.from([3]));

    const second = task();
    const t2 = new Trainer(second, CONFIG, new AdamW({ weightDecay: 5e-4 }));
    t2.restore(checkpointToTrainState(ckpt));
    expect(t2.step).toBe(3);
    await t2.run();
    const resumed = await t2.state();
    for (const name of ["head.weight", "head.bias"]) expect(resumed.variables[name].values, name).toEqual(expected.variables[name].values);
    expect(resumed.optimizer).toEqual(expected.optimizer);
    expect(resumed.history.map((h) => h.loss)).toEqual(expected.history.map((h) => h.loss));
    for (const t of [straight, first, second]) t.dispose();
    for (const tr of [full, t1, t2]) tr.optimizer.dispose();
  });

  it("a weights-only checkpoint cannot resume, and says so", () => {
    const ckpt = decodeCheckpoint(encodeCheckpoint(state(), META), "weights.safetensors");
    expect(() => checkpointToTrainState(ckpt, "weights.safetensors")).toThrow(/weights\.safetensors holds no trainer state/);
  });
});

// Bugs found by fuzzing (tests/fuzz/checkpoint.test.ts), one regression test each.
describe("checkpoint: fuzzing regressions", () => {
  const meta = (extra: Record<string, unknown>) => JSON.stringify({ format: "maskau-checkpoint", version: 1, model: "m", config: {}, ...extra });
  const decodeWith = (m: string, tensors: Map<string, TensorToWrite> = new Map([["a", { dtype: "F32", shape: [1], data: [1] }]])) =>
    decodeCheckpoint(writeSafetensors(tensors, { [META_KEY]: m }), "run.safetensors");

  it("resumes a variable named __proto__ (it was dropped from the restored variables)", () => {
    const trainer = { step: 1, optimizerStep: 1, config: { steps: 2, lr: 0.1 }, history: [], variables: ["__proto__"] };
    const ckpt = decodeWith(
      meta({ trainer }),
      new Map<string, TensorToWrite>([
        ["__proto__", { dtype: "F32", shape: [2], data: [1, 2] }],
        ["optimizer.__proto__", { dtype: "F32", shape: [2], data: [3, 4] }],
      ]),
    );
    expect(Object.keys(ckpt.optimizer!.buffers)).toEqual(["__proto__"]);
    const state = checkpointToTrainState(ckpt, "run.safetensors");
    expect(Object.keys(state.variables)).toEqual(["__proto__"]);
    expect(Array.from(state.variables["__proto__"].values)).toEqual([1, 2]);
  });

  it("refuses metadata fields of the wrong type that readers use (history, metrics, createdBy, dataset, trainer.config)", () => {
    const error = (extra: Record<string, unknown>) => {
      try {
        decodeWith(meta(extra));
      } catch (e) {
        expect(e).toBeInstanceOf(CheckpointError);
        return (e as Error).message;
      }
      throw new Error("no error");
    };
    expect(error({ history: [[[]]] })).toMatch(/"history" that is not a list of objects/);
    expect(error({ history: {} })).toMatch(/"history" that is not a list of objects/);
    expect(error({ metrics: { loss: "low" } })).toMatch(/non-numeric metric "loss" \("low"\)/);
    expect(error({ createdBy: 3 })).toMatch(/"createdBy" that is not a string \(3\)/);
    expect(error({ dataset: 7 })).toMatch(/"dataset" that is neither an object nor a string/);
    const trainer = { step: 0, optimizerStep: 0, config: [], history: [], variables: [] };
    expect(error({ trainer })).toMatch(/lacks trainer\.config/);
    expect(error({ trainer: { ...trainer, config: {}, history: [1] } })).toMatch(/trainer\.history that is not a list of objects/);
    // A NaN metric is stored as null and still decodes.
    expect(decodeWith(meta({ metrics: { loss: null } })).meta!.metrics).toEqual({ loss: null });
  });

  it("a deeply nested value in the metadata is a CheckpointError with a bounded message, not a stack overflow", () => {
    const deep = "[".repeat(50_000) + "]".repeat(50_000);
    const text = `{"format":${deep},"version":1,"model":"m","config":{}}`;
    expect(() => decodeWith(text)).toThrow(CheckpointError);
    expect(() => decodeWith(text)).toThrow(/has format \[\[\[\[…\]\]\]\], expected "maskau-checkpoint"$/);
  });

  it("lists at most ten missing trainer variables", () => {
    const variables = Array.from({ length: 5000 }, (_, i) => `w${i}`);
    const ckpt = decodeWith(meta({ trainer: { step: 0, optimizerStep: 0, config: {}, history: [], variables } }));
    expect(() => checkpointToTrainState(ckpt, "run.safetensors")).toThrow(/lists 5000 tensors the file lacks: "w0", "w1", .*"w9", \.\.\.$/);
  });
});

describe("atomic checkpoint files", () => {
  const dir = mkdtempSync(join(tmpdir(), "maskau-ckpt-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it("writes and reads back a checkpoint file", async () => {
    const path = join(dir, "a.safetensors");
    await writeCheckpointFile(path, state(), META);
    const ckpt = await readCheckpointFile(path);
    expect(ckpt.tensors.get("fc.weight")).toEqual(state().get("fc.weight"));
    expect(readdirSync(dir)).toEqual(["a.safetensors"]);
    await writeFileAtomic(path, Uint8Array.from([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    expect(readdirSync(dir)).toEqual(["a.safetensors"]);
    await expect(readCheckpointFile(path)).rejects.toThrow(new RegExp(`${path.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}: file is 3 bytes`));
  });

  it("keeps the old file and leaves no temp file when the rename fails", async () => {
    const path = join(dir, "b.safetensors");
    writeFileSync(path, "old contents");
    const rename = async () => {
      throw Object.assign(new Error("simulated crash before rename"), { code: "EIO" });
    };
    await expect(writeFileAtomic(path, new Uint8Array(1000).fill(7), { fs: { rename } })).rejects.toThrow(/simulated crash/);
    expect(readFileSync(path, "utf8")).toBe("old contents");
    expect(readdirSync(dir).filter((f) => f.includes("b.safetensors"))).toEqual(["b.safetensors"]);
  });

  it("keeps the old file and leaves no temp file when writing fails midway", async () => {
    const path = join(dir, "c.safetensors");
    writeFileSync(path, "old contents");
    // A handle that writes part of the data, then fails (disk full).
    const open = (async (p: string, flags: string, mode?: number) => {
      const handle = await fsp.open(p, flags, mode);
      if (flags !== "wx") return handle;
      let calls = 0;
      return new Proxy(handle, {
        get(target, prop) {
          if (prop === "write") {
            return async (buf: Uint8Array, offset: number, length: number) => {
              if (calls++ > 0) throw Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" });
              return target.write(buf, offset, Math.min(length, 10));
            };
          }
          const v = Reflect.get(target, prop);
          return typeof v === "function" ? v.bind(target) : v;
        },
      });
    }) as typeof fsp.open;
    await expect(writeFileAtomic(path, new Uint8Array(1000), { fs: { open } })).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(path, "utf8")).toBe("old contents");
    expect(readdirSync(dir).filter((f) => f.includes("c.safetensors"))).toEqual(["c.safetensors"]);
  });

  it("fails cleanly when the directory does not exist", async () => {
    await expect(writeFileAtomic(join(dir, "missing", "d.safetensors"), new Uint8Array(4))).rejects.toThrow(/ENOENT/);
  });
});
