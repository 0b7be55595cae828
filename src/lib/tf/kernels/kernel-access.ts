// Small helpers shared by the replacement kernels: calling a backend's own kernels from a
// composite kernel, and reading/writing the memory of the CPU-resident backends.
import * as tf from "@tensorflow/tfjs-core";
import type { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import type { EmscriptenHeap } from "../wasm/instance.js";

export type TypedArray = Float32Array | Int32Array | Uint8Array;

/** Arguments every kernel function receives. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  backend: unknown;
  attrs?: tf.NamedAttrMap;
}

/** Runs one of `backendName`'s own kernels on `backend` (for composite kernels). */
export function runBackendKernel(
  kernelName: string,
  backendName: string,
  backend: unknown,
  inputs: tf.NamedTensorInfoMap,
  attrs: object = {},
): tf.TensorInfo {
  const config = tf.getKernel(kernelName, backendName);
  if (!config) throw new Error(`kernel ${kernelName} is not registered for the ${backendName} backend`);
  const out = config.kernelFunc({ inputs, backend: backend as tf.KernelBackend, attrs: attrs as tf.NamedAttrMap });
  if (Array.isArray(out)) throw new Error(`kernel ${kernelName} returned several outputs where one was expected`);
  return out;
}

/**
 * A replacement kernel that handles some cases itself: `fast` returns undefined for the
 * others, which run on the backend's own kernel (given to the maker when registering).
 */
export function withFallback(
  kernelName: string,
  fast: (args: KernelArgs) => tf.TensorInfo | tf.TensorInfo[] | undefined,
): (original: tf.KernelFunc | undefined) => tf.KernelFunc {
  return (original) => {
    if (!original) throw new Error(`${kernelName}: the backend's own kernel is needed to fall back on`);
    return (args) => fast(args as unknown as KernelArgs) ?? original(args);
  };
}

/** A 4-D shape, checked, for the conv and pool helpers of backend_util. */
export function shape4(info: tf.TensorInfo, what: string): [number, number, number, number] {
  if (info.shape.length !== 4) throw new Error(`${what} must be 4-D [batch, height, width, channels], got shape [${info.shape}]`);
  return info.shape as [number, number, number, number];
}

/**
 * Allocates a wasm output and returns heap views of it and of the inputs. The output is
 * allocated first because an allocation can grow the wasm heap, which detaches every
 * view taken before it. Nothing may allocate on the wasm heap while the views are in use.
 */
export function wasmOutputAndViews(
  backend: BackendWasm,
  shape: number[],
  dtype: tf.DataType,
  inputs: tf.TensorInfo[],
): { out: tf.TensorInfo; outValues: TypedArray; inputValues: TypedArray[] } {
  const out = backend.makeOutput(shape, dtype);
  const outValues = backend.typedArrayFromHeap(out) as TypedArray;
  const inputValues = inputs.map((t) => backend.typedArrayFromHeap(t) as TypedArray);
  return { out, outValues, inputValues };
}

/** The parts of the wasm backend that MaskAU's own kernels use (not in its public typings). */
interface WasmInternals {
  wasm: EmscriptenHeap;
  dataIdMap: { get(dataId: tf.DataId): { memoryOffset: number } };
}

/** The Emscripten module (heap, malloc) behind a wasm backend. */
export function wasmHeap(backend: unknown): EmscriptenHeap {
  return (backend as WasmInternals).wasm;
}

/** Byte offset of a wasm tensor's data in the heap (stable while the tensor lives). */
export function heapOffset(backend: unknown, t: tf.TensorInfo): number {
  return (backend as WasmInternals).dataIdMap.get(t.dataId).memoryOffset;
}

/** The values of a cpu-backend tensor (no copy). */
export function cpuValues(backend: MathBackendCPU, info: tf.TensorInfo): TypedArray {
  return backend.readSync(info.dataId) as TypedArray;
}
