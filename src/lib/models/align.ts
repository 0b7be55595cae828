// The student's feature alignment module (paper section 3.3): between the MAE latent of
// the occluded face and the AU graph head. The paper says only that it "uses a
// downsampling layer and multiple fully connected layers to selectively project MAE
// latent space representation into features that are significant for FAU detection".
// MaskAU's exact choice:
//
//   tokens [B, g*g, E]      the MAE encoder's patch tokens on a g x g grid (cls dropped)
//   downsampling            average pooling in k x k windows, k = g / gridOut, no
//                           parameters -> [B, gridOut^2, E]
//   fully connected layers  per token: Linear(E -> hidden[0]), GELU, ..., Linear(-> outChannels),
//                           no activation after the last -> [B, gridOut^2, outChannels]
//
// Why: the result has the teacher backbone's token grid and width (for the tiny presets
// 4 x 4 tokens of width 64, what detector/resnet-tiny's last feature map gives at 64 px),
// so the student's head (global_linear + MEFL) has exactly the teacher head's shapes and
// can start from the teacher's head weights, and the heads are interchangeable. Average
// pooling keeps each pooled token a plain mean of MAE tokens over one face region (a strided
// convolution would mix fresh weights in before any training); the layers act per token, so
// the spatial layout the AFG and GEM attend over is the pooled patch grid. GELU is the
// MAE's own nonlinearity. No activation after the last layer: the head's global_linear
// (Linear, BatchNorm, ReLU) comes next. Fully connected before pooling would cost k^2 times
// more for the same result up to the GELU.
//
// State-dict names: align.fc1.weight [out, in] (torch Linear layout), align.fc1.bias,
// align.fc2.*, ... one per layer. Initialisation: torch.nn.Linear's default,
// weight and bias U(-1/sqrt(in), 1/sqrt(in)) (kaiming_uniform_ with a = sqrt(5)).
import * as tf from "@tensorflow/tfjs-core";
import { gelu, linearT } from "../tf/ops.js";
import { Init } from "./anfl.js";
import { ParamStore } from "./params.js";

export interface AlignConfig {
  /** Side of the output token grid; must divide the MAE's patch grid side g (pooling window k = g / gridOut). */
  gridOut: number;
  /** Widths of the hidden fully connected layers, a GELU after each ([] = a single Linear). */
  hidden: number[];
  /** Width of the aligned tokens: the teacher backbone's channel width C_b. */
  outChannels: number;
}

/** The module's state-dict entries (names and torch shapes) for tokens of width `inChannels`. */
export function alignLayout(c: AlignConfig, inChannels: number): { name: string; shape: number[] }[] {
  const widths = [inChannels, ...c.hidden, c.outChannels];
  const out: { name: string; shape: number[] }[] = [];
  for (let i = 1; i < widths.length; i++) {
    out.push({ name: `align.fc${i}.weight`, shape: [widths[i], widths[i - 1]] });
    out.push({ name: `align.fc${i}.bias`, shape: [widths[i]] });
  }
  return out;
}

const positiveInt = (v: unknown): boolean => Number.isInteger(v) && (v as number) >= 1;

/** What is wrong with an alignment config for a g x g grid of tokens, or null. */
export function alignProblem(c: AlignConfig, grid: number): string | null {
  if (!c || typeof c !== "object") return `the alignment config must be an object, got ${JSON.stringify(c)}`;
  if (!positiveInt(c.gridOut)) return `align.gridOut must be a positive integer, got ${JSON.stringify(c.gridOut)}`;
  if (grid % c.gridOut !== 0) return `align.gridOut ${c.gridOut} does not divide the MAE's ${grid} x ${grid} patch grid (average pooling needs whole k x k windows)`;
  if (!Array.isArray(c.hidden) || !c.hidden.every(positiveInt)) return `align.hidden must be a list of positive integer widths, got ${JSON.stringify(c.hidden)}`;
  if (!positiveInt(c.outChannels)) return `align.outChannels must be a positive integer, got ${JSON.stringify(c.outChannels)}`;
  return null;
}

export interface FeatureAlignment {
  readonly config: AlignConfig;
  /** Parameters under their full state-dict names (align.fc1.weight, ...). */
  readonly params: ParamStore;
  /** Side g of the input token grid. */
  readonly grid: number;
  readonly inChannels: number;
  readonly outChannels: number;
  /** MAE patch tokens [B, g*g, E] (t = row * g + col) -> aligned tokens [B, gridOut^2, C_b], same order. */
  forward(tokens: tf.Tensor3D): tf.Tensor3D;
  dispose(): void;
}

/**
 * Mean over k x k windows of a token grid: [B, g*g, E] -> [B, (g/k)^2, E], t = row * side + col
 * on both sides. Reshapes and means over one middle axis (ranks <= 4, every backend; the
 * gradient is a broadcast).
 */
export function poolTokens(tokens: tf.Tensor3D, grid: number, k: number): tf.Tensor3D {
  return tf.tidy(() => {
    const [b, l, e] = tokens.shape;
    if (l !== grid * grid) throw new Error(`poolTokens: ${l} tokens do not form the ${grid} x ${grid} grid`);
    if (k === 1) return tokens.clone();
    const side = grid / k;
    const rows = tf.mean(tf.reshape(tokens, [b * side, k, grid, e]), 1); // [B*side, g, E]: rows pooled
    const cols = tf.mean(tf.reshape(rows, [b * side * side, k, e]), 1); // [B*side*side, E]: columns pooled
    return tf.reshape(cols, [b, side * side, e]) as tf.Tensor3D;
  });
}

export function createAlignment(config: AlignConfig, { grid, inChannels, seed = 0 }: { grid: number; inChannels: number; seed?: number }): FeatureAlignment {
  const problem = alignProblem(config, grid);
  if (problem) throw new Error(`feature alignment: ${problem}`);
  const cfg: AlignConfig = structuredClone(config);
  const params = new ParamStore();
  const init = new Init(seed);
  const widths = [inChannels, ...cfg.hidden, cfg.outChannels];
  const layers = widths.length - 1;
  tf.tidy(() => {
    for (let i = 1; i <= layers; i++) {
      const [out, fanIn] = [widths[i], widths[i - 1]];
      params.add(`align.fc${i}.weight`, init.uniform([out, fanIn], 1 / Math.sqrt(fanIn)));
      params.add(`align.fc${i}.bias`, init.linearBias(out, fanIn));
    }
  });
  const k = grid / cfg.gridOut;

  function forward(tokens: tf.Tensor3D): tf.Tensor3D {
    if (tokens.rank !== 3 || tokens.shape[1] !== grid * grid || tokens.shape[2] !== inChannels) {
      throw new Error(`feature alignment expects tokens [B, ${grid * grid}, ${inChannels}], got [${tokens.shape}]`);
    }
    return tf.tidy(() => {
      let x: tf.Tensor = poolTokens(tokens, grid, k); // [B, gridOut^2, E]
      for (let i = 1; i <= layers; i++) {
        x = linearT(x, params.get(`align.fc${i}.weight`) as tf.Tensor2D, params.get(`align.fc${i}.bias`) as tf.Tensor1D);
        if (i < layers) x = gelu(x);
      }
      return x as tf.Tensor3D; // [B, gridOut^2, C_b]
    });
  }

  return { config: cfg, params, grid, inChannels, outChannels: cfg.outChannels, forward, dispose: () => params.dispose() };
}
