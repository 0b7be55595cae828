// Add, Sub, Multiply and RealDiv with broadcasting on wasm. tfjs's wasm kernels run a
// broadcast element by element with an index computation each (a bias add over [2080, 96]
// took about 1 ms, four times a same-shape add of more elements); here the broadcast is
// reduced to blocks of rows in which each operand is a vector along the row or one value
// repeated, and each block runs in one SIMD pass (../wasm/pointwise.wat, broadcastRows).
// Same-shape operands, other dtypes and empty tensors stay on tfjs's own kernels.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { heapOffset, wasmHeap, withFallback, type KernelArgs } from "./kernel-access.js";
import { pointwiseFor } from "../wasm/pointwise.js";

/** Op codes of broadcastRows. */
export const BROADCAST_OPS = { [tf.Add]: 0, [tf.Sub]: 1, [tf.Multiply]: 2, [tf.RealDiv]: 3 } as const;

/** One axis of the output after merging neighbours: its size and each operand's element stride (0: broadcast). */
interface Axis {
  size: number;
  a: number;
  b: number;
}

/**
 * The broadcast of shapes a and b as merged axes, outermost first: axes of size 1 dropped,
 * neighbours in which each operand is either present in both or broadcast in both merged.
 * Null when the output has a single element.
 */
export function broadcastAxes(aShape: readonly number[], bShape: readonly number[]): Axis[] | null {
  const out = tf.backend_util.assertAndGetBroadcastShape(aShape as number[], bShape as number[]);
  const rank = out.length;
  const pad = (s: readonly number[]) => [...Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aShape), pad(bShape)];
  const merged: { size: number; hasA: boolean; hasB: boolean }[] = [];
  for (let k = 0; k < rank; k++) {
    if (out[k] === 1) continue;
    const hasA = pa[k] !== 1;
    const hasB = pb[k] !== 1;
    const last = merged[merged.length - 1];
    if (last && last.hasA === hasA && last.hasB === hasB) last.size *= out[k];
    else merged.push({ size: out[k], hasA, hasB });
  }
  if (merged.length === 0) return null;
  // Strides from the innermost axis out: an operand's stride grows only over the axes it has.
  const axes: Axis[] = new Array(merged.length);
  let [sa, sb] = [1, 1];
  for (let k = merged.length - 1; k >= 0; k--) {
    const m = merged[k];
    axes[k] = { size: m.size, a: m.hasA ? sa : 0, b: m.hasB ? sb : 0 };
    if (m.hasA) sa *= m.size;
    if (m.hasB) sb *= m.size;
  }
  return axes;
}

/** Blocks smaller than this, called this many times, stay on tfjs's kernel (the calls would cost more). */
const MIN_BLOCK = 32;
const MAX_SMALL_CALLS = 64;

function broadcastBinary(op: number, { inputs, backend }: KernelArgs): tf.TensorInfo | undefined {
  const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
  if (a.dtype !== "float32" || b.dtype !== "float32") return undefined;
  if (a.shape.join() === b.shape.join()) return undefined;
  if (tf.util.sizeFromShape(a.shape) === 0 || tf.util.sizeFromShape(b.shape) === 0) return undefined;
  const axes = broadcastAxes(a.shape, b.shape);
  if (!axes) return undefined;
  const inner = axes[axes.length - 1];
  const rows = axes.length > 1 ? axes[axes.length - 2] : { size: 1, a: 0, b: 0 };
  const outer = axes.slice(0, Math.max(0, axes.length - 2));
  const calls = outer.reduce((n, x) => n * x.size, 1);
  const block = rows.size * inner.size;
  if (block < MIN_BLOCK && calls > MAX_SMALL_CALLS) return undefined;

  const wasm = backend as BackendWasm;
  const outShape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape);
  const out = wasm.makeOutput(outShape, "float32");
  const kernels = pointwiseFor(wasmHeap(wasm));
  const [pa, pb, po] = [heapOffset(wasm, a), heapOffset(wasm, b), heapOffset(wasm, out)];
  const aVec = inner.a === 1 ? 1 : 0;
  const bVec = inner.b === 1 ? 1 : 0;
  // The outer axes as an odometer: element offsets of a and b for each block of the output.
  const index = new Array<number>(outer.length).fill(0);
  let [oa, ob] = [0, 0];
  for (let c = 0; c < calls; c++) {
    kernels.broadcastRows(op, pa + 4 * oa, pb + 4 * ob, po + 4 * c * block, rows.size, inner.size, rows.a, rows.b, aVec, bVec);
    for (let k = outer.length - 1; k >= 0; k--) {
      oa += outer[k].a;
      ob += outer[k].b;
      if (++index[k] < outer[k].size) break;
      index[k] = 0;
      oa -= outer[k].a * outer[k].size;
      ob -= outer[k].b * outer[k].size;
    }
  }
  return out;
}

/** The replacement of one of Add, Sub, Multiply, RealDiv, falling back on tfjs's kernel. */
export function makeBroadcastWasm(kernelName: keyof typeof BROADCAST_OPS) {
  const op = BROADCAST_OPS[kernelName];
  return withFallback(kernelName, (args) => broadcastBinary(op, args));
}
