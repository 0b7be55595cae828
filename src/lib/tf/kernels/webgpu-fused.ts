// MaskAU's fused kernels on webgpu (names in ../fused.ts): WGSL programs run through
// tfjs-backend-webgpu's runWebGPUProgram, with the semantics of the wasm kernels
// (./wasm-fused.ts, ../wasm/pointwise.wat) and of the op-by-op path they replace.
//
// A tfjs WebGPU program binds one output buffer (inputs are read-only), so a kernel with
// several outputs runs one program per output, each as small as it can be: AdamW writes
// m', then v', then p' from them (3 dispatches instead of 14); LayerNorm writes the row
// means, the row rstd and then y (3 instead of 9); BatchNorm the channel means, variances,
// rstd and y (4 instead of about 12). A packed output would need a copy per output
// afterwards (webgpu's Slice is a program too), so it would cost more dispatches.
//
// Reductions are two-pass in float32 like the wasm kernels (the mean first, then the sum of
// squared deviations from it). Rows (LayerNorm) are reduced by one workgroup each, columns
// (BatchNorm's channels, LayerNorm's dgamma and dbeta) by workgroups of a few columns whose
// threads split the rows; both end in a tree sum in workgroup memory. Any size works (no
// multiple of 4 needed); the callers in ../ops.ts and ../../train/adamw.ts decide when to
// use them.
import * as tf from "@tensorflow/tfjs-core";
import { webgpu_util, type WebGPUBackend, type WebGPUProgram } from "@tensorflow/tfjs-backend-webgpu";
import type { KernelArgs } from "./kernel-access.js";
import type { AdamWAttrs } from "./wasm-fused.js";

/** Threads of a workgroup: elementwise programs, and the row and column reductions. */
const WORKGROUP = 64;
const REDUCE_WORKGROUP = 256;

type Uniform = { type: "float32" | "int32"; data: number[] };
const f32 = (v: number): Uniform => ({ type: "float32", data: [v] });
const i32 = (v: number): Uniform => ({ type: "int32", data: [v] });

/** The fused kernels take float32 inputs. */
function check(kernel: string, inputs: Record<string, tf.TensorInfo>): void {
  for (const [name, t] of Object.entries(inputs)) {
    if (t.dtype !== "float32") throw new Error(`${kernel}: input ${name} must be float32, got ${t.dtype}`);
  }
}

/**
 * One output element per thread (`size` = output elements): `body` sets `value` for
 * element `index`, reading the inputs by name.
 */
