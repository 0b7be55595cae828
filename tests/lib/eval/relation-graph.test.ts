import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { generateFaceDataset } from "../../../src/lib/data/generate.js";
import { normalizeImages } from "../../../src/lib/data/normalize.js";
import { relationGraph, strongestEdges } from "../../../src/lib/eval/relation-graph.js";
import { encodeCheckpoint } from "../../../src/lib/io/checkpoint.js";
import { createDetector, detectorConfig, detectorModelKind } from "../../../src/lib/models/detector.js";
import { loadDetector } from "../../../src/lib/models/detector-checkpoint.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

beforeAll(async () => {
  await initNodeBackend("wasm");
});

const faces = generateFaceDataset({ preset: "bp4d", seed: 3, subjects: 3, sequencesPerSubject: 1, framesPerSequence: 2, size: 64 });
const N = faces.aus.length;

describe("relationGraph", () => {
  it("ANFL: every node keeps about K neighbours, averaged over faces (batches of any size)", async () => {
    const det = createDetector(detectorConfig("tiny", { head: "anfl", numClasses: N }), { seed: 1 });
    const before = tf.memory().numTensors;
    const g = await relationGraph(det, faces.images, { batchSize: 4 });
    expect(tf.memory().numTensors).toBe(before);
    expect(g.head).toBe("anfl");
    expect(g.faces).toBe(6);
    expect(g.k).toBe(4);
    const adj = g.adjacency!;
    expect(adj).toHaveLength(N);
    for (const row of adj) {
      const sum = row.reduce((a, v) => a + v, 0);
      expect(sum).toBeGreaterThanOrEqual(4 - 1e-5);
      for (const v of row) expect(v).toBeGreaterThanOrEqual(0), expect(v).toBeLessThanOrEqual(1);
    }
    // The head's own top-K choice, averaged.
    const direct = tf.tidy(() => {
      const x = tf.tensor4d(normalizeImages(faces.images, 64).data, [6, 64, 64, 3]);
      const out = det.forward(x, { intermediates: true });
      if (out.kind !== "anfl") throw new Error("expected an ANFL detector");
      return tf.mean(out.intermediates.adjacency, 0);
    });
    const expected = (await direct.array()) as number[][];
    direct.dispose();
    adj.forEach((row, i) => row.forEach((v, j) => expect(v).toBeCloseTo(expected[i][j], 6)));
    // One batch or several: the same average.
    const whole = await relationGraph(det, faces.images, { batchSize: 64 });
    expect(whole.adjacency).toEqual(adj);
    det.dispose();
  });

  it("MEFL: edge-class probabilities sum to 1 and give p3 / (p2 + p3)", async () => {
    const det = createDetector(detectorConfig("tiny", { head: "mefl", numClasses: N }), { seed: 2 });
    const g = await relationGraph(det, faces.images.subarray(0, 2 * 64 * 64 * 3));
    expect(g.faces).toBe(2);
    expect(g.adjacency).toBeNull();
    const p = g.edgeProbs![1][3];
    expect(p.reduce((a, v) => a + v, 0)).toBeCloseTo(1, 5);
    expect(g.impliedConditional![1][3]).toBeCloseTo(p[3] / (p[2] + p[3]), 6);
    expect(g.impliedConditional![2][2]).toBe(1);
    det.dispose();
  });

  it("loads a detector from checkpoint bytes with its config from the metadata", async () => {
    const cfg = detectorConfig("tiny", { head: "anfl", numClasses: N });
    const det = createDetector(cfg, { seed: 5 });
    const bytes = encodeCheckpoint(await det.stateDict(), { model: detectorModelKind("anfl"), config: { detector: cfg } });
    const { detector, meta } = loadDetector(bytes, { source: "test" });
    expect(meta.model).toBe("megraphau-anfl");
    const x = tf.randomUniform([1, 64, 64, 3]) as tf.Tensor4D;
    const a = det.forward(x).prob, b = detector.forward(x).prob;
    expect(Array.from(await b.data())).toEqual(Array.from(await a.data()));
    tf.dispose([x, a, b]);
    det.dispose();
    detector.dispose();
  });
});

describe("strongestEdges", () => {
  it("symmetrises, drops self-loops and keeps the heaviest", () => {
    const m = [
      [1, 0.2, 0.9],
      [0.4, 1, 0],
      [0.5, 0, 1],
    ];
    expect(strongestEdges(m)).toEqual([
      { source: 0, target: 2, weight: 0.7 },
      { source: 0, target: 1, weight: 0.30000000000000004 },
    ]);
    expect(strongestEdges(m, { top: 1 })).toHaveLength(1);
  });
});
