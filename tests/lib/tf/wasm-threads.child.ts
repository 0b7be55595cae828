// Run by wasm-threads.test.ts in a child process with MASKAU_WASM_THREADS set: starts the
// wasm backend, runs matrix products large enough for the thread pool and batches of small
// ones, plus their gradients, and prints the thread count and a hash of every result's bits as JSON.
import * as tf from "@tensorflow/tfjs-core";
import { initNodeBackend } from "../../../src/lib/tf/node.js";
import * as gemmBinaries from "../../../src/lib/tf/wasm/gemm.wasm.js";
import { usesFusedMultiplyAdd } from "../../../src/lib/tf/wasm/instance.js";
import { uniform } from "./seeded.js";

const info = await initNodeBackend("wasm");
const results: Record<string, string> = {};
/** Element count and FNV-1a hash of the float32 bits. */
const bits = (t: tf.Tensor) => {
  const words = new Uint32Array(Float32Array.from(t.dataSync()).buffer);
  let h = 0x811c9dc5;
  for (const w of words) h = Math.imul(h ^ w, 0x01000193) >>> 0;
  return `${words.length}:${h.toString(16)}`;
};
for (const [i, [m, k, n, ta, tb]] of ([
  [300, 200, 100, false, false],
  [301, 199, 97, true, false],
  [129, 257, 63, false, true],
  [64, 512, 200, true, true],
  // A convolution filter gradient's shape (P^T dy: one narrow side, tall k): A and B are
  // packed in shares across the threads, with a partial block and a partial panel.
  [75, 4099, 13, true, false],
] as const).entries()) {
  const [y, da, db] = tf.tidy(() => {
    const a = tf.tensor2d(uniform(10 + i, m * k), ta ? [k, m] : [m, k]);
    const b = tf.tensor2d(uniform(20 + i, k * n), tb ? [n, k] : [k, n]);
    const w = tf.tensor2d(uniform(30 + i, m * n), [m, n]);
    const [ga, gb] = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, z, ta, tb), w)))([a, b]);
    return [tf.matMul(a, b, ta, tb), ga, gb];
  });
  Object.assign(results, { [`y${i}`]: bits(y), [`da${i}`]: bits(da), [`db${i}`]: bits(db) });
  tf.dispose([y, da, db]);
}
// Batches of small products (attention): split across threads by product.
for (const [i, [batch, m, k, n, tb]] of ([
  [48, 33, 20, 17, false],
  [96, 17, 64, 17, true],
] as const).entries()) {
  const [y, da, db] = tf.tidy(() => {
    const a = tf.tensor3d(uniform(40 + i, batch * m * k), [batch, m, k]);
    const b = tf.tensor3d(uniform(50 + i, batch * k * n), tb ? [batch, n, k] : [batch, k, n]);
    const w = tf.tensor3d(uniform(60 + i, batch * m * n), [batch, m, n]);
    const [ga, gb] = tf.grads((x: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, z, false, tb), w)))([a, b]);
    return [tf.matMul(a, b, false, tb), ga, gb];
  });
  Object.assign(results, { [`by${i}`]: bits(y), [`bda${i}`]: bits(da), [`bdb${i}`]: bits(db) });
  tf.dispose([y, da, db]);
}
// A convolution's filter gradient (P^T written straight into the packed layout of A, whose
// 4-row blocks are then split across the threads): the ResNet stem's 5x5 stride 2 on 3 channels.
{
  const dw = tf.tidy(() => {
    const x = tf.tensor4d(uniform(80, 8 * 32 * 32 * 3), [8, 32, 32, 3]);
    const w = tf.tensor4d(uniform(81, 8 * 16 * 16 * 16), [8, 16, 16, 16]);
    const f = tf.tensor4d(uniform(82, 5 * 5 * 3 * 16), [5, 5, 3, 16]);
    return tf.grad((z: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, z as tf.Tensor4D, 2, "same"), w)))(f);
  });
  results.convDw = bits(dw);
  dw.dispose();
}
// Largest deviation of a product from float64, whichever kernel build ran.
const [m, k, n] = [67, 300, 45];
const a = uniform(70, m * k);
const b = uniform(71, k * n);
const y = tf.tidy(() => tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])).dataSync());
let maxErr = 0;
for (let i = 0; i < m; i++) {
  for (let j = 0; j < n; j++) {
    let ref = 0;
    for (let q = 0; q < k; q++) ref += a[i * k + q] * b[q * n + j];
    maxErr = Math.max(maxErr, Math.abs(ref - y[i * n + j]));
  }
}
const fma = usesFusedMultiplyAdd(gemmBinaries);
process.stdout.write(JSON.stringify({ threads: info.threads, label: info.name, fma, maxErr, results }) + "\n");