function elementwise(key: string, inputs: string[], outputShape: number[], uniforms: string, body: string): WebGPUProgram {
  const workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  const dispatchLayout = webgpu_util.flatDispatchLayout(outputShape);
  return {
    shaderKey: `maskau_${key}`,
    variableNames: inputs,
    outputShape,
    workgroupSize,
    dispatchLayout,
    dispatch: webgpu_util.computeDispatch(dispatchLayout, outputShape, workgroupSize),
    size: true,
    uniforms,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var value = 0.0;
          ${body}
          result[index] = value;
        }
      }`,
  };
}

/** Sums in workgroup memory: after `reduceTree(lane, width, stride)` slot lane (< stride) holds its group's sum. */
const TREE_SUM = `
  var<workgroup> partial : array<f32, ${REDUCE_WORKGROUP}>;
  var<workgroup> partial2 : array<f32, ${REDUCE_WORKGROUP}>;
  // Sums partial[lane + k * stride] over k < width (width a power of 2) into partial[lane].
  fn reduceTree(lane : u32, width : u32, stride : u32, both : bool) {
    for (var k = width / 2u; k > 0u; k = k / 2u) {
      if (lane < k * stride) {
        partial[lane] = partial[lane] + partial[lane + k * stride];
        if (both) { partial2[lane] = partial2[lane] + partial2[lane + k * stride]; }
      }
      workgroupBarrier();
    }
  }`;

/**
 * One workgroup per row of `d` values (rows x d, row-major): `accumulate` adds the
 * element at `i` (column `j`) of row `row` into `s` (and `s2`), then after the tree sum
 * `finish` runs on every thread with `sum` (and `sum2`) to write the row's outputs.
 * The row count comes from the output's or the dispatch's shape, so output may be [rows] or [rows, d].
 */
function rowReduction(key: string, inputs: string[], outputShape: number[], rows: number, accumulate: string, finish: string): WebGPUProgram {
  const workgroupSize: [number, number, number] = [WORKGROUP, 1, 1];
  return {
    shaderKey: `maskau_rows_${key}`,
    variableNames: inputs,
    outputShape,
    workgroupSize,
    dispatchLayout: { x: [0] },
    dispatch: [rows, 1, 1],
    uniforms: "rows : i32, d : i32, eps : f32,",
    getUserCode: () => `
      ${TREE_SUM}
      fn main(index : i32) {
        let lane = localId.x;
        let row = index / ${WORKGROUP};
        let valid = row < uniforms.rows;
        let d = uniforms.d;
        var s = 0.0;
        var s2 = 0.0;
        if (valid) {
          for (var j = i32(lane); j < d; j = j + ${WORKGROUP}) {
            let i = row * d + j;
            ${accumulate}
          }
        }
        partial[lane] = s;
        partial2[lane] = s2;
        workgroupBarrier();
        reduceTree(lane, ${WORKGROUP}u, 1u, true);
        let sum = partial[0];
        let sum2 = partial2[0];
        if (valid) {
          ${finish}
        }
      }`,
  };
}

/** Columns per workgroup of a column reduction (a power of 2 up to 32); its other threads split the rows. */
function columnTile(cols: number): number {
  let w = 1;
  while (w < cols && w < 32) w *= 2;
  return w;
}

/**
 * Sums over the rows of each column of a rows x cols matrix: `term` is the value added for
 * element `i` (row `r`, column `col`); `final` turns the column's `sum` into its output.
 */
function columnReduction(key: string, inputs: string[], cols: number, term: string, final = "sum"): WebGPUProgram {
  const tile = columnTile(cols);
  const lanes = REDUCE_WORKGROUP / tile;
  const workgroupSize: [number, number, number] = [REDUCE_WORKGROUP, 1, 1];
  return {
    shaderKey: `maskau_cols_${key}_${tile}`,
    variableNames: inputs,
    outputShape: [cols],
    workgroupSize,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(cols / tile), 1, 1],
    uniforms: "rows : i32, cols : i32, eps : f32,",
    getUserCode: () => `
      ${TREE_SUM}
      fn main(index : i32) {
        let lane = localId.x;
        let col = (index / ${REDUCE_WORKGROUP}) * ${tile} + i32(lane % ${tile}u);
        let valid = col < uniforms.cols;
        var acc = 0.0;
        if (valid) {
          for (var r = i32(lane / ${tile}u); r < uniforms.rows; r = r + ${lanes}) {
            let i = r * uniforms.cols + col;
            acc = acc + ${term};
          }
        }
        partial[lane] = acc;
        workgroupBarrier();
        reduceTree(lane, ${lanes}u, ${tile}u, false);
        if (valid && lane < ${tile}u) {
          let sum = partial[lane];
          result[col] = ${final};
        }
      }`,
  };
}

function run(backend: unknown, program: WebGPUProgram, inputs: tf.TensorInfo[], uniforms: Uniform[] = []): tf.TensorInfo {
  return (backend as WebGPUBackend).runWebGPUProgram(program, inputs, "float32", uniforms);
}

// GELU: Phi(x) = (1 + erf(x / sqrt 2)) / 2 with erfc from Abramowitz & Stegun 7.1.26,
// Phi = erfc/2 for x < 0 and 1 - erfc/2 otherwise (as pointwise.wat), phi = e^(-x^2/2) / sqrt(2 pi).
const GELU_PARTS = `
  let xv = x[index];
  let z = abs(xv) * 0.70710678;
  let e = exp(-z * z);
  let t = 1.0 / (1.0 + 0.3275911 * z);
  let poly = ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t;
  let h = 0.5 * poly * e;
  let cdf = select(1.0 - h, h, xv < 0.0);`;

export function geluWebGPU({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x } = inputs as { x: tf.TensorInfo };
  check("gelu", { x });
  return run(backend, elementwise("gelu", ["x"], x.shape, "", `${GELU_PARTS}\n value = xv * cdf;`), [x]);
}

export function geluGradWebGPU({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  check("gelu gradient", { x, dy });
  if (tf.util.sizeFromShape(dy.shape) !== tf.util.sizeFromShape(x.shape)) throw new Error("gelu gradient: dy must have the shape of x");
  return run(backend, elementwise("gelu_grad", ["x", "dy"], x.shape, "", `${GELU_PARTS}\n value = dy[index] * (cdf + xv * e * 0.39894228);`), [x, dy]);
}

const ADAMW_UNIFORMS = "c1 : f32, b2 : f32, c2 : f32, s2 : f32, eps : f32, decay : f32, step : f32,";

// The same float32 operations in the same order as the op-by-op path of ../../train/adamw.ts:
//   m' = m + (g - m) c1;  v' = v b2 + g g c2;  p' = p decay - m' / (sqrt(v') / s2 + eps) step
export function adamwWebGPU({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { p, g, m, v } = inputs as { p: tf.TensorInfo; g: tf.TensorInfo; m: tf.TensorInfo; v: tf.TensorInfo };
  check("AdamW", { p, g, m, v });
  const a = attrs as unknown as AdamWAttrs;
  const u = [a.oneMinusBeta1, a.beta2, a.oneMinusBeta2, a.bias2Sqrt, a.eps, a.decay, a.stepSize].map(f32);
  const program = (key: string, names: string[], body: string) => elementwise(key, names, p.shape, ADAMW_UNIFORMS, body);
  const m2 = run(backend, program("adamw_m", ["g", "m"], "value = m[index] + (g[index] - m[index]) * uniforms.c1;"), [g, m], u);
  const v2 = run(backend, program("adamw_v", ["g", "v"], "value = v[index] * uniforms.b2 + g[index] * g[index] * uniforms.c2;"), [g, v], u);
  const p2 = run(
    backend,
    program("adamw_p", ["p", "m2", "v2"],
      "value = p[index] * uniforms.decay - m2[index] / (sqrt(v2[index]) / uniforms.s2 + uniforms.eps) * uniforms.step;"),
    [p, m2, v2], u,
  );
  return [p2, m2, v2];
}

/** Rows and length of the last axis, with gamma (and beta) of that length. */
function lastAxis(kernel: string, x: tf.TensorInfo, ...params: tf.TensorInfo[]): [number, number] {
  const d = x.shape[x.shape.length - 1];
  if (!(d > 0) || params.some((t) => t.shape.join() !== `${d}`)) {
    throw new Error(`${kernel}: needs gamma (and beta) of shape [${d}], got x [${x.shape}], ${params.map((t) => `[${t.shape}]`).join(", ")}`);
  }
  return [tf.util.sizeFromShape(x.shape) / d, d];
}

export function layerNormWebGPU({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  check("layerNorm", { x, gamma, beta });
  const { eps } = attrs as unknown as { eps: number };
  const [rows, d] = lastAxis("layerNorm", x, gamma, beta);
  const u = [i32(rows), i32(d), f32(eps)];
  const mean = run(backend, rowReduction("ln_mean", ["x"], [rows], rows, "s = s + x[i];",
    "if (lane == 0u) { result[row] = sum / f32(d); }"), [x], u);
  const rstd = run(backend, rowReduction("ln_rstd", ["x", "mean"], [rows], rows,
    "let c = x[i] - mean[row]; s = s + c * c;",
    "if (lane == 0u) { result[row] = 1.0 / sqrt(sum / f32(d) + uniforms.eps); }"), [x, mean], u);
  const y = run(backend, elementwise("ln_y", ["x", "gamma", "beta", "mean", "rstd"], x.shape, "d : i32,", `
    let row = index / uniforms.d;
    let j = index - row * uniforms.d;
    value = (x[index] - mean[row]) * rstd[row] * gamma[j] + beta[j];`), [x, gamma, beta, mean, rstd], [i32(d)]);
  return [y, mean, rstd];
}

// With xh = (x - mean) rstd and g = dy gamma: dx = rstd (g - mean(g) - xh mean(g xh)) per row;
// dgamma = sum over rows of dy xh; dbeta = sum of dy.
export function layerNormGradWebGPU({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, mean, rstd, dy } = inputs as Record<"x" | "gamma" | "mean" | "rstd" | "dy", tf.TensorInfo>;
  check("layerNorm gradient", { x, gamma, mean, rstd, dy });
  const [rows, d] = lastAxis("layerNorm gradient", x, gamma);
  const dx = run(backend, rowReduction("ln_dx", ["x", "gamma", "mean", "rstd", "dy"], x.shape, rows, `
    let g = dy[i] * gamma[j];
    s = s + g;
    s2 = s2 + g * ((x[i] - mean[row]) * rstd[row]);`, `
    let rs = rstd[row];
    let mg = sum / f32(d);
    let mgx = sum2 / f32(d);
    for (var j = i32(lane); j < d; j = j + ${WORKGROUP}) {
      let i = row * d + j;
      let xh = (x[i] - mean[row]) * rs;
      result[i] = rs * (dy[i] * gamma[j] - mg - xh * mgx);
    }`), [x, gamma, mean, rstd, dy], [i32(rows), i32(d), f32(0)]);
  const u = [i32(rows), i32(d), f32(0)];
  const dgamma = run(backend, columnReduction("ln_dgamma", ["x", "mean", "rstd", "dy"], d, "dy[i] * ((x[i] - mean[r]) * rstd[r])"), [x, mean, rstd, dy], u);
  const dbeta = run(backend, columnReduction("ln_dbeta", ["dy"], d, "dy[i]"), [dy], u);
  return [dx, dgamma, dbeta];
}

// Train-mode BatchNorm over the last (channel) axis: the batch mean and biased variance per
// channel (two passes), rstd = 1 / sqrt(var + eps), y = (x - mean) rstd gamma + beta.
export function batchNormWebGPU({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, beta } = inputs as { x: tf.TensorInfo; gamma: tf.TensorInfo; beta: tf.TensorInfo };
  check("batchNorm", { x, gamma, beta });
  const { eps } = attrs as unknown as { eps: number };
  const [rows, c] = lastAxis("batchNorm", x, gamma, beta);
  const u = [i32(rows), i32(c), f32(eps)];
  const mean = run(backend, columnReduction("bn_mean", ["x"], c, "x[i]", "sum / f32(uniforms.rows)"), [x], u);
  const variance = run(backend, columnReduction("bn_var", ["x", "mean"], c, "(x[i] - mean[col]) * (x[i] - mean[col])",
    "sum / f32(uniforms.rows)"), [x, mean], u);
  const rstd = run(backend, elementwise("bn_rstd", ["variance"], [c], "eps : f32,",
    "value = 1.0 / sqrt(variance[index] + uniforms.eps);"), [variance], [f32(eps)]);
  const y = run(backend, elementwise("bn_y", ["x", "gamma", "beta", "mean", "rstd"], x.shape, "c : i32,", `
    let j = index % uniforms.c;
    value = (x[index] - mean[j]) * rstd[j] * gamma[j] + beta[j];`), [x, gamma, beta, mean, rstd], [i32(c)]);
  return [y, mean, variance, rstd];
}

// Its gradient: with xh = (x - mean) rstd, dbeta = sum of dy and dgamma = sum of dy xh over
// the rows, and dx = gamma rstd (dy - dbeta / rows - xh dgamma / rows).
export function batchNormGradWebGPU({ inputs, backend }: KernelArgs): tf.TensorInfo[] {
  const { x, gamma, mean, rstd, dy } = inputs as Record<"x" | "gamma" | "mean" | "rstd" | "dy", tf.TensorInfo>;
  check("batchNorm gradient", { x, gamma, mean, rstd, dy });
  const [rows, c] = lastAxis("batchNorm gradient", x, gamma, mean, rstd);
  const u = [i32(rows), i32(c), f32(0)];
  const dbeta = run(backend, columnReduction("bn_dbeta", ["dy"], c, "dy[i]"), [dy], u);
  const dgamma = run(backend, columnReduction("bn_dgamma", ["x", "mean", "rstd", "dy"], c,
    "dy[i] * ((x[i] - mean[col]) * rstd[col])"), [x, mean, rstd, dy], u);
  const dx = run(backend, elementwise("bn_dx", ["x", "gamma", "mean", "rstd", "dy", "dgamma", "dbeta"], x.shape, "rows : i32, c : i32,", `
    let j = index % uniforms.c;
    let n = f32(uniforms.rows);
    let xh = (x[index] - mean[j]) * rstd[j];
    value = gamma[j] * rstd[j] * (dy[index] - dbeta[j] / n - xh * (dgamma[j] / n));`),
  [x, gamma, mean, rstd, dy, dgamma, dbeta], [i32(rows), i32(c)]);
  return [dx, dgamma, dbeta];
}
