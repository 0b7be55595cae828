import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import { learningRateAt } from "../../../src/lib/train/schedule.js";
import {
  NonFiniteLossError,
  Trainer,
  type Optimizer,
  type OptimizerState,
  type TrainState,
  type TrainTask,
  type TrainerConfig,
} from "../../../src/lib/train/trainer.js";

/** SGD with momentum: a small optimizer with state, so resuming must restore it. */
class MomentumSGD implements Optimizer {
  private velocity: Record<string, tf.Variable> = {};
  private t = 0;
  constructor(private readonly momentum = 0.9) {}
  update(variables: Record<string, tf.Variable>, grads: tf.NamedTensorMap, lr: number): void {
    this.t += 1;
    tf.tidy(() => {
      for (const [name, v] of Object.entries(variables)) {
        this.velocity[name] ??= tf.variable(tf.zerosLike(v), false);
        const vel = this.velocity[name];
        vel.assign(tf.add(tf.mul(vel, this.momentum), grads[name]));
        v.assign(tf.sub(v, tf.mul(vel, lr)));
      }
    });
  }
  getState(): OptimizerState {
    const buffers: OptimizerState["buffers"] = {};
    for (const [k, v] of Object.entries(this.velocity)) buffers[k] = { shape: v.shape, values: v.dataSync() as Float32Array };
    return { step: this.t, buffers };
  }
  setState(state: OptimizerState): void {
    this.dispose();
    this.t = state.step;
    for (const [k, b] of Object.entries(state.buffers)) this.velocity[k] = tf.variable(tf.tensor(b.values, b.shape), false);
  }
  dispose(): void {
    Object.values(this.velocity).forEach((v) => v.dispose());
    this.velocity = {};
  }
}

/** Linear regression whose batch for step t depends only on t (as real tasks do). */
function regressionTask(): TrainTask & { dispose(): void } {
  const w = tf.variable(tf.zeros([4, 1]), true, `w_${Math.random()}`);
  const b = tf.variable(tf.zeros([1]), true, `b_${Math.random()}`);
  const trueW = tf.tensor2d([[1], [-2], [0.5], [3]]);
  return {
    variables: { w, b },
    loss(step) {
      const x = tf.randomNormal([16, 4], 0, 1, "float32", 1000 + step);
      const y = tf.add(tf.matMul(x, trueW), 0.7);
      const pred = tf.add(tf.matMul(x, w), b);
      const loss = tf.mean(tf.square(tf.sub(pred, y))) as tf.Scalar;
      return { loss, metrics: { bias: tf.mean(b) as tf.Scalar } };
    },
    dispose() {
      tf.dispose([w, b, trueW]);
    },
  };
}

const CONFIG: TrainerConfig = { steps: 12, lr: 0.05, minLr: 0.001, warmupSteps: 3, clipNorm: 5, checkpointEvery: 4 };

