// Switching between the three Node backends inside one test file. Each backend is
// initialised once through initNodeBackend (WebGPU on Dawn + SwiftShader under vitest);
// later switches only select it, so tensors on the other backends stay valid.
import * as tf from "@tensorflow/tfjs-core";
import type { BackendName } from "../../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../../src/lib/tf/node.js";

export const PARITY_BACKENDS = ["cpu", "wasm", "webgpu"] as const;
export type ParityBackend = (typeof PARITY_BACKENDS)[number];

const started = new Set<BackendName>();

/**
 * Makes `name` the active backend. A backend that cannot start (no WebGPU adapter, say)
 * fails the calling test with initNodeBackend's reason: never a skip.
 */
export async function useBackend(name: ParityBackend): Promise<void> {
  if (!started.has(name)) {
    const info = await initNodeBackend(name);
    if (info.name !== name) throw new Error(`asked for the ${name} backend, got ${info.name}`);
    started.add(name);
  } else if (tf.getBackend() !== name) {
    if (!(await tf.setBackend(name))) throw new Error(`could not switch back to the ${name} backend`);
  }
}

/** Values of a tensor as float64 numbers (asynchronous read: webgpu in Node cannot read synchronously). */
export async function read(t: tf.Tensor): Promise<Float64Array> {
  return Float64Array.from(await t.data());
}
