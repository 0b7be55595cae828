import { readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import * as tf from "@tensorflow/tfjs-core";
import { decodeCheckpoint } from "../../src/lib/io/checkpoint.js";
import { DETECTOR_DEFAULTS, loadCheckpointModel, MODEL_NAMES, modelNameFromMeta, PRETRAIN_DEFAULTS, resolveDetector, resolveMae, resolveModel } from "../../src/lib/registry.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";

beforeAll(async () => {
  await initNodeBackend("cpu");
});

describe("model registry", () => {
  it("resolves qualified names and each family's short preset names", () => {
    expect(resolveModel("mae/tiny").family).toBe("mae");
    expect(resolveMae("tiny").name).toBe("mae/tiny");
    expect(resolveDetector("tiny").name).toBe("detector/resnet-tiny");
    expect(resolveDetector("mae-tiny").name).toBe("detector/mae-vit-tiny");
    expect(resolveDetector("detector/resnet-small").preset).toBe("small");
    expect(resolveMae("mae/base").config().embedDim).toBe(768);
    for (const name of MODEL_NAMES) expect(resolveModel(name).name).toBe(name);
  });

  it("names the choices when a name is unknown or of another family", () => {
    expect(() => resolveModel("mae/huge")).toThrow(/unknown model "mae\/huge": choose mae\/tiny, .*detector\/resnet-tiny/);
    expect(() => resolveDetector("mae/tiny")).toThrow(/choose detector\/resnet-tiny, detector\/resnet-small, detector\/mae-vit-tiny/);
  });

  it("builds detector configs for a head and AU count", () => {
    const cfg = resolveDetector("detector/resnet-tiny").config({ head: "mefl", numClasses: 8 });
    expect(cfg.head).toBe("mefl");
    expect(cfg.numClasses).toBe(8);
    expect(cfg.backbone.kind).toBe("resnet");
  });

  it("keeps the training defaults in one place (the paper's lambda, ME-GraphAU's weight decay, MAE's betas)", () => {
    expect(DETECTOR_DEFAULTS.lambda).toBe(0.01);
    expect(DETECTOR_DEFAULTS.weightDecay).toBe(5e-4);
    expect(PRETRAIN_DEFAULTS.betas).toEqual([0.9, 0.95]);
  });

  it("rebuilds every shipped checkpoint from its metadata alone, from a Node Buffer", () => {
    const cases: [string, string, string][] = [
      ["mae-tiny", "mae/tiny", "mae"],
      ["detector-tiny-clean", "detector/resnet-tiny", "detector"],
      ["teacher-tiny-random0.5", "detector/resnet-tiny", "detector"],
      ["teacher-tiny-block0.3", "detector/resnet-tiny", "detector"],
      ["teacher-tiny-mefl-random0.5", "detector/resnet-tiny", "detector"],
      ["teacher-tiny-mefl-block0.3", "detector/resnet-tiny", "detector"],
      ["student-tiny-random0.5", "student/mae-tiny", "student"],
      ["student-tiny-block0.3", "student/mae-tiny", "student"],
    ];
    for (const [file, name, family] of cases) {
      const path = `src/checkpoints/${file}.safetensors`;
      const bytes = readFileSync(path);
      expect(modelNameFromMeta(decodeCheckpoint(new Uint8Array(bytes)).meta!)).toBe(name);
      const before = tf.memory().numTensors;
      const loaded = loadCheckpointModel(bytes, { source: path });
      expect(loaded.family).toBe(family);
      expect(loaded.name).toBe(name);
      if (loaded.family !== "mae") {
        const out = tf.tidy(() => loaded.detector.forward(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D).prob);
        expect(out.shape).toEqual([1, 12]);
        out.dispose();
        loaded.detector.dispose();
      } else loaded.mae.dispose();
      expect(tf.memory().numTensors).toBe(before);
    }
  });

  it("asks which model a file without metadata holds", () => {
    const bytes = readFileSync("src/checkpoints/mae-tiny.safetensors");
    const ckpt = decodeCheckpoint(new Uint8Array(bytes));
    expect(() => loadCheckpointModel({ ...ckpt, meta: null }, { source: "weights.safetensors" })).toThrow(/no MaskAU metadata: say which model/);
    const loaded = loadCheckpointModel({ ...ckpt, meta: null }, { model: "mae/tiny" });
    expect(loaded.family).toBe("mae");
    if (loaded.family === "mae") loaded.mae.dispose();
  });
});