describe("Trainer", () => {
  beforeAll(async () => {
    await initNodeBackend("wasm");
  });

  it("learns, reports each step and checkpoints on schedule", async () => {
    const task = regressionTask();
    const checkpoints: number[] = [];
    const trainer = new Trainer(task, CONFIG, new MomentumSGD(), {
      onCheckpoint: (s) => void checkpoints.push(s.step),
    });
    expect(await trainer.run()).toBe("completed");
    const losses = trainer.history.map((r) => r.loss);
    expect(losses).toHaveLength(12);
    expect(losses[11]).toBeLessThan(losses[0] * 0.5);
    expect(trainer.history[11].metrics.bias).toBeGreaterThan(0.1); // the intercept (0.7) is being learned
    expect(trainer.history.every((r) => r.gradNorm !== undefined && r.gradNorm > 0)).toBe(true);
    expect(checkpoints).toEqual([4, 8, 12]);
    task.dispose();
  });

  it("follows warmup then cosine decay", () => {
    const s = { lr: 1, minLr: 0.1, warmupSteps: 4, totalSteps: 14 };
    expect(learningRateAt(0, s)).toBeCloseTo(0.25);
    expect(learningRateAt(3, s)).toBeCloseTo(1);
    expect(learningRateAt(4, s)).toBeCloseTo(1);
    expect(learningRateAt(9, s)).toBeCloseTo(0.55); // halfway through decay: (1 + 0.1) / 2
    expect(learningRateAt(14, s)).toBeCloseTo(0.1);
  });

  it("resumes exactly: 5 + 7 steps equal 12 uninterrupted steps", async () => {
    const straight = regressionTask();
    const a = new Trainer(straight, CONFIG, new MomentumSGD());
    await a.run();
    const expected = await a.state();

    const first = regressionTask();
    let saved: TrainState | undefined;
    const b1 = new Trainer(first, CONFIG, new MomentumSGD(), { onCheckpoint: (s) => void (saved = s) });
    expect(await b1.run(5)).toBe("stopped");
    expect(saved?.step).toBe(5);

    const second = regressionTask();
    const b2 = new Trainer(second, CONFIG, new MomentumSGD());
    b2.restore(saved!);
    await b2.run();
    const resumed = await b2.state();
    expect(resumed.step).toBe(12);
    for (const name of ["w", "b"]) expect(Array.from(resumed.variables[name].values)).toEqual(Array.from(expected.variables[name].values));
    expect(resumed.history.map((r) => r.loss)).toEqual(expected.history.map((r) => r.loss));
    [straight, first, second].forEach((t) => t.dispose());
  });

  it("stops early when a callback says so", async () => {
    const task = regressionTask();
    const trainer = new Trainer(task, CONFIG, new MomentumSGD(), { onStep: (r) => (r.step === 3 ? "stop" : undefined) });
    expect(await trainer.run()).toBe("stopped");
    expect(trainer.step).toBe(3);
    task.dispose();
  });

  it("stops with a clear error on a non-finite loss and leaves the variables untouched", async () => {
    const task = regressionTask();
    const nanTask: TrainTask = {
      variables: task.variables,
      loss: (step) =>
        step === 2
          ? { loss: tf.mul(tf.add(tf.sum(task.variables.w), tf.sum(task.variables.b)), NaN) as tf.Scalar }
          : task.loss(step),
    };
    const trainer = new Trainer(nanTask, CONFIG, new MomentumSGD());
    await trainer.trainStep();
    await trainer.trainStep();
    const before = Array.from(task.variables.w.dataSync());
    await expect(trainer.trainStep()).rejects.toThrow(NonFiniteLossError);
    await expect(trainer.trainStep()).rejects.toThrow(/loss became NaN at step 3; no update was applied/);
    expect(Array.from(task.variables.w.dataSync())).toEqual(before);
    expect(trainer.step).toBe(2);
    task.dispose();
  });

  it("calls the task's afterUpdate once per step, after the update and before onStep; not on a non-finite loss", async () => {
    const task = regressionTask();
    const events: string[] = [];
    const hooked: TrainTask = {
      variables: task.variables,
      loss(step) {
        if (step === 3) return { loss: tf.mul(tf.add(tf.sum(task.variables.w), tf.sum(task.variables.b)), NaN) as tf.Scalar };
        events.push(`loss ${step}`);
        return task.loss(step);
      },
      afterUpdate() {
        // The update must already be applied: w starts at zero and moves at the first update.
        const moved = Array.from(task.variables.w.dataSync()).some((v) => v !== 0);
        events.push(moved ? "afterUpdate (w updated)" : "afterUpdate (w not updated)");
      },
    };
    const optimizer = new MomentumSGD();
    const update = optimizer.update.bind(optimizer);
    optimizer.update = (vars, grads, lr) => {
      events.push("update");
      update(vars, grads, lr);
    };
    const trainer = new Trainer(hooked, CONFIG, optimizer, { onStep: (r) => void events.push(`onStep ${r.step}`) });
    await trainer.run(3);
    const step = (t: number) => [`loss ${t}`, "update", "afterUpdate (w updated)", `onStep ${t + 1}`];
    expect(events).toEqual([...step(0), ...step(1), ...step(2)]);
    events.length = 0;
    await expect(trainer.trainStep()).rejects.toThrow(NonFiniteLossError);
    expect(events).toEqual([]);
    task.dispose();
  });

  it("refuses to resume into a different model, naming the keys", () => {
    const task = regressionTask();
    const trainer = new Trainer(task, CONFIG, new MomentumSGD());
    const state: TrainState = {
      step: 1,
      config: CONFIG,
      variables: { w: { shape: [3, 1], values: new Float32Array(3) }, extra: { shape: [1], values: new Float32Array(1) } },
      optimizer: { step: 1, buffers: {} },
      history: [],
    };
    expect(() => trainer.restore(state)).toThrow(/missing: b; unexpected: extra; mis-shaped: w \[3,1\] vs \[4,1\]/);
    task.dispose();
  });

  it("reports per-group gradient norms only when asked, equal to the norms of the groups' gradients", async () => {
    // Step 0's gradients, computed by hand: the groups' norms must be their L2 norms.
    const probe = regressionTask();
    const { grads } = tf.variableGrads(() => probe.loss(0).loss, [probe.variables.w, probe.variables.b]);
    const sq = async (t: tf.Tensor) => Array.from(await t.data()).reduce((a, v) => a + v * v, 0);
    const wSq = await sq(grads[probe.variables.w.name]);
    const bSq = await sq(grads[probe.variables.b.name]);
    tf.dispose(Object.values(grads));
    probe.dispose();

    const plain = regressionTask();
    const withoutGroups = new Trainer(plain, CONFIG, new MomentumSGD());
    expect((await withoutGroups.trainStep()).gradNorms).toBeUndefined();
    plain.dispose();

    const task = regressionTask();
    const groups = (name: string) => (name === "w" ? "weights" : name === "b" ? "bias" : null);
    const trainer = new Trainer(task, { ...CONFIG, gradNormGroups: groups }, new MomentumSGD());
    const report = await trainer.trainStep();
    expect(Object.keys(report.gradNorms!)).toEqual(["weights", "bias"]);
    expect(report.gradNorms!.weights).toBeCloseTo(Math.sqrt(wSq), 4);
    expect(report.gradNorms!.bias).toBeCloseTo(Math.sqrt(bSq), 4);
    // One group over both: the global norm the clipping reports (before clipping).
    const all = regressionTask();
    const whole = new Trainer(all, { ...CONFIG, gradNormGroups: () => "all" }, new MomentumSGD());
    const r = await whole.trainStep();
    expect(r.gradNorms!.all).toBeCloseTo(r.gradNorm!, 4);
    expect(r.gradNorms!.all).toBeCloseTo(Math.sqrt(wSq + bSq), 4);
    // The saved state stays plain data, and the extra report leaks nothing.
    const state = await trainer.state();
    expect("gradNormGroups" in state.config).toBe(false);
    expect(() => structuredClone(state)).not.toThrow();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(before);
    [task, all].forEach((t) => t.dispose());
  });

  it("does not leak tensors across steps", async () => {
    const task = regressionTask();
    const trainer = new Trainer(task, { ...CONFIG, steps: 10 }, new MomentumSGD());
    await trainer.trainStep();
    await trainer.trainStep();
    const after2 = tf.memory().numTensors;
    for (let i = 0; i < 8; i++) await trainer.trainStep();
    expect(tf.memory().numTensors).toBe(after2);
    task.dispose();
  });
});
