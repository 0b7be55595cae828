// The run layer: specs take the registry's defaults and are checked; createRun builds a
// run whose checkpoints record the spec, whose composite input reads the composite
// source it is given, and which resumes exactly; nothing leaks.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { FrameImages } from "../../../src/lib/data/frames.js";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { formatOcclusion } from "../../../src/lib/masks/spec.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { DETECTOR_DEFAULTS } from "../../../src/lib/registry.js";
import { createRun, describeData, type CompositeSource } from "../../../src/lib/runs/create.js";
import { detectorSpec, pretrainSpec } from "../../../src/lib/runs/spec.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

const data = { source: "synthetic", seed: 2, size: 64, generator: { subjects: 6, sequencesPerSubject: 1, framesPerSequence: 4 } };
let dataset: ReturnType<typeof generateFaceDataset>;

beforeAll(async () => {
  await initNodeBackend("wasm");
  dataset = generateFaceDataset({ preset: "bp4d", seed: 2, size: 64, subjects: 6, sequencesPerSubject: 1, framesPerSequence: 4 });
});

const resources = () => ({ dataset, dataDescription: describeData(data, dataset) });

describe("run specs", () => {
  it("take the registry's defaults for what is not given", () => {
    const s = detectorSpec({ input: "occluded", occlusion: "random:0.5" });
    expect(s.model).toBe("detector/resnet-tiny");
    expect(s.train.lr).toBe(DETECTOR_DEFAULTS.lr);
    expect(s.lambda).toBe(0.01);
    expect(detectorSpec({ occlusion: "random:0.5" }).occlusion).toBe("none"); // clean input reads no occlusion
    expect(pretrainSpec().maskRatio).toBe(0.75);
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain data
  });

  it("refuse what cannot run, naming the problem", () => {
    expect(() => detectorSpec({ input: "occluded" })).toThrow(/needs an occlusion/);
    expect(() => detectorSpec({ input: "composite", occlusion: "block:0.3" })).toThrow(/needs the MAE/);
    expect(() => detectorSpec({ train: { steps: 0 } })).toThrow(/steps must be a positive integer/);
    expect(() => pretrainSpec({ maskRatio: 1 })).toThrow(/mask ratio/);
    expect(() => detectorSpec({ model: "mae/tiny" as never })).toThrow(/unknown model/);
  });
});

describe("createRun", () => {
  it("a detector run records its spec in the final checkpoint, evaluates the test fold and leaks nothing", async () => {
    const before = tf.memory().numTensors;
    const spec = detectorSpec({ data, fold: 1, seed: 1, train: { steps: 2, batch: 4, warmup: 0 } });
    const saved: { step: number; final: boolean; bytes: Uint8Array }[] = [];
    const run = await createRun(spec, resources(), { createdBy: "test", save: async (bytes, info) => void saved.push({ ...info, bytes }) });
    expect(await run.run()).toBe("completed");
    expect(run.evaluation?.frames).toBe(run.testFrames.length);
    const final = saved.at(-1)!;
    expect(final).toMatchObject({ step: 2, final: true });
    const meta = decodeCheckpoint(final.bytes).meta as unknown as { spec: unknown; modelName: string; metrics: Record<string, number>; createdBy: string };
    expect(meta.spec).toEqual(spec);
    expect(meta.modelName).toBe("detector/resnet-tiny");
    expect(meta.createdBy).toBe("test");
    expect(meta.metrics.meanF1).toBeCloseTo(run.evaluation!.meanF1, 12);
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("the composite input reads the composite source: every variant for training, variant 0 for the test fold", async () => {
    const mae = createMae(MAE_PRESETS.tiny, { seed: 3 });
    const asked: string[] = [];
    const composites: CompositeSource = async (frames, occlusion, variant) => {
      asked.push(`${formatOcclusion(occlusion)} v${variant} ${frames.length}`);
      return new FrameImages(frames, new Uint8Array(frames.length * 64 * 64 * 3).fill(128), 64);
    };
    const spec = detectorSpec({ data, input: "composite", occlusion: "block:0.3", mae: { path: "mae.safetensors" }, compositeVariants: 2, train: { steps: 1, batch: 2, warmup: 0 } });
    const run = await createRun(spec, { ...resources(), mae, composites }, { createdBy: "test" });
    expect(asked).toEqual([`block:0.3 v0 ${run.trainFrames.length}`, `block:0.3 v1 ${run.trainFrames.length}`, `block:0.3 v0 ${run.testFrames.length}`]);
    expect(run.condition.patch).toBe(8);
    run.dispose();
    mae.dispose();
  });

  it("a pretraining run restored from its checkpoint at step 2 ends as the uninterrupted run", async () => {
    const spec = pretrainSpec({ data, fold: 1, seed: 4, train: { steps: 4, batch: 2, warmup: 1, checkpointEvery: 2 } });
    const whole = await createRun(spec, resources(), { createdBy: "test" });
    await whole.run();
    let at2: Uint8Array | undefined;
    const first = await createRun(spec, resources(), { createdBy: "test", save: async (bytes, { step }) => void (step === 2 && (at2 = bytes)) });
    await first.run(2);
    first.dispose();
    const second = await createRun(spec, resources(), { createdBy: "test" });
    second.restore(decodeCheckpoint(at2!));
    expect(second.trainer.step).toBe(2);
    await second.run();
    const a = await whole.mae.params.stateDict();
    const b = await second.mae.params.stateDict();
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
    expect(decodeCheckpoint(at2!).meta?.dataset).toMatchObject({ kind: "synthetic", heldOutFold: 1 });
    whole.dispose();
    second.dispose();
  });
});
