// The Student & KD page's run: settings through the URL, the run layer's student run on
// the pages' dataset with a freshly built stage-2 teacher (the shipped ones are not needed
// to test the wiring), loss terms and per-module gradient norms at every step, the
// teacher-student comparison at step 0, every N steps and the end, and a run paused,
// saved and resumed after a reload ending exactly as an uninterrupted one (weights,
// BatchNorm statistics, losses).
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { datasetSource, memoryDatasetCache } from "../../../src/lib/data/cache.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { createDetector, detectorConfig, type Detector } from "../../../src/lib/models/detector.js";
import { createMae } from "../../../src/lib/models/mae.js";
import { RunSession } from "../../../src/lib/runs/session.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { memoryRunStore } from "../../../src/lib/train/run-store.js";
import {
  createStudentRun,
  equivalentCommand,
  STUDENT_RUN_SETTINGS,
  studentModule,
  studentRunDataConfig,
  studentSessionKind,
  type StudentMeasures,
  type StudentPageRun,
  type StudentRunSettings,
} from "../../../src/lib/train/student-browser.js";

let teacher: Detector;
const mae = () => createMae(MAE_PRESETS.tiny, { seed: 3 });

beforeAll(async () => {
  await initNodeBackend("wasm");
  teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: 12 }), { seed: 7 });
});

describe("student run settings", () => {
  it("read the URL (occlusion, T, encoder), clamp, and write only what differs from the defaults", () => {
    const d = STUDENT_RUN_SETTINGS.defaults;
    expect(STUDENT_RUN_SETTINGS.read("")).toEqual(d);
    const s = STUDENT_RUN_SETTINGS.read("?occlusion=block:0.3&alpha=0&beta=0.5&T=4&encoder=frozen&steps=12.4&batch=1&occlusion2=x");
    expect(s).toMatchObject({ occlusion: "block:0.3", alpha: 0, beta: 0.5, temperature: 4, encoder: "frozen", steps: 12, batch: 2 });
    expect(STUDENT_RUN_SETTINGS.read("?occlusion=random:0.9&encoder=thawed")).toMatchObject({ occlusion: "random:0.5", encoder: "finetune" });
    expect(STUDENT_RUN_SETTINGS.query(s)).toMatchObject({ occlusion: "block:0.3", T: "4", encoder: "frozen", lr: null });
    expect(() => STUDENT_RUN_SETTINGS.normalize({ occlusion: "none" as never })).toThrow(/unknown occlusion "none": choose random:0.5, block:0.3/);
    expect(equivalentCommand(s)).toBe(
      "maskau train student --fold 1 --occlusion block:0.3 --mae src/checkpoints/mae-tiny.safetensors --teacher src/checkpoints/teacher-tiny-mefl-block0.3.safetensors " +
        "--alpha 0 --beta 0.5 --temperature 4 --encoder frozen --steps 12 --batch 2 --lr 0.001 --warmup 1 --seed 0",
    );
  });

  it("groups the student's parameters by module", () => {
    expect(["backbone.blocks.0.attn.qkv.weight", "align.fc1.weight", "global_linear.fc.weight", "head.gnn.U1.weight", "other"].map(studentModule)).toEqual(["encoder", "alignment", "head", "head", null]);
  });
});

describe("createStudentRun", () => {
  it("distils with the run layer's task, reports loss terms and module gradient norms, and compares on held-out faces", async () => {
    const ds = generateFaceDataset({ ...studentRunDataConfig({ frames: 1 }), subjects: 6 });
    const before = tf.memory().numTensors;
    const composites = mae();
    const messages: string[] = [];
    const run = await createStudentRun({ steps: 2, batch: 2, evalFrames: 8 }, ds, { mae: composites, studentMae: mae(), teacher }, { progress: (m) => messages.push(m) });
    expect(messages.some((m) => /^MAE composites for the teacher \(train 1\/2\): 0 \/ 4 faces/.test(m))).toBe(true);
    expect(run.evalSet.length).toBe(2);
    for (const f of run.evalSet) expect(ds.fold[f]).toBe(0);
    for (const f of run.trainFrames) expect(ds.fold[f]).not.toBe(0);
    expect(run.spec).toMatchObject({ kind: "student", occlusion: "random:0.5", compositeVariants: 2, teacher: { path: "shipped:teacher-tiny-mefl-random0.5.safetensors" } });
    // The held-out set: occluded faces for the student, composites and outputs of the teacher.
    const h = run.heldOut;
    expect(h.occluded.length).toBe(2 * 64 * 64 * 3);
    expect(h.teacher.prob.length).toBe(2 * 12);
    expect(h.teacher.edgeProb.length).toBe(2 * 144 * 4);
    expect(await run.trainer.run()).toBe("completed");
    for (const r of run.trainer.history) {
      expect(Object.keys(r.metrics).sort()).toEqual(["kdEdge", "kdNode", "lossAU", "lossEdge"]);
      expect(Object.keys(r.gradNorms!)).toEqual(["encoder", "alignment", "head"]);
      for (const v of Object.values(r.gradNorms!)) expect(v).toBeGreaterThan(0);
    }
    run.dispose();
    composites.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a frozen encoder has no gradient norm", async () => {
    const ds = generateFaceDataset({ ...studentRunDataConfig({ frames: 1 }), subjects: 6 });
    const composites = mae();
    const run = await createStudentRun({ steps: 1, batch: 2, evalFrames: 8, encoder: "frozen", occlusion: "block:0.3" }, ds, { mae: composites, studentMae: mae(), teacher });
    await run.trainer.run();
    expect(Object.keys(run.trainer.history[0].gradNorms!)).toEqual(["alignment", "head"]);
    run.dispose();
    composites.dispose();
  });
});

