// The MEFL head computes the GEM's f_e without building the [B, N*N, T, C] edge tensor
// (src/lib/models/mefl.ts, gem()). This test keeps the direct formulation of the official
// code (edge_proj on every token of every edge, BatchNorm2d over the edge axis, then the
// token mean) as the reference, and checks the head against it: outputs, the gradient of
// every parameter and of the input, and the BatchNorm running-statistic updates in train
// mode; outputs in eval mode.
import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { afg, classifier, linearBlock, type ForwardState } from "../../../src/lib/models/anfl.js";
import { batchNorm, BatchNormUpdates } from "../../../src/lib/models/batchnorm.js";
import { createMeflHead, type MeflConfig } from "../../../src/lib/models/mefl.js";
import type { ParamStore } from "../../../src/lib/models/params.js";
import { linearT } from "../../../src/lib/tf/ops.js";
import { useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";

/** The MEFL forward pass as the official code writes it (the edge tensor built in full). */
function referenceForward(store: ParamStore, cfg: Required<MeflConfig>, features: tf.Tensor, s: ForwardState) {
  const { inChannels: c, numClasses: n } = cfg;
  const lin = (x: tf.Tensor, prefix: string, withBias = true) =>
    linearT(x, store.get(`${prefix}.weight`) as tf.Tensor2D, withBias ? (store.get(`${prefix}.bias`) as tf.Tensor1D) : undefined);
  const attend = (q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D) => {
    const dots = tf.mul(tf.matMul(q, tf.transpose(k, [0, 2, 1]) as tf.Tensor3D), Math.floor(c / 2) ** -0.5);
    return tf.matMul(tf.softmax(dots) as tf.Tensor3D, v);
  };
  const x = linearBlock(store, "global_linear", features, s) as tf.Tensor3D;
  const [b, t] = x.shape;
  const half = Math.floor(c / 2);
  const { fuTokens, fv } = afg(store, n, x, s);
  const fu = tf.transpose(fuTokens, [0, 2, 1, 3]);
  const q = tf.reshape(lin(fu, "head.edge_extractor.FAM.linear_q"), [b, n * t, half]) as tf.Tensor3D;
  const fam = tf.reshape(attend(q, lin(x, "head.edge_extractor.FAM.linear_k") as tf.Tensor3D, lin(x, "head.edge_extractor.FAM.linear_v") as tf.Tensor3D), [b, n, t, c]);
  const q2 = tf.reshape(lin(fam, "head.edge_extractor.ARM.linear_q"), [b, n * t, half]) as tf.Tensor3D;
  const k2 = tf.reshape(lin(fam, "head.edge_extractor.ARM.linear_k"), [b, n * t, half]) as tf.Tensor3D;
  const v2 = tf.reshape(lin(fam, "head.edge_extractor.ARM.linear_v"), [b * n, t, c]) as tf.Tensor3D;
  const all = tf.mul(tf.matMul(q2, tf.transpose(k2, [0, 2, 1]) as tf.Tensor3D), half ** -0.5);
  const pairs = tf.transpose(tf.reshape(all, [b, n, t, n, t]), [0, 3, 1, 2, 4]);
  const attn = tf.reshape(tf.softmax(pairs), [b * n, n * t, t]) as tf.Tensor3D;
  const arm = tf.reshape(tf.matMul(attn, v2), [b, n * n, t, c]);
  const edge = batchNorm(store, "head.edge_extractor.bn", lin(arm, "head.edge_extractor.edge_proj"), 1, s);
  const fe = tf.mean(edge, 2) as tf.Tensor3D;
  const gnnLayer = (xs: tf.Tensor3D, e: tf.Tensor3D, layer: number) => {
    const p = "head.gnn.";
    const ai = tf.expandDims(lin(xs, `${p}A${layer}`, false), 2);
    const bj = tf.expandDims(lin(xs, `${p}B${layer}`, false), 1);
    const pre = tf.add(tf.reshape(tf.add(ai, bj), [b, n * n, c]), lin(e, `${p}E${layer}`, false));
    const newEdge = tf.add(e, tf.relu(batchNorm(store, `${p}bne${layer}`, pre, 1, s))) as tf.Tensor3D;
    const expS = tf.exp(tf.sigmoid(tf.reshape(newEdge, [b, n, n, c])));
    const gate = tf.div(expS, tf.sum(expS, 2, true));
    const vj = tf.expandDims(lin(xs, `${p}V${layer}`, false), 1);
    const message = tf.div(tf.sum(tf.mul(gate, vj), 2), n);
    const newX = tf.relu(tf.add(xs, batchNorm(store, `${p}bnv${layer}`, tf.add(lin(xs, `${p}U${layer}`, false), message), 1, s))) as tf.Tensor3D;
    return { x: newX, edge: newEdge };
  };
  const l1 = gnnLayer(fv, fe, 1);
  const l2 = gnnLayer(l1.x, l1.edge, 2);
  return {
    cl: classifier(store, l2.x),
    fv,
    nodeFeatures: l2.x,
    clEdge: lin(l2.edge, "head.edge_fc") as tf.Tensor3D,
    fe,
    edgeFeatures: l2.edge,
    fam,
  };
}

/**
 * Gradients that are zero in exact arithmetic (rounding noise in either formulation): biases
 * of linears whose only consumer is a train-mode BatchNorm (it removes them with the batch
 * mean: the fc of global_linear and of the class linears), and attention key
 * biases (a constant added to every score of a query, which softmax ignores).
 */
const zeroByConstruction = (name: string) =>
  (/(^|\.)fc\.bias$/.test(name) && !name.startsWith("head.edge_fc")) || name.endsWith("linear_k.bias");

type Outputs = Record<string, tf.Tensor>;
const OUTPUTS = ["cl", "fv", "nodeFeatures", "clEdge", "fe", "edgeFeatures"] as const;

function maxAbs(x: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]));
  return m;
}

