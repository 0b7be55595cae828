import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { faceDatasetConfig, generateFaceDataset } from "../../../src/lib/data/generate.js";
import { datasetSource, memoryDatasetCache } from "../../../src/lib/data/cache.js";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { loadDetector } from "../../../src/lib/models/detector-checkpoint.js";
import { loadMae } from "../../../src/lib/models/mae-checkpoint.js";
import { RunSession } from "../../../src/lib/runs/session.js";
import {
  DETECTOR_RUN_SETTINGS,
  detectorSessionKind,
  createDetectorRun,
  detectorRunDataConfig,
  equivalentCommand,
  evenSubset,
} from "../../../src/lib/train/detector-browser.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

describe("detector run settings", () => {
  it("reads the URL, clamps, and writes only what differs from the defaults", () => {
    const defaults = DETECTOR_RUN_SETTINGS.defaults;
    expect(DETECTOR_RUN_SETTINGS.read("")).toEqual(defaults);
    const s = DETECTOR_RUN_SETTINGS.read("?steps=12.4&batch=1&lr=0.01&eval=x&every=3");
    expect(s).toMatchObject({ steps: 12, batch: 2, lr: 0.01, every: 3, evalFrames: defaults.evalFrames });
    expect(DETECTOR_RUN_SETTINGS.query(s)).toMatchObject({ steps: "12", batch: "2", lr: "0.01", every: "3", eval: null, seed: null });
    expect(equivalentCommand(s)).toContain("--steps 12 --batch 2 --lr 0.01 --warmup 1 --seed 0");
    // By default a teacher: composites of random:0.5 faces, from the clean detector.
    expect(defaults).toMatchObject({ input: "composite", occlusion: "random:0.5", init: "clean", lr: 3e-4 });
    expect(equivalentCommand(defaults)).toContain("--occlusion random:0.5 --input composite --mae src/checkpoints/mae-tiny.safetensors --composite-variants 2");
    expect(equivalentCommand(defaults)).toContain("--init src/checkpoints/detector-tiny-clean.safetensors");
    const block = DETECTOR_RUN_SETTINGS.read("?train-occlusion=block:0.3&init=scratch&occlusion=random:0.5:2");
    expect(block).toMatchObject({ occlusion: "block:0.3", init: "scratch" });
    expect(DETECTOR_RUN_SETTINGS.query(block)).toMatchObject({ "train-occlusion": "block:0.3", init: "scratch", input: null });
    const clean = DETECTOR_RUN_SETTINGS.read("?input=clean&init=scratch");
    expect(equivalentCommand(clean)).toContain("--occlusion none --input clean --stage 1");
    expect(equivalentCommand(clean)).not.toContain("--init");
  });

  it("uses 41 subjects x 1 sequence of the default generator", () => {
    expect(detectorRunDataConfig({ frames: 20 })).toEqual(faceDatasetConfig({ preset: "bp4d", seed: 1, subjects: 41, sequencesPerSubject: 1, framesPerSequence: 20 }));
    expect(Array.from(evenSubset(Int32Array.from([0, 1, 2, 3, 4, 5]), 3))).toEqual([0, 2, 4]);
    expect(Array.from(evenSubset(Int32Array.from([7, 8]), 3))).toEqual([7, 8]);
  });
});