describe("the Student & KD page's session", () => {
  it("compares at 0, every N and the end; a run paused, saved and resumed after a reload ends as an uninterrupted one", async () => {
    const settings: StudentRunSettings = { ...STUDENT_RUN_SETTINGS.defaults, steps: 4, batch: 2, frames: 1, every: 3, evalFrames: 8, seed: 5 };
    const composites = mae();
    const kind = studentSessionKind({
      datasets: datasetSource(memoryDatasetCache()),
      backend: "wasm",
      models: async () => ({ mae: composites, studentEncoder: mae, teacher: async () => teacher }),
    });
    const options = { yieldTurn: async () => {}, warn: () => {} };

    const whole = new RunSession(kind, options);
    await whole.start(settings);
    expect(whole.state).toMatchObject({ status: "completed", step: 4 });
    expect(whole.state.evals.map((e) => e.step)).toEqual([0, 3, 4]);
    const latest = whole.state.latest!;
    expect(latest.step).toBe(4);
    expect(latest.klPerAu).toHaveLength(12);
    expect(latest.klPerFace).toHaveLength(whole.state.heldOut!.frames.length);
    expect(latest.meanKl).toBeCloseTo(latest.klPerAu.reduce((a, v) => a + v, 0) / 12, 6);
    // The teacher is frozen: its F1 is the same at every comparison.
    expect(new Set(whole.state.evals.map((e) => e.teacherMeanF1)).size).toBe(1);
    expect(whole.state.history.every((p) => p.metrics?.kdNode !== undefined && p.gradNorms?.head !== undefined)).toBe(true);
    const wholeBytes = (await whole.checkpoint())!;
    whole.dispose();

    const store = memoryRunStore();
    let first!: RunSession<StudentRunSettings, StudentPageRun, StudentMeasures>;
    const pausing = { ...kind, measureDue: (t: { step: number }) => (t.step === 2 && first.pause(), false) };
    first = new RunSession(pausing, { ...options, store, key: "student", backend: "wasm" });
    await first.init();
    await first.start(settings);
    expect(first.state).toMatchObject({ status: "paused", step: 2, savedStep: 2 });
    first.dispose();

    const reloaded = new RunSession(kind, { ...options, store, key: "student", backend: "wasm" });
    await reloaded.init();
    expect(reloaded.state.offer).toMatchObject({ step: 2, settings });
    await reloaded.resume();
    expect(reloaded.state).toMatchObject({ status: "completed", step: 4, savedStep: 4 });
    // Comparisons start again at the resumed step; the per-step curves came back with the run.
    expect(reloaded.state.evals.map((e) => e.step)).toEqual([2, 3, 4]);
    expect(reloaded.state.history.map((h) => h.loss)).toEqual(whole.state.history.map((h) => h.loss));
    expect(reloaded.state.history.map((h) => h.metrics)).toEqual(whole.state.history.map((h) => h.metrics));
    // Same weights and BatchNorm statistics as the uninterrupted run.
    const a = decodeCheckpoint(wholeBytes).tensors;
    const b = decodeCheckpoint((await reloaded.checkpoint())!).tensors;
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());
    for (const [name, t] of a) expect(Array.from(b.get(name)!.data), name).toEqual(Array.from(t.data));
    expect(reloaded.state.latest!.klPerAu).toEqual(latest.klPerAu);
    reloaded.dispose();
    composites.dispose();
  });
});
