// MaskAU's fused kernels on webgpu (src/lib/tf/kernels/webgpu-fused.ts), run on Dawn +
// SwiftShader like the rest of the parity suite (a missing adapter fails, never skips):
// each kernel against the op-by-op path on webgpu (the fused kernels unregistered for the
// comparison), on shapes that are not multiples of 4 or of the workgroup sizes, and short
// training runs (an MAE, a ResNet) whose losses follow the op-by-op ones.
import * as tf from "@tensorflow/tfjs-core";
import { afterAll, describe, expect, it } from "vitest";
import { MAE_PRESETS, type MaeConfig } from "../../../src/lib/config.js";
import { batchNormCore } from "../../../src/lib/models/batchnorm.js";
import { createMae, seededNoise } from "../../../src/lib/models/mae.js";
import { createResNet, resnetOutputSize, type ResNetConfig } from "../../../src/lib/models/resnet.js";
import {
  FUSED_ADAMW, FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD, FUSED_GELU, FUSED_GELU_GRAD, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD, hasFused,
} from "../../../src/lib/tf/fused.js";
import { gelu, layerNorm } from "../../../src/lib/tf/ops.js";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { read, useBackend } from "./backends.js";
import * as ref from "./reference.js";
import { seededProblem, uniform } from "./seeded.js";

const FUSED = [FUSED_GELU, FUSED_GELU_GRAD, FUSED_ADAMW, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD, FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD];

afterAll(async () => {
  await useBackend("cpu");
});

/** Runs f on webgpu with the fused kernels unregistered, so that every caller takes its op-by-op path. */
async function opByOp<T>(f: () => Promise<T>): Promise<T> {
  await useBackend("webgpu");
  const configs = FUSED.map((name) => tf.getKernel(name, "webgpu")!);
  for (const name of FUSED) tf.unregisterKernel(name, "webgpu");
  try {
    expect(hasFused(FUSED_GELU)).toBe(false);
    return await f();
  } finally {
    for (const config of configs) tf.registerKernel(config);
  }
}

/** Reads tensors (and disposes them). */
async function readAll(ts: tf.Tensor[]): Promise<Float64Array[]> {
  const out = await Promise.all(ts.map(read));
  tf.dispose(ts);
  return out;
}

/** Every element within 1e-4 + 1e-5 |expected| (NaN where expected is NaN). */
function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, atol = 1e-4, rtol = 1e-5): void {
  expect(actual.length, `${what}: length`).toBe(expected.length);
  let worst = 0;
  let at = -1;
  for (let i = 0; i < expected.length; i++) {
    if (Number.isNaN(expected[i])) {
      expect(actual[i], `${what}[${i}]`).toBeNaN();
      continue;
    }
    const excess = Math.abs(actual[i] - expected[i]) - (atol + rtol * Math.abs(expected[i]));
    if (!(excess <= worst)) [worst, at] = [Number.isNaN(excess) ? Infinity : excess, i];
  }
  expect(at, `${what}: element ${at} is ${actual[at]}, expected ${expected[at]}`).toBe(-1);
}

/** The kernels a function runs, by name. */
async function kernelsOf(f: () => tf.TensorContainer): Promise<string[]> {
  const profile = await tf.profile(() => {
    const r = f();
    tf.dispose(r);
  });
  return profile.kernels.map((k) => k.name);
}

