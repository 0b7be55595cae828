import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { faceDatasetConfig, generateFaceDataset } from "../../../src/lib/data/generate.js";
import { datasetSource, memoryDatasetCache } from "../../../src/lib/data/cache.js";
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
    const run = await createDetectorRun({ steps: 3, batch: 4, evalFrames: 8 }, ds, { onStep: (r) => void steps.push(r.step) });
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

describe("the Teacher page's session", () => {
  it("measures the held-out F1 and the graph at step 0, every few steps and at the end", async () => {
    const session = new RunSession(detectorSessionKind({ datasets: datasetSource(memoryDatasetCache()) }), { yieldTurn: async () => {}, warn: () => {} });
    await session.start({ steps: 5, batch: 4, every: 2, evalFrames: 8, frames: 1 });
    const s = session.state;
    expect(s).toMatchObject({ status: "completed", step: 5, storage: null, savedStep: null });
    expect(s.evals.map((e) => e.step)).toEqual([0, 2, 4, 5]);
    expect(s.aus).toHaveLength(12);
    expect(s.graph).toMatchObject({ step: 5, head: "anfl", faces: 8 });
    expect(s.message).toMatch(/^Finished 5 steps; held-out mean F1 \d+\.\d%\.$/);
    session.dispose();
  });
});
