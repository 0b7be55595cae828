import * as tf from "@tensorflow/tfjs-core";
import { describe, expect, it } from "vitest";
import { conv2dTorch, createResNet, RESNET_PRESETS, resnetOutputSize, type ResNetConfig } from "../../../src/lib/models/resnet.js";
import { useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";
import { gradientReport, leakCheck } from "./head-checks.js";

/** Direct convolution (float64) as torch computes it: NCHW weight, zero padding k // 2 on every side. */
function naiveConv(x: Float32Array, [n, h, w, ci]: number[], weight: Float32Array, [co, , k]: number[], stride: number) {
  const pad = Math.floor(k / 2);
  const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - k) / stride) + 1;
  const out = new Float64Array(n * oh * ow * co);
  for (let b = 0; b < n; b++)
    for (let i = 0; i < oh; i++)
      for (let j = 0; j < ow; j++)
        for (let o = 0; o < co; o++) {
          let s = 0;
          for (let c = 0; c < ci; c++)
            for (let u = 0; u < k; u++)
              for (let v = 0; v < k; v++) {
                const y = i * stride - pad + u;
                const xx = j * stride - pad + v;
                if (y < 0 || y >= h || xx < 0 || xx >= w) continue;
                s += x[((b * h + y) * w + xx) * ci + c] * weight[((o * ci + c) * k + u) * k + v];
              }
          out[((b * oh + i) * ow + j) * co + o] = s;
        }
  return { out, shape: [n, oh, ow, co] };
}

const small: ResNetConfig = { stemChannels: 6, stemKernel: 5, stemStride: 2, maxPool: true, widths: [6, 8, 12], blocks: [1, 2, 1] };