describe("fused kernels on webgpu", () => {
  it("are registered for webgpu", async () => {
    await useBackend("webgpu");
    expect(FUSED.filter((name) => !hasFused(name))).toEqual([]);
  });

  for (const n of [1, 3, 7, 64, 65, 129, 4099]) {
    it(`GELU and its gradient match the op-by-op path and float64 for ${n} values`, async () => {
      const x = Float32Array.from({ length: n }, (_, i) => (n === 1 ? 0.5 : -12 + (24 * i) / (n - 1)));
      const dy = uniform(7, n);
      const run = () => {
        const xt = tf.tensor1d(x);
        const dyt = tf.tensor1d(dy);
        const dx = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), dyt)))(xt);
        return [gelu(xt), dx, xt, dyt];
      };
      const slow = await opByOp(async () => readAll(run()));
      await useBackend("webgpu");
      // Called directly as well: gelu() keeps tensors under 4 elements on the op-by-op path.
      const direct = tf.tidy(() => {
        const [xt, dyt] = [tf.tensor1d(x), tf.tensor1d(dy)];
        return [tf.engine().runKernel(FUSED_GELU, { x: xt }) as tf.Tensor, tf.engine().runKernel(FUSED_GELU_GRAD, { x: xt, dy: dyt }) as tf.Tensor];
      });
      const [y, dx] = await readAll(direct);
      expectClose(y, slow[0], "gelu");
      expectClose(dx, slow[1], "gelu gradient");
      const exact = ref.gelu(x, dy);
      expectClose(y, exact.y, "gelu vs float64", 1e-6, 0);
      expectClose(dx, exact.dx, "gelu gradient vs float64", 2e-6, 0);
      if (n >= 4) {
        const names = await kernelsOf(() => run());
        expect(names).toContain(FUSED_GELU);
        expect(names).toContain(FUSED_GELU_GRAD);
      }
    });
  }

  it("AdamW matches the op-by-op update over three steps and runs one kernel per parameter", async () => {
    const shapes: Record<string, number[]> = { four: [4], odd: [7], wide: [65], matrix: [33, 5], big: [3, 257] };
    const train = async (tag: string) => {
      const { vars, grads: gradsAt } = seededProblem(shapes, `adamw-webgpu-${tag}`);
      const opt = new AdamW({ betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05, decays: (n) => n !== "odd" });
      let kernels: string[] = [];
      for (let step = 0; step < 3; step++) {
        const grads = gradsAt(step);
        const profile = await tf.profile(() => opt.update(vars, grads, 1e-2 * (step + 1)));
        kernels = profile.kernels.map((k) => k.name); // the last step's (the first also creates the moments)
        tf.dispose(Object.values(grads));
      }
      const out: Record<string, Float64Array> = {};
      for (const [name, v] of Object.entries(vars)) out[name] = await read(v);
      const state = await opt.readState();
      for (const [key, buffer] of Object.entries(state.buffers)) out[key] = Float64Array.from(buffer.values);
      tf.dispose(Object.values(vars));
      opt.dispose();
      return { out, kernels };
    };
    const slow = await opByOp(() => train("slow"));
    await useBackend("webgpu");
    const fast = await train("fast");
    expect(Object.keys(fast.out).sort()).toEqual(Object.keys(slow.out).sort());
    for (const key of Object.keys(slow.out)) expectClose(fast.out[key], slow.out[key], key);
    expect(fast.kernels).toEqual(Object.keys(shapes).map(() => FUSED_ADAMW));
    expect(slow.kernels.length).toBeGreaterThan(10 * fast.kernels.length);
  });

  for (const [shape, offset] of [[[5, 7], 0], [[3, 4, 12], 0], [[2, 130], 0], [[70, 3], 0], [[4, 33], 50], [[2, 3, 192], 0]] as const) {
    it(`LayerNorm and its gradient match the op-by-op path for [${shape}]${offset ? ` around ${offset}` : ""}`, async () => {
      const d = shape[shape.length - 1];
      const size = tf.util.sizeFromShape([...shape]);
      const xs = uniform(40 + d, size, offset - 3, offset + 3);
      const [gs, bs, dys] = [uniform(41, d, 0.5, 1.5), uniform(42, d), uniform(43 + d, size, -2, 2)];
      const inputs = () => [tf.tensor(xs, [...shape]), tf.tensor1d(gs), tf.tensor1d(bs), tf.tensor(dys, [...shape])];
      const slow = await opByOp(async () => {
        const out = tf.tidy(() => {
          const [x, gamma, beta, dy] = inputs();
          const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5), dy));
          const mean = tf.mean(x, -1);
          const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(tf.sub(x, tf.expandDims(mean, -1))), -1), 1e-5));
          return [layerNorm(x, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5), mean, rstd, ...tf.grads(f)([x, gamma, beta])];
        });
        return readAll(out);
      });
      await useBackend("webgpu");
      const before = tf.memory().numTensors;
      const fast = await readAll(tf.tidy(() => {
        const [x, gamma, beta, dy] = inputs();
        const [y, mean, rstd] = tf.engine().runKernel(FUSED_LAYER_NORM, { x, gamma, beta }, { eps: 1e-5 } as never) as tf.Tensor[];
        const grads = tf.engine().runKernel(FUSED_LAYER_NORM_GRAD, { x, gamma, mean, rstd, dy }) as tf.Tensor[];
        return [y, mean, rstd, ...grads];
      }));
      expect(tf.memory().numTensors).toBe(before);
      ["y", "mean", "rstd", "dx", "dgamma", "dbeta"].forEach((what, i) => expectClose(fast[i], slow[i], `layerNorm ${what}`));
      if (d % 4 === 0) {
        // layerNorm() takes the fused kernels here.
        const names = await kernelsOf(() => {
          const [x, gamma, beta, dy] = inputs();
          return tf.grads((a: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, gamma as tf.Tensor1D, beta as tf.Tensor1D, 1e-5), dy)))([x]);
        });
        expect(names).toContain(FUSED_LAYER_NORM);
        expect(names).toContain(FUSED_LAYER_NORM_GRAD);
      }
    });
  }

  for (const shape of [[4, 5, 6, 8], [3, 7, 12], [5, 3], [300, 37], [2, 3, 3, 70]]) {
    it(`train-mode BatchNorm and its gradient match the op-by-op path for [${shape}]`, async () => {
      const c = shape[shape.length - 1];
      const size = tf.util.sizeFromShape(shape);
      const xs = uniform(60 + c, size, -2, 3);
      const [gs, bs, dys] = [uniform(61, c, 0.5, 1.5), uniform(62, c), uniform(63 + c, size)];
      const inputs = () => [tf.tensor(xs, shape), tf.tensor1d(gs), tf.tensor1d(bs), tf.tensor(dys, shape)];
      const axes = shape.slice(0, -1).map((_, i) => i);
      const slow = await opByOp(async () => {
        const out = tf.tidy(() => {
          const [x, gamma, beta, dy] = inputs();
          const p = (g: tf.Tensor, b: tf.Tensor) => ({ weight: g as tf.Tensor1D, bias: b as tf.Tensor1D, runningMean: tf.zeros([c]) as tf.Tensor1D, runningVar: tf.ones([c]) as tf.Tensor1D });
          const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(batchNormCore(a, shape.length - 1, p(g, b), { training: true, eps: 1e-5 }).y, dy));
          const mean = tf.mean(x, axes);
          const variance = tf.mean(tf.square(tf.sub(x, mean)), axes);
          const y = batchNormCore(x, shape.length - 1, p(gamma, beta), { training: true, eps: 1e-5 }).y;
          return [y, mean, variance, tf.rsqrt(tf.add(variance, 1e-5)), ...tf.grads(f)([x, gamma, beta])];
        });
        return readAll(out);
      });
      await useBackend("webgpu");
      const before = tf.memory().numTensors;
      const fast = await readAll(tf.tidy(() => {
        const [x, gamma, beta, dy] = inputs();
        const [y, mean, variance, rstd] = tf.engine().runKernel(FUSED_BATCH_NORM, { x, gamma, beta }, { eps: 1e-5 } as never) as tf.Tensor[];
        const grads = tf.engine().runKernel(FUSED_BATCH_NORM_GRAD, { x, gamma, mean, rstd, dy }) as tf.Tensor[];
        return [y, mean, variance, rstd, ...grads];
      }));
      expect(tf.memory().numTensors).toBe(before);
      ["y", "mean", "variance", "rstd", "dx", "dgamma", "dbeta"].forEach((what, i) => expectClose(fast[i], slow[i], `batchNorm ${what}`));
    });
  }
});

