// The AU graph head of shared/bench/README.md (ME-GraphAU ANFL style, 12 AUs, width 192,
// or 64 in detector_train, top-4 neighbours), built from MaskAU's ANFL pieces: per-AU projections as one Linear,
// the FGG graph (dot-product similarity, top-K, D^-1/2 A D^-1/2 with row degrees, no
// gradient), one GCN layer g = Â V(h) + U(h) with a train-mode BatchNorm over the nodes,
// and the cosine classifier against ReLU'd prototypes.
import * as tf from "@tensorflow/tfjs-core";
import { classifier, fggGraph, Init } from "../models/anfl.js";
import { addBatchNorm, batchNormCore, batchNormTensors } from "../models/batchnorm.js";
import { ParamStore } from "../models/params.js";
import { linearT } from "../tf/ops.js";

export const BENCH_AUS = 12;
export const BENCH_DIM = 192;
export const BENCH_TOPK = 4;

export class BenchGraphHead {
  readonly params = new ParamStore();

  constructor(
    seed: number,
    readonly dim = BENCH_DIM,
  ) {
    const init = new Init(seed);
    const [n, d] = [BENCH_AUS, dim];
    // Linear weights in torch layout [out, in], Xavier-uniform, zero bias (the anchor's init).
    this.params.add("proj.weight", init.xavier([n * d, d]));
    this.params.add("proj.bias", tf.zeros([n * d]));
    for (const name of ["U", "V"]) {
      this.params.add(`${name}.weight`, init.xavier([d, d]));
      this.params.add(`${name}.bias`, tf.zeros([d]));
    }
    addBatchNorm(this.params, "bn", n);
    this.params.add("head.sc", init.xavier([n, d]));
  }

  /** f [B, dim] -> probabilities [B, 12] (train-mode BatchNorm; running statistics are not kept). */
  forward(f: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const p = this.params;
      const [b] = f.shape;
      const lin = (x: tf.Tensor, name: string) => linearT(x, p.get(`${name}.weight`) as tf.Tensor2D, p.get(`${name}.bias`) as tf.Tensor1D);
      const h = tf.reshape(tf.relu(lin(f, "proj")), [b, BENCH_AUS, this.dim]) as tf.Tensor3D;
      const { normAdj } = fggGraph(h, BENCH_TOPK, "dots", false);
      const g = tf.add(tf.matMul(normAdj, lin(h, "V") as tf.Tensor3D), lin(h, "U"));
      const { y } = batchNormCore(g, 1, batchNormTensors(p, "bn"), { training: true });
      return classifier(p, tf.relu(tf.add(h, y)));
    });
  }

  dispose(): void {
    this.params.dispose();
  }
}

/** Matrix-product FLOPs of the head of width `d` (README section 5): forward, and backward when `f` needs a gradient or not. */
export function graphHeadFlops(b: number, fNeedsGrad: boolean, d = BENCH_DIM): { forward: number; backward: number } {
  const n = BENCH_AUS;
  const proj = 2 * b * d * (n * d);
  const sim = 2 * b * n * d * n;
  const lin = 2 * b * n * d * d;
  const prop = 2 * b * n * n * d;
  const cos = 2 * b * n * d;
  return {
    forward: proj + sim + 2 * lin + prop + cos,
    backward: (fNeedsGrad ? 2 : 1) * proj + 2 * 2 * lin + prop + 2 * cos,
  };
}