describe("ResNet backbone", () => {
  it("has torchvision's resnet18 state_dict (minus fc): names, shapes and order", async () => {
    await useBackend("cpu");
    const net = createResNet(RESNET_PRESETS.resnet18);
    const names = net.params.names();
    expect(names.length).toBe(120); // torchvision's 122 entries without fc.weight / fc.bias
    expect(names.slice(0, 6)).toEqual(["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var", "bn1.num_batches_tracked"]);
    expect(net.params.get("conv1.weight").shape).toEqual([64, 3, 7, 7]);
    expect(net.params.get("layer1.0.conv1.weight").shape).toEqual([64, 64, 3, 3]);
    expect(net.params.has("layer1.0.downsample.0.weight")).toBe(false);
    expect(net.params.get("layer2.0.downsample.0.weight").shape).toEqual([128, 64, 1, 1]);
    expect(net.params.get("layer2.0.downsample.1.running_var").shape).toEqual([128]);
    expect(net.params.get("layer4.1.bn2.weight").shape).toEqual([512]);
    expect(net.params.has("layer4.1.conv2.bias")).toBe(false);
    expect(names.filter((n) => n.includes("downsample")).length).toBe(3 * 6);
    expect(net.params.get("layer3.1.bn1.num_batches_tracked").dtype).toBe("int32");
    expect(net.outChannels).toBe(512);
    expect(resnetOutputSize(RESNET_PRESETS.resnet18, 224)).toBe(7);
    net.dispose();
  });

  it("gives the feature map sizes the presets' comments state", () => {
    expect(resnetOutputSize(RESNET_PRESETS.tiny, 64)).toBe(4);
    expect(resnetOutputSize(RESNET_PRESETS.small, 64)).toBe(4);
    expect(resnetOutputSize(RESNET_PRESETS.resnet18, 224)).toBe(7);
  });

  it("initialises convs kaiming-normal (fan out) and BatchNorm at 1 / 0 / 0 / 1", async () => {
    await useBackend("cpu");
    const net = createResNet(RESNET_PRESETS.small, { seed: 3 });
    const w = Array.from(await net.params.get("layer2.1.conv1.weight").data());
    const mean = w.reduce((a, v) => a + v, 0) / w.length;
    const std = Math.sqrt(w.reduce((a, v) => a + (v - mean) ** 2, 0) / w.length);
    expect(std).toBeCloseTo(Math.sqrt(2 / (48 * 9)), 2);
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(Array.from(await net.params.get("layer2.1.bn1.weight").data()).every((v) => v === 1)).toBe(true);
    expect(Array.from(await net.params.get("layer2.1.bn1.running_var").data()).every((v) => v === 1)).toBe(true);
    const again = createResNet(RESNET_PRESETS.small, { seed: 3 });
    expect(Array.from(await again.params.get("layer2.1.conv1.weight").data())).toEqual(w);
    net.dispose();
    again.dispose();
  });

  for (const backend of ["cpu", "wasm"] as const) {
    it(`convolves as torch does (symmetric padding, strided, NHWC) on ${backend}`, async () => {
      await useBackend(backend);
      for (const [k, stride, h] of [[5, 2, 10], [3, 2, 8], [3, 1, 7], [1, 2, 6], [7, 2, 12]] as const) {
        const xs = [2, h, h, 3];
        const ws = [4, 3, k, k];
        const x = uniform(k * 10 + stride, xs.reduce((a, d) => a * d), -1, 1);
        const w = uniform(k * 20 + stride, ws.reduce((a, d) => a * d), -1, 1);
        const expected = naiveConv(x, xs, w, ws, stride);
        const y = conv2dTorch(tf.tensor4d(x, xs as [number, number, number, number]), tf.tensor4d(w, ws as [number, number, number, number]), stride);
        expect(y.shape).toEqual(expected.shape);
        const got = await y.data();
        for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - expected.out[i])).toBeLessThan(1e-4);
        y.dispose();
      }
    });
  }

  it("forwardFeatures is the feature map viewed [B, C, h*w] and permuted: token t = row * w + col", async () => {
    await useBackend("cpu");
    const net = createResNet(small, { seed: 1 });
    const x = tf.tensor4d(uniform(5, 2 * 32 * 32 * 3, -2, 2), [2, 32, 32, 3]);
    const map = net.forwardMap(x);
    const side = resnetOutputSize(small, 32);
    expect(map.shape).toEqual([2, side, side, 12]);
    const tokens = net.forwardFeatures(x);
    expect(tokens.shape).toEqual([2, side * side, 12]);
    // torch: map_nchw.view(b, c, h*w).permute(0, 2, 1)
    const nchw = tf.transpose(map, [0, 3, 1, 2]);
    const viaTorch = tf.transpose(tf.reshape(nchw, [2, 12, side * side]), [0, 2, 1]);
    expect(Array.from(await tokens.data())).toEqual(Array.from(await viaTorch.data()));
    tf.dispose([x, map, tokens, nchw, viaTorch]);
    net.dispose();
  });

  for (const backend of ["cpu", "wasm"] as const) {
    it(`every parameter gets a gradient in train mode on ${backend}; BatchNorm statistics move; no leaks`, async () => {
      await useBackend(backend);
      const net = createResNet(small, { seed: 2 });
      const x = tf.tensor4d(uniform(7, 3 * 24 * 24 * 3, -2, 2), [3, 24, 24, 3]);
      const t = resnetOutputSize(small, 24) ** 2;
      const target = tf.tensor(uniform(8, 3 * t * 12, -1, 1), [3, t, 12]);
      const loss = () => tf.mean(tf.square(tf.sub(net.forwardFeatures(x, { training: true }), target))) as tf.Scalar;
      const report = await gradientReport(net.params, loss);
      expect(report.missing).toEqual([]);
      expect(report.zero).toEqual([]);
      net.discardBatchNorm();
      const before = await net.params.get("layer2.1.bn2.running_mean").data();
      await leakCheck(net, loss, 3);
      const after = await net.params.get("layer2.1.bn2.running_mean").data();
      expect(Array.from(after)).not.toEqual(Array.from(before));
      // Eval mode reads the running statistics and records nothing.
      const y = net.forwardFeatures(x);
      net.commitBatchNorm();
      expect((await net.params.get("bn1.num_batches_tracked").data())[0]).toBe(3);
      tf.dispose([x, target, y]);
      net.dispose();
    });
  }

  it("gradients agree between cpu and wasm (wasm's conv filter/input gradients are replacements)", async () => {
    const grads: Record<string, Float32Array>[] = [];
    for (const backend of ["cpu", "wasm"] as const) {
      await useBackend(backend);
      const net = createResNet(small, { seed: 4 });
      const x = tf.tensor4d(uniform(9, 2 * 20 * 20 * 3, -2, 2), [2, 20, 20, 3]);
      const vars = net.params.trainable();
      const { value, grads: g } = tf.variableGrads(() => tf.sum(tf.square(net.forwardFeatures(x, { training: true }))) as tf.Scalar, Object.values(vars));
      const out: Record<string, Float32Array> = {};
      for (const [name, v] of Object.entries(vars)) out[name] = (await g[v.name].data()) as Float32Array;
      tf.dispose([value, x, ...Object.values(g)]);
      net.discardBatchNorm();
      net.dispose();
      grads.push(out);
    }
    for (const name of Object.keys(grads[0])) {
      const [a, b] = grads;
      const scale = Math.max(...Array.from(a[name], Math.abs));
      for (let i = 0; i < a[name].length; i++) expect(Math.abs(a[name][i] - b[name][i]), name).toBeLessThan(1e-3 * scale + 1e-5);
    }
  });

  it("rejects inconsistent configs", () => {
    expect(() => createResNet({ ...small, blocks: [1, 1] })).toThrow(/one entry per stage/);
    expect(() => createResNet({ ...small, widths: [] })).toThrow(/at least one stage/);
    expect(() => createResNet({ ...small, stemKernel: 0 })).toThrow(/stemKernel/);
  });
});
