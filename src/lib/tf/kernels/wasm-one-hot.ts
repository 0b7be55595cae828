// OneHot for wasm: the built-in kernel writes integer bit patterns into float32 outputs
// (1 becomes 1.4e-45), so tf.oneHot(..., "float32") returned denormals instead of ones.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { wasmOutputAndViews, type KernelArgs } from "./kernel-access.js";

export function oneHotWasm({ inputs, backend, attrs }: KernelArgs): tf.TensorInfo {
  const { indices } = inputs as { indices: tf.TensorInfo };
  const { depth, onValue, offValue, dtype } = attrs as unknown as tf.OneHotAttrs;
  if (dtype !== "float32" && dtype !== "int32") throw new Error(`OneHot on wasm: dtype must be float32 or int32, got ${dtype}`);
  const { out, outValues, inputValues: [idx] } = wasmOutputAndViews(
    backend as BackendWasm, [...indices.shape, depth], dtype, [indices],
  );
  outValues.fill(offValue);
  for (let i = 0; i < idx.length; i++) {
    const k = idx[i];
    if (k >= 0 && k < depth) outValues[i * depth + k] = onValue;
  }
  return out;
}
