// Identity and same-dtype Cast for wasm without a copy. tfjs's engine clones every tensor
// it saves for a gradient (Identity), and wasm's Identity copied the data each time: about
// 550 copies, 5% of an MAE training step. Kernels never write into their inputs, so the
// output can share the input's data, reference-counted as the wasm Reshape kernel does.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendWasm } from "@tensorflow/tfjs-backend-wasm";
import { withFallback } from "./kernel-access.js";

function share(backend: BackendWasm, x: tf.TensorInfo): tf.TensorInfo {
  backend.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const makeIdentityWasm = withFallback(tf.Identity, ({ inputs, backend }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  return x.dtype === "string" ? undefined : share(backend as BackendWasm, x);
});

export const makeCastWasm = withFallback(tf.Cast, ({ inputs, backend, attrs }) => {
  const { x } = inputs as { x: tf.TensorInfo };
  const { dtype } = attrs as unknown as tf.CastAttrs;
  return x.dtype === dtype && dtype !== "string" ? share(backend as BackendWasm, x) : undefined;
});