/** max |a - b| / max |b|: the error relative to the reference tensor's scale. */
async function relErr(a: tf.Tensor, b: tf.Tensor): Promise<number> {
  const [x, y] = [await a.data(), await b.data()];
  expect(a.shape).toEqual(b.shape);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    diff = Math.max(diff, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  expect(scale).toBeGreaterThan(0);
  return diff / scale;
}

const CASES = [
  // Odd sizes; a large common offset on edge_proj's output (it tests the variance for cancellation).
  { name: "odd sizes, offset 30", config: { inChannels: 10, backboneChannels: 14, numClasses: 5 }, b: 6, t: 9, offset: 30 },
  // The student's head sizes (12 AUs, C = 64, 16 tokens) on a small batch.
  { name: "student sizes", config: { inChannels: 64, backboneChannels: 96, numClasses: 12 }, b: 4, t: 16, offset: 0 },
];
// Train-mode outputs and running statistics; gradients; eval-mode outputs.
const TOL = { train: 1e-5, grad: 2e-5, stats: 1e-5, eval: 2e-6 };

describe("MEFL GEM without the full edge tensor", () => {
  for (const backend of ["cpu", "wasm"] as const) {
    for (const tc of CASES) {
      it(`matches the direct formulation on ${backend}, ${tc.name}: train outputs, every gradient, running statistics; eval outputs`, async () => {
        await useBackend(backend);
        const before = tf.memory().numTensors;
        const cfg = { ...tc.config } as Required<MeflConfig>;
        const head = createMeflHead(cfg, { seed: 5 });
        const { inChannels: c, numClasses: n } = cfg;
        const e = n * n;
        const store = head.params;
        // BatchNorm parameters and buffers away from their initial 1, 0, 0, 1.
        const set = (name: string, seed: number, lo: number, hi: number, add = 0) => {
          const v = store.get(name);
          tf.tidy(() => v.assign(tf.add(tf.tensor(uniform(seed, v.size, lo, hi), v.shape), add)));
        };
        for (const [i, prefix] of ["head.edge_extractor.bn", "head.gnn.bne1", "head.gnn.bne2"].entries()) {
          set(`${prefix}.weight`, 100 + i, 0.5, 1.5);
          set(`${prefix}.bias`, 110 + i, -0.5, 0.5);
        }
        set("head.edge_extractor.edge_proj.bias", 120, -0.5, 0.5, tc.offset);
        const features = tf.tidy(() => tf.variable(tf.tensor(uniform(7, tc.b * tc.t * cfg.backboneChannels, -2, 2), [tc.b, tc.t, cfg.backboneChannels])));
        const shapes: Record<string, number[]> = {
          cl: [tc.b, n], fv: [tc.b, n, c], nodeFeatures: [tc.b, n, c], clEdge: [tc.b, e, 4], fe: [tc.b, e, c], edgeFeatures: [tc.b, e, c],
        };
        const probes = Object.fromEntries(OUTPUTS.map((k, i) => [k, tf.tensor(uniform(200 + i, shapes[k].reduce((a, x) => a * x, 1), -1, 1), shapes[k])]));
        const loss = (out: Outputs) => tf.addN(OUTPUTS.map((k) => tf.sum(tf.mul(out[k], probes[k])))) as tf.Scalar;
        const vars = { ...store.trainable(), "input": features };
        const varList = Object.values(vars);
        const names = new Map(Object.entries(vars).map(([name, v]) => [v.name, name]));

        const run = (reference: boolean) => {
          const updates = new BatchNormUpdates();
          let outputs: Outputs = {};
          const { value, grads } = tf.variableGrads(() => {
            const out: Outputs = reference
              ? referenceForward(store, cfg, features, { training: true, updates })
              : (head.forward(features, { training: true, updates }) as unknown as Outputs);
            outputs = Object.fromEntries(OUTPUTS.map((k) => [k, tf.keep(out[k])]));
            return loss(out);
          }, varList);
          return { value, grads, outputs, updates };
        };
        const ref = run(true);
        const got = run(false);
        const worst = { train: 0, grad: 0, stats: 0, eval: 0 };
        const report: string[] = [];
        for (const k of OUTPUTS) {
          const r = await relErr(got.outputs[k], ref.outputs[k]);
          worst.train = Math.max(worst.train, r);
          expect(r, `train output ${k}`).toBeLessThan(TOL.train);
        }
        expect(Object.keys(got.grads).sort()).toEqual(Object.keys(ref.grads).sort());
        expect(Object.keys(ref.grads).length).toBe(varList.length);
        let largest = 0;
        for (const g of Object.values(ref.grads)) largest = Math.max(largest, maxAbs(await g.data()));
        for (const id of Object.keys(ref.grads)) {
          const name = names.get(id)!;
          if (zeroByConstruction(name)) {
            expect(maxAbs(await got.grads[id].data()), name).toBeLessThan(1e-5 * largest);
            continue;
          }
          const r = await relErr(got.grads[id], ref.grads[id]);
          if (r > worst.grad) report.push(`${name} ${r.toExponential(2)}`);
          worst.grad = Math.max(worst.grad, r);
          expect(r, `gradient of ${name}`).toBeLessThan(TOL.grad);
        }
        expect(got.updates.prefixes().sort()).toEqual(ref.updates.prefixes().sort());
        expect(ref.updates.prefixes()).toContain("head.edge_extractor.bn");
        for (const prefix of ref.updates.prefixes()) {
          const [a, b] = [got.updates.get(prefix)!, ref.updates.get(prefix)!];
          for (const [x, y, what] of [[a.mean, b.mean, "mean"], [a.variance, b.variance, "variance"]] as const) {
            const r = await relErr(x, y);
            worst.stats = Math.max(worst.stats, r);
            expect(r, `running ${what} of ${prefix}`).toBeLessThan(TOL.stats);
          }
        }
        // Eval mode with the running statistics this step produced (away from 0 and 1).
        got.updates.apply(store);
        for (const k of ["running_mean", "running_var"]) expect(store.get(`head.edge_extractor.bn.${k}`).size).toBe(e);
        const evalRef = tf.tidy(() => referenceForward(store, cfg, features, { training: false }));
        const evalGot = head.forward(features);
        for (const k of OUTPUTS) {
          const r = await relErr(evalGot[k], evalRef[k]);
          worst.eval = Math.max(worst.eval, r);
          expect(r, `eval output ${k}`).toBeLessThan(TOL.eval);
        }
        console.log(`mefl gem ${backend} ${tc.name}: max relative error`, worst, report.slice(-3).join(", "));
        tf.dispose([ref.value, got.value, ...Object.values(ref.grads), ...Object.values(got.grads), ...Object.values(ref.outputs), ...Object.values(got.outputs)]);
        tf.dispose([...Object.values(evalRef), ...Object.values(evalGot.mids), evalGot.cl, evalGot.fv, evalGot.nodeFeatures, evalGot.clEdge, evalGot.fe, evalGot.edgeFeatures]);
        ref.updates.dispose();
        tf.dispose([features, ...Object.values(probes)]);
        head.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }
});
