import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { foldSplit } from "../../../src/lib/data/folds.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { heldOutSamples } from "../../../src/lib/data/page-dataset.js";
import { datasetSource, memoryDatasetCache } from "../../../src/lib/data/cache.js";
import { decodeRunState, RunSession } from "../../../src/lib/runs/session.js";
import {
  PRETRAIN_SETTINGS,
  createPretrainRun,
  heldOutMask,
  pretrainDataConfig,
  pretrainSessionKind,
  type PretrainMeasures,
  type PretrainPageRun,
  type PretrainSettings,
} from "../../../src/lib/train/mae-run.js";
import { memoryRunStore, parseSavedRun, savedRun } from "../../../src/lib/train/run-store.js";
import { formatDuration, throughput } from "../../../src/lib/train/throughput.js";
import type { TrainState } from "../../../src/lib/train/trainer.js";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

const DEFAULT_PRETRAIN_SETTINGS = PRETRAIN_SETTINGS.defaults;
const readPretrainSettings = PRETRAIN_SETTINGS.read;
const normalize = PRETRAIN_SETTINGS.normalize;

describe("pretraining settings in the URL", () => {
  it("defaults, parsing, clamping and a round trip through the query", () => {
    expect(readPretrainSettings("")).toEqual(DEFAULT_PRETRAIN_SETTINGS);
    const s = readPretrainSettings("?steps=6&batch=4&lr=0.002&mask=0.5&seed=7&frames=3&preset=tiny");
    expect(s).toEqual({ preset: "tiny", steps: 6, batch: 4, lr: 0.002, maskRatio: 0.5, seed: 7, frames: 3 });
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(PRETRAIN_SETTINGS.query(s))) if (v !== null) q.set(k, v);
    expect(readPretrainSettings(`?${q}`)).toEqual(s);
    // Defaults are left out of the query.
    expect(Object.values(PRETRAIN_SETTINGS.query(DEFAULT_PRETRAIN_SETTINGS)).every((v) => v === null)).toBe(true);
    // Out of range and invalid values.
    const bad = readPretrainSettings("?steps=-5&batch=2.6&mask=1.5&preset=huge&lr=abc&frames=9999");
    expect(bad.steps).toBe(1);
    expect(bad.batch).toBe(3);
    expect(bad.maskRatio).toBe(0.95);
    expect(bad.preset).toBe("tiny");
    expect(bad.lr).toBe(DEFAULT_PRETRAIN_SETTINGS.lr);
    expect(bad.frames).toBe(240);
  });
});

describe("held-out samples", () => {
  it("come from subjects that the browser dataset's training frames never include", () => {
    const samples = heldOutSamples(64, 6);
    expect(samples.count).toBe(6);
    expect(samples.images.length).toBe(6 * 64 * 64 * 3);
    const ds = generateFaceDataset(pretrainDataConfig({ preset: "tiny", frames: 2 }));
    const train = foldSplit(ds, 0).train;
    const trainSubjects = new Set(Array.from(train, (i) => ds.subjects[ds.subject[i]]));
    for (const s of samples.subjects) expect(trainSubjects.has(s)).toBe(false);
    // Every held-out subject still has frames in the dataset (its test fold).
    const testSubjects = new Set(Array.from(foldSplit(ds, 0).test, (i) => ds.subjects[ds.subject[i]]));
    for (const s of samples.subjects) expect(testSubjects.has(s)).toBe(true);
    // Fixed: the same faces every time.
    expect(heldOutSamples(64, 6).images).toEqual(samples.images);
  });

  it("have a fixed 50% mask", () => {
    const L = 64;
    const m = heldOutMask(6, L);
    expect(m.length).toBe(6 * L);
    for (let b = 0; b < 6; b++) expect(m.slice(b * L, (b + 1) * L).reduce((a, v) => a + v, 0)).toBe(32);
    expect(heldOutMask(6, L)).toEqual(m);
  });
});