/** Losses of `steps` AdamW steps of `loss` over `vars`, and the kernels of the last step (by name). */
async function train(steps: number, vars: Record<string, tf.Variable>, loss: () => tf.Scalar, after?: () => void) {
  const names = Object.keys(vars);
  const list = names.map((n) => vars[n]);
  const optimizer = new AdamW({ weightDecay: 0.05 });
  const losses: number[] = [];
  let kernels: string[] = [];
  for (let step = 0; step < steps; step++) {
    let value: tf.Scalar | undefined;
    let grads: tf.NamedTensorMap = {};
    const profile = await tf.profile(() => {
      ({ value, grads } = tf.variableGrads(loss, list));
      const named: tf.NamedTensorMap = {};
      names.forEach((n, i) => (named[n] = grads[list[i].name]));
      optimizer.update(vars, named, 3e-3);
      after?.();
      return value;
    });
    kernels = profile.kernels.map((k) => k.name);
    losses.push((await value!.data())[0]);
    tf.dispose([value!, ...Object.values(grads)]);
  }
  optimizer.dispose();
  return { losses, kernels };
}

describe("training on webgpu with the fused kernels", () => {
  it("an MAE (LayerNorm, GELU, AdamW) follows the op-by-op loss trajectory", async () => {
    const config: MaeConfig = {
      ...MAE_PRESETS.tiny, imgSize: 32, embedDim: 32, depth: 2, numHeads: 2, decoderEmbedDim: 32, decoderDepth: 1, decoderNumHeads: 2,
    };
    const run = async () => {
      const model = createMae(config, { seed: 1 });
      const imgs = tf.tensor4d(uniform(9, 4 * 32 * 32 * 3), [4, 32, 32, 3]);
      const noise = seededNoise(11, 4, model.numPatches);
      const out = await train(5, model.trainable(), () => model.loss(imgs, 0.75, noise));
      imgs.dispose();
      model.dispose();
      return out;
    };
    const slow = await opByOp(run);
    await useBackend("webgpu");
    const fast = await run();
    for (const name of [FUSED_GELU, FUSED_GELU_GRAD, FUSED_ADAMW, FUSED_LAYER_NORM, FUSED_LAYER_NORM_GRAD]) {
      expect(fast.kernels).toContain(name);
      expect(slow.kernels).not.toContain(name);
    }
    console.log(
      `[webgpu fused] MAE: ${fast.kernels.length} kernels per step fused, ${slow.kernels.length} op by op; ` +
        `losses fused ${fast.losses.map((l) => l.toFixed(6))}, op by op ${slow.losses.map((l) => l.toFixed(6))}`,
    );
    expect(fast.losses[4]).toBeLessThan(fast.losses[0]);
    expectClose(fast.losses, slow.losses, "MAE losses", 1e-5, 1e-5);
  });

  it("a ResNet in train mode (BatchNorm, AdamW) follows the op-by-op loss trajectory", async () => {
    const config: ResNetConfig = { stemChannels: 8, stemKernel: 5, stemStride: 2, maxPool: true, widths: [8, 8, 12], blocks: [1, 2, 1] };
    const t = resnetOutputSize(config, 24) ** 2;
    const run = async () => {
      const net = createResNet(config, { seed: 2 });
      const x = tf.tensor4d(uniform(7, 3 * 24 * 24 * 3, -2, 2), [3, 24, 24, 3]);
      const target = tf.tensor(uniform(8, 3 * t * 12, -1, 1), [3, t, 12]);
      const out = await train(4, net.params.trainable(), () => tf.mean(tf.square(tf.sub(net.forwardFeatures(x, { training: true }), target))) as tf.Scalar,
        () => net.commitBatchNorm());
      tf.dispose([x, target]);
      net.dispose();
      return out;
    };
    const slow = await opByOp(run);
    await useBackend("webgpu");
    const fast = await run();
    for (const name of [FUSED_ADAMW, FUSED_BATCH_NORM, FUSED_BATCH_NORM_GRAD]) {
      expect(fast.kernels).toContain(name);
      expect(slow.kernels).not.toContain(name);
    }
    console.log(
      `[webgpu fused] ResNet: ${fast.kernels.length} kernels per step fused, ${slow.kernels.length} op by op; ` +
        `losses fused ${fast.losses.map((l) => l.toFixed(6))}, op by op ${slow.losses.map((l) => l.toFixed(6))}`,
    );
    expectClose(fast.losses, slow.losses, "ResNet losses", 1e-5, 1e-5);
  });
});
