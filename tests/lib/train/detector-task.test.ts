import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { foldSplit } from "../../../src/lib/data/folds.js";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { normalizeImages } from "../../../src/lib/data/normalize.js";
import { batchNormPrefixes } from "../../../src/lib/models/batchnorm.js";
import { createDetector, type DetectorConfig } from "../../../src/lib/models/detector.js";
import type { TensorData } from "../../../src/lib/models/params.js";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { DetectorTrainTask } from "../../../src/lib/train/detector-task.js";
import { Trainer } from "../../../src/lib/train/trainer.js";
import { useBackend } from "../tf/backends.js";

/** 32 px faces, a 2-stage ResNet, 12 AUs. */
function tinyConfig(head: "anfl" | "mefl", numClasses: number): DetectorConfig {
  return {
    backbone: { kind: "resnet", resnet: { stemChannels: 6, stemKernel: 3, stemStride: 2, maxPool: false, widths: [6, 10], blocks: [1, 1] } },
    head,
    imgSize: 32,
    numClasses,
    inChannels: 8,
    neighborNum: 3,
    metric: "dots",
  };
}

const dataset = generateFaceDataset({ preset: "bp4d", seed: 3, subjects: 6, sequencesPerSubject: 1, framesPerSequence: 6, size: 32 });
const { train } = foldSplit(dataset, 0);

/** The BatchNorm buffers (running_mean, running_var, num_batches_tracked) of a state_dict. */
function buffers(state: Map<string, TensorData>): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [name, t] of state) if (/\.(running_mean|running_var|num_batches_tracked)$/.test(name)) out.set(name, Array.from(t.data));
  return out;
}

describe("DetectorTrainTask", () => {
  for (const head of ["anfl", "mefl"] as const) {
    it(`${head}: the Trainer commits every BatchNorm's running statistics once per step, with no commit by the caller`, async () => {
      await useBackend("wasm");
      const config = tinyConfig(head, dataset.aus.length);
      const det = createDetector(config, { seed: 4 });
      const task = new DetectorTrainTask(det, dataset, train, { batchSize: 4, seed: 2, condition: { input: "clean", occlusion: { kind: "none" }, patch: 8 } });
      const optimizer = new AdamW({ weightDecay: 5e-4 });
      const initial = buffers(await det.stateDict());
      const trainer = new Trainer(task, { steps: 3, lr: 1e-3, minLr: 0, warmupSteps: 0 }, optimizer);

      // Step 1's statistics are those of a train-mode forward of step 0's batch on the initial weights.
      await trainer.trainStep();
      const reference = createDetector(config, { seed: 4 });
      const { data, shape } = normalizeImages(task.inputs(0).images, dataset.size);
      tf.tidy(() => void reference.forward(tf.tensor4d(data, shape), { training: true }));
      reference.commitBatchNorm();
      const afterOne = buffers(await det.stateDict());
      expect(afterOne).toEqual(buffers(await reference.stateDict()));
      reference.dispose();

      await trainer.run();
      const afterThree = buffers(await det.stateDict());
      const prefixes = [...batchNormPrefixes(det.backbone.params).map((p) => `backbone.${p}`), ...batchNormPrefixes(det.head.params)];
      expect(prefixes.length).toBeGreaterThan(head === "anfl" ? 3 : 8);
      for (const p of prefixes) {
        expect(afterThree.get(`${p}.num_batches_tracked`), p).toEqual([3]);
        expect(afterThree.get(`${p}.running_mean`), p).not.toEqual(initial.get(`${p}.running_mean`));
        expect(afterThree.get(`${p}.running_var`), p).not.toEqual(afterOne.get(`${p}.running_var`));
      }
      task.dispose();
      optimizer.dispose();
      det.dispose();
    });
  }
});
