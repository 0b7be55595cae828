// The benchmark workloads (src/lib/bench/workloads.ts) against shared/bench/README.md: the
// analytic matrix-product FLOPs and parameter counts the anchor reports, and steps that
// run without leaking tensors (the optimizer workloads move their parameters, gcn does not).
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { WORKLOADS } from "../../../src/lib/bench/workloads.js";
import { useBackend } from "../tf/backends.js";

// README section 5 (FLOPs) and section 4 (parameters).
const EXPECTED: Record<string, { flops: number; parameters: number; optimizer: boolean }> = {
  mae_infer: { flops: 7_927_332_864, parameters: 1_817_088, optimizer: false },
  mae_train: { flops: 11_872_370_688, parameters: 2_263_488, optimizer: true },
  gcn: { flops: 232_243_200, parameters: 521_112, optimizer: false },
  student_kd_step: { flops: 23_898_636_288, parameters: 2_375_256, optimizer: true },
};

describe("benchmark workloads", () => {
  it("are the four of the shared benchmark", () => {
    expect(Object.keys(WORKLOADS).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const [name, expected] of Object.entries(EXPECTED)) {
    it(`${name}: the anchor's FLOPs and parameters; two steps leak nothing`, async () => {
      await useBackend("wasm");
      const before = tf.memory().numTensors;
      const w = WORKLOADS[name](0);
      try {
        expect(w.flops).toBe(expected.flops);
        expect(w.parameters).toBe(expected.parameters);
        // Sum of |value| over every float variable: changes when an optimizer step ran.
        const snapshot = () =>
          tf.tidy(() => tf.addN(Object.values(tf.engine().state.registeredVariables).filter((v) => v.dtype === "float32").map((v) => tf.sum(tf.abs(v)))).dataSync()[0]);
        const weightsBefore = snapshot();
        await w.step();
        const tensors = tf.memory().numTensors;
        await w.step();
        expect(tf.memory().numTensors).toBe(tensors);
        const moved = snapshot() !== weightsBefore;
        expect(moved).toBe(expected.optimizer);
      } finally {
        w.dispose();
      }
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
