// The student run: the teacher is frozen (no gradient, BatchNorm statistics untouched),
// every trainable parameter of the student gets a gradient, the head starts from the
// teacher's, alpha = 0 leaves only the student's own losses, a run resumes exactly, and
// nothing leaks.
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { MAE_PRESETS } from "../../../src/lib/config.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { decodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { createDetector, detectorConfig } from "../../../src/lib/models/detector.js";
import { createMae } from "../../../src/lib/models/mae.js";
import type { TensorData } from "../../../src/lib/models/params.js";
import type { TrainSettings } from "../../../src/lib/registry.js";
import { createRun, describeData, isEncoderParam } from "../../../src/lib/runs/create.js";
import { studentSpec, type StudentSpec } from "../../../src/lib/runs/spec.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

const data = { source: "synthetic", seed: 2, size: 64, generator: { subjects: 6, sequencesPerSubject: 1, framesPerSequence: 3 } };
let dataset: ReturnType<typeof generateFaceDataset>;

beforeAll(async () => {
  await initNodeBackend("wasm");
  dataset = generateFaceDataset({ preset: "bp4d", seed: 2, size: 64, subjects: 6, sequencesPerSubject: 1, framesPerSequence: 3 });
});

const spec = (p: Partial<Omit<StudentSpec, "train">> & { train?: Partial<TrainSettings> } = {}) =>
  studentSpec({ data, mae: { path: "mae.safetensors" }, teacher: { path: "teacher.safetensors" }, compositeVariants: 2, ...p, train: { steps: 2, batch: 2, warmup: 0, ...p.train } });

/** A stage-2 teacher and the MAE (twice: composites, student encoder), all seeded. */
function parts() {
  const teacher = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: dataset.aus.length }), { seed: 7 });
  return { teacher, mae: createMae(MAE_PRESETS.tiny, { seed: 3 }), studentMae: createMae(MAE_PRESETS.tiny, { seed: 3 }) };
}

async function snapshot(state: Promise<Map<string, TensorData>>): Promise<Map<string, number[]>> {
  return new Map([...(await state)].map(([n, t]) => [n, Array.from(t.data)]));
}

describe("student run", () => {
  it("freezes the teacher, trains every student parameter, starts the head from the teacher's", async () => {
    const before = tf.memory().numTensors;
    const { teacher, mae, studentMae } = parts();
    const teacherBefore = await snapshot(teacher.stateDict());
    const run = await createRun(spec(), { dataset, dataDescription: describeData(data, dataset), teacher, mae, studentMae }, { createdBy: "test" });
    // The head starts as the teacher's.
    const studentState = await run.student.stateDict();
    for (const [name, values] of teacherBefore) if (!name.startsWith("backbone.")) expect(Array.from(studentState.get(name)!.data), name).toEqual(values);
    // Every trainable parameter of the student gets a nonzero gradient; the encoder is among them.
    const vars = run.task.variables;
    expect(Object.keys(vars).some(isEncoderParam)).toBe(true);
    const gradMax = tf.tidy(() => {
      const { grads } = tf.variableGrads(() => run.task.loss(0).loss, Object.values(vars));
      return Object.fromEntries(Object.entries(vars).map(([name, v]) => [name, grads[v.name] ? tf.max(tf.abs(grads[v.name])).dataSync()[0] : -1]));
    });
    for (const name of Object.keys(vars)) expect(gradMax[name], name).toBeGreaterThan(0);
    run.student.discardBatchNorm();
    await run.run();
    expect(run.trainer.step).toBe(2);
    // The teacher's weights and BatchNorm statistics did not move.
    const teacherAfter = await snapshot(teacher.stateDict());
    for (const [name, values] of teacherBefore) expect(teacherAfter.get(name), name).toEqual(values);
    run.dispose();
    teacher.dispose();
    mae.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it("a frozen encoder is not trained; alpha = 0 leaves L_AU + lambda L_E", async () => {
    const { teacher, mae, studentMae } = parts();
    const run = await createRun(spec({ encoder: "frozen", alpha: 0 }), { dataset, dataDescription: describeData(data, dataset), teacher, mae, studentMae }, { createdBy: "test" });
    expect(Object.keys(run.task.variables).some(isEncoderParam)).toBe(false);
    const { loss, metrics } = run.task.loss(0);
    const [l, au, edge, kdNode] = await Promise.all([loss, metrics!.lossAU, metrics!.lossEdge, metrics!.kdNode].map((t) => t.data()));
    expect(l[0]).toBeCloseTo(au[0] + 0.01 * edge[0], 6);
    expect(kdNode[0]).toBeGreaterThan(0); // measured, weighted by alpha = 0
    tf.dispose([loss, ...Object.values(metrics!)]);
    run.student.discardBatchNorm();
    run.dispose();
    teacher.dispose();
    mae.dispose();
  });

  it("resumes exactly: 1 + 1 steps through a checkpoint equal 2 steps", async () => {
    const s = spec({ train: { steps: 2, batch: 2, warmup: 0, checkpointEvery: 1 } });
    const whole = parts();
    const a = await createRun(s, { dataset, dataDescription: describeData(data, dataset), ...whole }, { createdBy: "test" });
    await a.run();
    const first = parts();
    let at1: Uint8Array | undefined;
    const b1 = await createRun(s, { dataset, dataDescription: describeData(data, dataset), ...first }, { createdBy: "test", save: async (bytes, { step }) => void (step === 1 && (at1 = bytes)) });
    await b1.run(1);
    b1.dispose();
    first.teacher.dispose();
    first.mae.dispose();
    const second = parts();
    const b2 = await createRun(s, { dataset, dataDescription: describeData(data, dataset), ...second }, { createdBy: "test" });
    b2.restore(decodeCheckpoint(at1!));
    await b2.run();
    const wa = await a.student.stateDict();
    const wb = await b2.student.stateDict();
    for (const [name, t] of wa) expect(Array.from(wb.get(name)!.data), name).toEqual(Array.from(t.data));
    expect(decodeCheckpoint(at1!).meta?.model).toBe("student");
    for (const r of [a, b2]) r.dispose();
    for (const p of [whole, second]) {
      p.teacher.dispose();
      p.mae.dispose();
    }
  });
});
