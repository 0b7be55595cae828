// A live check that the running backend computes: a deterministic matmul and
// its checksum against a float64 reference, a gradient (training works), and the
// time it took.
import * as tf from "@tensorflow/tfjs-core";
import { backendLabel, type BackendInfo } from "../lib/tf/backend.js";

export async function BackendCheck(info: BackendInfo, { size = 128 } = {}): Promise<HTMLElement> {
  const a = new Float32Array(size * size).map((_, i) => Math.sin(i * 0.37));
  const b = new Float32Array(size * size).map((_, i) => Math.cos(i * 0.11));
  let expected = 0;
  for (let i = 0; i < size; i++) {
    for (let k = 0; k < size; k++) {
      const aik = a[i * size + k];
      for (let j = 0; j < size; j++) expected += aik * b[k * size + j];
    }
  }
  const start = performance.now();
  const product = tf.tidy(() => tf.sum(tf.matMul(tf.tensor2d(a, [size, size]), tf.tensor2d(b, [size, size]))));
  const got = (await product.data())[0];
  product.dispose();
  // d/dx sum(x^2 * 3) = 6x: checks that gradients are registered on this backend.
  const grad = tf.tidy(() => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(tf.square(x), 3)))(tf.tensor1d([1, -2, 0.5])));
  const g = Array.from(await grad.data());
  grad.dispose();
  const ms = performance.now() - start;
  const gradOk = [6, -12, 3].every((v, i) => Math.abs(g[i] - v) < 1e-5);
  const ok = gradOk && Math.abs(got - expected) <= 1e-3 * Math.max(1, Math.abs(expected));
  const out = document.createElement("p");
  out.className = "maskau-backend-check";
  out.dataset.ok = String(ok);
  out.textContent =
    `${backendLabel(info)}: ${size}×${size} matmul checksum ${got.toFixed(3)} ` +
    `(float64 reference ${expected.toFixed(3)}), gradient ${gradOk ? "ok" : "wrong"} ` +
    `${ok ? "✓" : "✗ mismatch"} in ${ms.toFixed(1)} ms`;
  return out;
}
