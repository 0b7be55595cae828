// BatchMatMul for wasm. The built-in kernel hands a product to XNNPACK only when both
// operands are single matrices and neither is transposed; every other case (a batch of
// matrices, as in attention, or a transpose flag, as in tfjs's own matmul gradient) runs
// a scalar loop 10-50x slower. This kernel reduces every case to XNNPACK products:
//   - a transposed operand is transposed explicitly first (wasm's Transpose kernel);
//   - a batch of `a` against one `b` is a single product of the stacked rows of `a`;
//   - any other batch is one XNNPACK product per matrix pair, on views of the operands
//     (tensor ids registered on slices of the wasm heap; nothing is copied).
// Batch dimensions broadcast as in tf.matMul.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { KernelArgs } from "./kernel-access.js";
import { wasmKernel } from "./wasm-im2col.js";

/** The parts of the wasm backend's module that the views use (not in its public typings). */
interface WasmInternals {
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: tf.DataId): { id: number; memoryOffset: number } };
  wasm: {
    cwrap: (name: string, ret: null, args: string[]) => (...args: unknown[]) => void;
    tfjs: { registerTensor(id: number, size: number, offset: number): void; disposeData(id: number): void };
  };
}

type NativeMatMul = (
  aId: number, aShape: Uint8Array, aRank: number,
  bId: number, bShape: Uint8Array, bRank: number,
  transposeA: boolean, transposeB: boolean, outId: number,
) => void;

const natives = new WeakMap<object, NativeMatMul>();

function nativeMatMul(backend: WasmInternals): NativeMatMul {
  let f = natives.get(backend.wasm);
  if (!f) {
    f = backend.wasm.cwrap(tf.BatchMatMul, null, [
      "number", "array", "number", "number", "array", "number", "number", "number", "number",
    ]) as NativeMatMul;
    natives.set(backend.wasm, f);
  }
  return f;
}

const shapeBytes = (shape: number[]) => new Uint8Array(new Int32Array(shape).buffer);

/** Row-major strides of the broadcast batch shape, for mapping an output batch to an operand's. */
function batchIndexer(batch: number[], outBatch: number[]): (i: number) => number {
  const size = batch.reduce((p, d) => p * d, 1);
  if (size === 1) return () => 0;
  const full = outBatch.reduce((p, d) => p * d, 1);
  if (size === full) return (i) => i;
  const padded = [...new Array<number>(outBatch.length - batch.length).fill(1), ...batch];
  const strides = padded.map((_, k) => padded.slice(k + 1).reduce((p, d) => p * d, 1));
  return (i) => {
    let rest = i;
    let index = 0;
    for (let k = outBatch.length - 1; k >= 0; k--) {
      const coord = rest % outBatch[k];
      rest = (rest - coord) / outBatch[k];
      if (padded[k] !== 1) index += coord * strides[k];
    }
    return index;
  };
}

