// The crash tests' fault hooks: MASKAU_FAULT's grammar, refused when mistyped, and a
// nan-loss fault that makes exactly one step's loss NaN, which the Trainer stops on
// before updating. (The hooks at work: tests/cli/crash.test.ts.)
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { FAULT, injectLossFault, parseFault } from "../../src/lib/faults-node.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { NonFiniteLossError, Trainer, type Optimizer, type TrainTask } from "../../src/lib/train/trainer.js";

beforeAll(async () => {
  await initNodeBackend("cpu");
});

describe("MASKAU_FAULT", () => {
  it("is unset in tests, and parses its two faults", () => {
    expect(FAULT).toBeNull();
    expect(parseFault(undefined)).toBeNull();
    expect(parseFault("")).toBeNull();
    expect(parseFault("kill-during-write:2")).toEqual({ kind: "kill-during-write", write: 2 });
    expect(parseFault("nan-loss:17")).toEqual({ kind: "nan-loss", step: 17 });
  });

  it("refuses anything else, naming the forms it takes", () => {
    for (const bad of ["nan-loss", "nan-loss:0", "nan-loss:-1", "nan-loss:1.5", "kill:2", "kill-during-write:x"]) {
      expect(() => parseFault(bad), bad).toThrow(/expected kill-during-write:N or nan-loss:STEP/);
    }
  });
});

describe("nan-loss", () => {
  const sgd: Optimizer = {
    update: (vars, grads, lr) => tf.tidy(() => Object.entries(vars).forEach(([k, v]) => v.assign(tf.sub(v, tf.mul(grads[k], lr))))),
    getState: () => ({ step: 0, buffers: {} }),
    setState: () => undefined,
    dispose: () => undefined,
  };

  it("makes the loss of step S (1-based) NaN: the Trainer stops there, before updating, and nothing leaks", async () => {
    const w = tf.variable(tf.scalar(1), true, `w_fault_${Math.random()}`);
    const task: TrainTask = { variables: { w }, loss: () => ({ loss: tf.square(w) as tf.Scalar }) };
    injectLossFault(task, { kind: "nan-loss", step: 3 });
    const trainer = new Trainer(task, { steps: 5, lr: 0.1, minLr: 0.1, warmupSteps: 0 }, sgd);
    await trainer.trainStep();
    await trainer.trainStep();
    const before = tf.memory().numTensors;
    const w2 = w.dataSync()[0];
    const err = await trainer.trainStep().catch((e) => e);
    expect(err).toBeInstanceOf(NonFiniteLossError);
    expect((err as NonFiniteLossError).step + 1).toBe(3);
    expect(w.dataSync()[0]).toBe(w2);
    expect(trainer.step).toBe(2);
    expect(tf.memory().numTensors).toBe(before);
    w.dispose();
  });

  it("leaves the task alone under any other fault", () => {
    const loss = () => ({ loss: tf.scalar(1) });
    const task: TrainTask = { variables: {}, loss };
    injectLossFault(task, { kind: "kill-during-write", write: 1 });
    injectLossFault(task, null);
    expect(task.loss).toBe(loss);
  });
});