describe("createDetectorRun", () => {
  it("trains with the CLI's task and Trainer, evaluates a held-out subset, and frees everything", async () => {
    const ds = generateFaceDataset({ ...detectorRunDataConfig({ frames: 1 }), subjects: 6 });
    const before = tf.memory().numTensors;
    const steps: number[] = [];
    const run = await createDetectorRun({ input: "clean", init: "scratch", steps: 3, batch: 4, evalFrames: 8 }, ds, {}, { callbacks: { onStep: (r) => void steps.push(r.step) } });
    expect(run.evalSet.length).toBe(2);
    for (const f of run.evalSet) expect(ds.fold[f]).toBe(0);
    for (const f of run.train) expect(ds.fold[f]).not.toBe(0);
    expect(await run.trainer.run()).toBe("completed");
    expect(steps).toEqual([1, 2, 3]);
    expect(run.trainer.history.every((h) => Number.isFinite(h.loss))).toBe(true);
    const ev = await run.evaluate();
    expect(ev.frames).toBe(2);
    expect(ev.f1).toHaveLength(ds.aus.length);
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

const shipped = (name: string) => new Uint8Array(readFileSync(`src/checkpoints/${name}`));

describe("a teacher run of the page", () => {
  it("trains on the shipped MAE's composites from the clean detector; its checkpoint loads with the composite condition", async () => {
    const ds = generateFaceDataset({ ...detectorRunDataConfig({ frames: 1 }), subjects: 6 });
    const { mae } = loadMae(shipped("mae-tiny.safetensors"));
    const cleanBytes = shipped("detector-tiny-clean.safetensors");
    const clean = decodeCheckpoint(cleanBytes).tensors;
    const before = tf.memory().numTensors;
    const messages: string[] = [];
    const run = await createDetectorRun({ occlusion: "block:0.3", steps: 2, batch: 4, evalFrames: 8 }, ds, { mae, clean }, { progress: (m) => void messages.push(m) });
    expect(run.spec).toMatchObject({ input: "composite", occlusion: "block:0.3", compositeVariants: 2, mae: { path: "shipped:mae-tiny.safetensors" }, init: { path: "shipped:detector-tiny-clean.safetensors" } });
    expect(messages.some((m) => /^MAE composites of the train 1\/2 faces \(block:0\.3\): 0 \/ \d+…$/.test(m))).toBe(true);
    expect(messages.some((m) => /^MAE composites of the held-out faces/.test(m))).toBe(true);
    // It starts from the clean detector's weights.
    const start = await run.detector.stateDict();
    const name = "global_linear.fc.weight";
    expect(Array.from(start.get(name)!.data as Float32Array)).toEqual(Array.from(clean.get(name)!.data as Float32Array));
    expect(await run.trainer.run()).toBe("completed");
    const ev = await run.evaluate();
    expect(ev.frames).toBe(run.evalSet.length);
    // The downloadable checkpoint: loadDetector reads it, its metadata names the composite condition.
    const bytes = await run.encodeState(await run.trainer.state());
    const loaded = loadDetector(bytes, { source: "the download" });
    const config = loaded.meta.config as { condition: { input: string; occlusion: string }; train: { init: string } };
    expect(config.condition).toMatchObject({ input: "composite", occlusion: "block:0.3" });
    expect(config.train.init).toBe("shipped:detector-tiny-clean.safetensors");
    expect(loaded.meta.step).toBe(2);
    expect(loaded.meta.createdBy).toContain("--input composite");
    loaded.detector.dispose();
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
    mae.dispose();
  });
});

describe("the Teacher page's session", () => {
  it("measures the held-out F1 and the graph at step 0, every few steps and at the end", async () => {
    const session = new RunSession(detectorSessionKind({ datasets: datasetSource(memoryDatasetCache()) }), { yieldTurn: async () => {}, warn: () => {} });
    await session.start({ input: "clean", init: "scratch", steps: 5, batch: 4, every: 2, evalFrames: 8, frames: 1 });
    const s = session.state;
    expect(s).toMatchObject({ status: "completed", step: 5, storage: null, savedStep: null });
    expect(s.evals.map((e) => e.step)).toEqual([0, 2, 4, 5]);
    expect(s.aus).toHaveLength(12);
    expect(s.graph).toMatchObject({ step: 5, head: "anfl", faces: 8 });
    expect(s.message).toMatch(/^Finished 5 steps; held-out mean F1 \d+\.\d%\.$/);
    session.dispose();
  });
});
