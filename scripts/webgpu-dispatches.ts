// Kernels and GPU dispatches per training step on webgpu, with MaskAU's fused kernels
// (src/lib/tf/kernels/webgpu-fused.ts) and without them (unregistered, so that every caller
// takes its op-by-op path), for the bench workloads (docs/speed.md, "WebGPU: fused kernels").
// Kernels are tf.profile's count for one step; dispatches count the backend's
// runWebGPUProgram calls in the same step (a fused kernel runs one to four programs; a
// reshape runs none). Then the median ms of ITERS steps after WARMUP, each way. Last, the
// AdamW update alone over the bench MAE's parameters (workload "adamw"), each way.
//   MASKAU_WEBGPU=swiftshader WORKLOADS=mae_train,student_kd_step npx tsx scripts/webgpu-dispatches.ts
import * as tf from "@tensorflow/tfjs-core";
import type { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import { BENCH_MAE, WORKLOADS } from "../src/lib/bench/workloads.js";
import { createMae } from "../src/lib/models/mae.js";
import { AdamW } from "../src/lib/train/adamw.js";
import {
  FUSED_ADAMW, FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, FUSED_GELU, FUSED_GELU_GRAD, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD,
} from "../src/lib/tf/fused.js";
import { backendLabel } from "../src/lib/tf/backend.js";
import { initNodeBackend } from "../src/lib/tf/node.js";

const FUSED = [FUSED_GELU, FUSED_GELU_GRAD, FUSED_ADAMW, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD, FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD];
const workloads = (process.env.WORKLOADS ?? "mae_train,student_kd_step").split(",");
const warmup = Number(process.env.WARMUP ?? 1);
const iters = Number(process.env.ITERS ?? 3);

const info = await initNodeBackend("webgpu");
const backend = tf.backend() as WebGPUBackend;
let dispatches = 0;
const runProgram = backend.runWebGPUProgram.bind(backend);
backend.runWebGPUProgram = (...args: Parameters<WebGPUBackend["runWebGPUProgram"]>) => {
  dispatches++;
  return runProgram(...args);
};
const configs = FUSED.map((name) => tf.getKernel(name, "webgpu")!);

async function measure(name: string) {
  const workload = name === "adamw" ? adamwOnly() : WORKLOADS[name](0);
  try {
    for (let i = 0; i < warmup; i++) await workload.step();
    dispatches = 0;
    const profile = await tf.profile(() => workload.step());
    await profile.result;
    const perStep = { kernels: profile.kernels.length, dispatches, fused: profile.kernels.filter((k) => FUSED.includes(k.name)).length };
    const times: number[] = [];
    for (let i = 0; i < iters; i++) {
      const t0 = performance.now();
      await workload.step();
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    return { ...perStep, median_ms: times[Math.floor(times.length / 2)], min_ms: times[0] };
  } finally {
    workload.dispose();
  }
}

/** The AdamW update alone over the bench MAE's parameters, as a workload. */
function adamwOnly() {
  const mae = createMae(BENCH_MAE, { seed: 0 });
  const variables = mae.trainable();
  const grads: tf.NamedTensorMap = Object.fromEntries(Object.entries(variables).map(([k, v], i) => [k, tf.randomNormal(v.shape, 0, 1, "float32", i)]));
  const optimizer = new AdamW({ betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
  const first = Object.values(variables)[0];
  return {
    async step() {
      optimizer.update(variables, grads, 1.5e-4);
      await first.data();
    },
    dispose() {
      optimizer.dispose();
      mae.dispose();
      tf.dispose(Object.values(grads));
    },
  };
}

console.log(`backend ${backendLabel(info)}, ${warmup} warm-up + ${iters} timed steps`);
for (const name of workloads) {
  const fused = await measure(name);
  for (const n of FUSED) tf.unregisterKernel(n, "webgpu");
  const opByOp = await measure(name);
  for (const c of configs) tf.registerKernel(c);
  console.log(JSON.stringify({ workload: name, fused, opByOp }));
}