describe("a pretraining run", () => {
  const settings: PretrainSettings = { ...DEFAULT_PRETRAIN_SETTINGS, steps: 4, batch: 2, frames: 1, seed: 3 };
  const dataset = generateFaceDataset(pretrainDataConfig(settings));

  it("saved after 2 steps and restored in a new run continues exactly as an uninterrupted run", async () => {
    const full = await createPretrainRun(settings, dataset);
    await full.trainer.run();
    const fullLosses = full.trainer.history.map((r) => r.loss);
    const fullState = await full.trainer.state();
    full.dispose();

    const store = memoryRunStore();
    let saved: TrainState | undefined;
    const first = await createPretrainRun(settings, dataset, {
      callbacks: {
        onStep: (r) => (r.step === 2 ? "stop" : undefined),
        onCheckpoint: async (state) => {
          saved = state;
        },
      },
    });
    expect(await first.trainer.run()).toBe("stopped");
    const bytes = first.encodeState(saved!);
    await store.put("run", savedRun(settings, saved!, bytes, "wasm"));
    first.dispose();

    const { run: back, problem } = parseSavedRun(await store.get("run"), normalize);
    expect(problem).toBeNull();
    expect(back!.step).toBe(2);
    expect(back!.settings).toEqual(settings);
    const meta = decodeCheckpoint(back!.checkpoint).meta!;
    expect(meta.model).toBe("mae");
    expect(meta.step).toBe(2);
    expect((meta.dataset as { heldOutFold: number }).heldOutFold).toBe(1);
    const resumed = await createPretrainRun(back!.settings, dataset, { resume: decodeRunState(back!.checkpoint) });
    expect(resumed.trainer.step).toBe(2);
    expect(await resumed.trainer.run()).toBe("completed");
    expect(resumed.trainer.history.map((r) => r.loss)).toEqual(fullLosses);
    const state = await resumed.trainer.state();
    for (const [name, v] of Object.entries(fullState.variables)) {
      expect(state.variables[name].values, name).toEqual(v.values);
    }
    resumed.dispose();
  });

  it("releases its tensors when disposed", async () => {
    const before = tf.memory().numTensors;
    const run = await createPretrainRun({ ...settings, steps: 2 }, dataset);
    await run.trainer.run();
    run.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("refuses a saved run from other settings and unusable stored values", async () => {
    const run = await createPretrainRun(settings, dataset);
    const bytes = run.encodeState(await run.trainer.state());
    run.dispose();
    await expect(createPretrainRun({ ...settings, steps: 9 }, dataset, { resume: decodeRunState(bytes) })).rejects.toThrow(/steps=4/);
    expect(parseSavedRun(undefined, normalize)).toEqual({ run: null, problem: null });
    expect(parseSavedRun({ version: 2 }, normalize).problem).toMatch(/unknown format/);
    expect(parseSavedRun({ version: 1, settings: {}, step: 1 }, normalize).problem).toMatch(/incomplete/);
    expect(parseSavedRun({ version: 1, settings: { preset: "huge" }, step: 1, totalSteps: 4, checkpoint: bytes }, normalize).problem).toMatch(/settings are invalid \(unknown MAE preset "huge"/);
    expect(MAE_PRESETS.tiny.imgSize).toBe(dataset.size);
  });
});

describe("the pretraining page's session", () => {
  it("shows reconstructions, and a run paused, saved and resumed after a reload ends as an uninterrupted one", async () => {
    const settings: PretrainSettings = { ...PRETRAIN_SETTINGS.defaults, steps: 4, batch: 2, frames: 1, seed: 5 };
    const datasets = datasetSource(memoryDatasetCache());
    const options = { yieldTurn: async () => {}, warn: () => {} };
    const kind = pretrainSessionKind({ datasets, backend: "wasm", samples: 2, refreshMs: 1e9 });

    const whole = new RunSession(kind, options);
    await whole.start(settings);
    expect(whole.state).toMatchObject({ status: "completed", step: 4 });
    expect(whole.state.reconstructions).toMatchObject({ step: 4, patch: 8 });
    expect(whole.state.reconstructions!.composite.length).toBe(2 * 64 * 64 * 3);
    const wholeBytes = (await whole.checkpoint())!;
    whole.dispose();

    const store = memoryRunStore();
    let first!: RunSession<PretrainSettings, PretrainPageRun, PretrainMeasures>;
    const pausing = { ...kind, measureDue: (t: { step: number }) => (t.step === 2 && first.pause(), false) };
    first = new RunSession(pausing, { ...options, store, key: "mae", backend: "wasm" });
    await first.init();
    await first.start(settings);
    expect(first.state).toMatchObject({ status: "paused", step: 2, savedStep: 2 });
    first.dispose();

    const reloaded = new RunSession(kind, { ...options, store, key: "mae", backend: "wasm" });
    await reloaded.init();
    expect(reloaded.state.offer).toMatchObject({ step: 2, settings });
    await reloaded.resume();
    expect(reloaded.state).toMatchObject({ status: "completed", step: 4, savedStep: 4 });
    expect(reloaded.state.history.map((h) => h.loss)).toEqual(whole.state.history.map((h) => h.loss));
    const a = decodeRunState(wholeBytes);
    const b = decodeRunState((await reloaded.checkpoint())!);
    for (const [name, v] of Object.entries(a.variables)) expect(b.variables[name].values, name).toEqual(v.values);
    reloaded.dispose();
  });
});

describe("throughput", () => {
  it("images per second and time left from wall-clock step times", () => {
    expect(throughput([{ step: 1, time: 0 }], 8, 10).imagesPerSecond).toBeNull();
    const t = throughput([{ step: 1, time: 0 }, { step: 2, time: 500 }, { step: 3, time: 1000 }], 8, 10);
    expect(t.stepsPerSecond).toBeCloseTo(2);
    expect(t.imagesPerSecond).toBeCloseTo(16);
    expect(t.etaSeconds).toBeCloseTo(3.5);
    expect(formatDuration(42.4)).toBe("42 s");
    expect(formatDuration(185)).toBe("3 min 05 s");
    expect(formatDuration(3725)).toBe("1 h 02 min");
    expect(formatDuration(null)).toBe("–");
  });
});
