// The benchmark workloads (src/lib/bench/workloads.ts) against shared/bench/README.md: the
// analytic matrix-product FLOPs and parameter counts the anchor reports, and steps that
// run without leaking tensors (the optimizer workloads move their parameters, gcn does not);
// detector_train's terms and its train-mode BatchNorm.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { graphHeadFlops } from "../../../src/lib/bench/graph-head.js";
import { benchResNet, resnetConvFlops, WORKLOADS } from "../../../src/lib/bench/workloads.js";
import { useBackend } from "../tf/backends.js";

// README section 5 (FLOPs) and section 4 (parameters).
const EXPECTED: Record<string, { flops: number; parameters: number; optimizer: boolean }> = {
  mae_infer: { flops: 7_927_332_864, parameters: 1_817_088, optimizer: false },
  mae_train: { flops: 11_872_370_688, parameters: 2_263_488, optimizer: true },
  gcn: { flops: 232_243_200, parameters: 521_112, optimizer: false },
  student_kd_step: { flops: 23_898_636_288, parameters: 2_375_256, optimizer: true },
  detector_train: { flops: 766_328_832, parameters: 137_192, optimizer: true },
};

describe("benchmark workloads", () => {
  it("are the five of the shared benchmark", () => {
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

describe("detector_train", () => {
  it("counts the README's forward terms: convolutions 271,581,184, head at width 64 10,665,984; backbone 78,160 + head 59,032 parameters", () => {
    const convs = resnetConvFlops(benchResNet());
    expect(convs.forward).toBe(271_581_184);
    // Stem once (constant input), every other convolution twice.
    expect(convs.backward).toBe(78_643_200 + 2 * (271_581_184 - 78_643_200));
    const head = graphHeadFlops(32, true, 64);
    expect(head.forward).toBe(10_665_984);
    expect(convs.forward + head.forward).toBe(282_247_168);
    expect(convs.backward + head.backward).toBe(484_081_664);
    expect(benchResNet()).toEqual({ stemChannels: 16, stemKernel: 5, stemStride: 2, maxPool: true, widths: [16, 32, 64], blocks: [1, 1, 1] });
  });

  it("is the tiny detector's backbone and a 64-wide head; a step moves the BatchNorm running statistics as torch's train mode does", async () => {
    await useBackend("wasm");
    const w = WORKLOADS.detector_train(0);
    try {
      const vars = () => Object.values(tf.engine().state.registeredVariables);
      const byKind = (re: RegExp) => vars().filter((v) => re.test(v.name));
      expect(byKind(/^(conv1|layer\d)\..*weight#|^bn1\.(weight|bias)#|^layer\d\..*\.bias#/).reduce((n, v) => n + v.size, 0)).toBe(78_160);
      // The backbone's 9 BatchNorms (the bench head's BatchNorm keeps no running statistics).
      const running = byKind(/^(bn1|layer\d\.\d\.(bn\d|downsample\.1))\.running_(mean|var)#/);
      expect(running).toHaveLength(18);
      const before = running.map((v) => v.dataSync().slice());
      await w.step();
      running.forEach((v, i) => expect(Array.from(v.dataSync())).not.toEqual(Array.from(before[i])));
      const counters = byKind(/^(bn1|layer\d\.\d\.(bn\d|downsample\.1))\.num_batches_tracked#/);
      expect(counters.map((v) => v.dataSync()[0])).toEqual(new Array(9).fill(1));
    } finally {
      w.dispose();
    }
  });
});