/** Makes the wasm BatchMatMul kernel; `original` (wasm's own) runs the single-product cases. */
export function makeBatchMatMulWasm(original: tf.KernelFunc | undefined): tf.KernelFunc {
  if (!original) throw new Error("BatchMatMul: the wasm backend's own kernel is needed");
  return (args) => {
    const { inputs, backend, attrs } = args as unknown as KernelArgs;
    const wasm = backend as BackendWasm;
    let { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const { transposeA, transposeB } = attrs as unknown as tf.BatchMatMulAttrs;
    if (a.dtype !== "float32" || b.dtype !== "float32") return original(args);
    const release: tf.TensorInfo[] = [];
    const swapLast = (t: tf.TensorInfo) => {
      const perm = t.shape.map((_, i) => i);
      [perm[perm.length - 2], perm[perm.length - 1]] = [perm.length - 1, perm.length - 2];
      const out = wasmKernel(wasm, tf.Transpose, { x: t }, { perm });
      release.push(out);
      return out;
    };
    if (transposeA) a = swapLast(a);
    if (transposeB) b = swapLast(b);
    const [m, k] = a.shape.slice(-2);
    const [k2, n] = b.shape.slice(-2);
    if (k !== k2) {
      throw new Error(`matMul: inner dimensions ${k} and ${k2} of [${a.shape}] and [${b.shape}] (after transposes) differ`);
    }
    const batchA = a.shape.slice(0, -2);
    const batchB = b.shape.slice(0, -2);
    const outBatch = tf.backend_util.assertAndGetBroadcastShape(batchA, batchB);
    const outShape = [...outBatch, m, n];
    const sizeA = batchA.reduce((p, d) => p * d, 1);
    const sizeB = batchB.reduce((p, d) => p * d, 1);
    const plain = { transposeA: false, transposeB: false };
    let out: tf.TensorInfo;
    if (sizeB === 1 && sizeA === outBatch.reduce((p, d) => p * d, 1)) {
      // One b for every a: stack the rows of a (this includes the single-product case).
      const rows = wasmKernel(wasm, tf.Reshape, { x: a }, { shape: [1, sizeA * m, k] });
      const b3 = wasmKernel(wasm, tf.Reshape, { x: b }, { shape: [1, k, n] });
      const product = original({ inputs: { a: rows, b: b3 }, backend: wasm, attrs: plain as unknown as tf.NamedAttrMap }) as tf.TensorInfo;
      out = wasmKernel(wasm, tf.Reshape, { x: product }, { shape: outShape }, [rows, b3, product]);
    } else {
      out = batchedProducts(wasm as unknown as WasmInternals, a, b, batchA, batchB, outBatch, m, k, n, wasm);
    }
    for (const t of release) wasm.disposeData(t.dataId);
    return out;
  };
}

/** One XNNPACK product per output matrix, on heap views of the operands. */
function batchedProducts(
  internals: WasmInternals,
  a: tf.TensorInfo,
  b: tf.TensorInfo,
  batchA: number[],
  batchB: number[],
  outBatch: number[],
  m: number,
  k: number,
  n: number,
  wasm: BackendWasm,
): tf.TensorInfo {
  const count = outBatch.reduce((p, d) => p * d, 1);
  const out = wasm.makeOutput([...outBatch, m, n], "float32");
  if (count === 0 || m === 0 || n === 0) return out;
  if (k === 0) {
    wasm.typedArrayFromHeap(out).fill(0);
    return out;
  }
  const native = nativeMatMul(internals);
  const { tfjs } = internals.wasm;
  const aOffset = internals.dataIdMap.get(a.dataId).memoryOffset;
  const bOffset = internals.dataIdMap.get(b.dataId).memoryOffset;
  const outOffset = internals.dataIdMap.get(out.dataId).memoryOffset;
  const aShape = shapeBytes([1, m, k]);
  const bShape = shapeBytes([1, k, n]);
  const aIndex = batchIndexer(batchA, outBatch);
  const bIndex = batchIndexer(batchB, outBatch);
  // Views are registered once per operand matrix: XNNPACK packs (and caches, on the view's
  // id) the b matrix, so a b shared by several outputs is packed once.
  const views = new Map<string, number>();
  const view = (key: string, offset: number, size: number) => {
    let id = views.get(key);
    if (id === undefined) {
      id = internals.dataIdNextNumber++;
      tfjs.registerTensor(id, size, offset);
      views.set(key, id);
    }
    return id;
  };
  try {
    for (let i = 0; i < count; i++) {
      const ai = aIndex(i);
      const bi = bIndex(i);
      const aId = view(`a${ai}`, aOffset + ai * m * k * 4, m * k);
      const bId = view(`b${bi}`, bOffset + bi * k * n * 4, k * n);
      const outId = view(`o${i}`, outOffset + i * m * n * 4, m * n);
      native(aId, aShape, 3, bId, bShape, 3, false, false, outId);
    }
  } finally {
    // Disposing a b view also deletes the XNNPACK operator cached on it.
    for (const id of views.values()) tfjs.disposeData(id);
  }
  return out;
}
