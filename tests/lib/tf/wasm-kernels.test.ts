// MaskAU's own wasm kernels (src/lib/tf/wasm/*.wat) and the kernel replacements built on
// them: generated binaries up to date, fused GELU against float64, fused AdamW equal bit for
// bit to the op-by-op path on cpu, sums over leading axes, row gathers, contiguous splits,
// the zero-copy Identity and Cast, and broadcasting add, sub, mul and div bit for bit.
import * as tf from "@tensorflow/tfjs-core";
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generatedModule, WASM_DIR } from "../../../scripts/build-wasm.mjs";
import { FUSED_ADAMW, FUSED_GELU, FUSED_GELU_GRAD, hasFused } from "../../../src/lib/tf/fused.js";
import { gelu, layerNorm } from "../../../src/lib/tf/ops.js";
import { kernelFixes } from "../../../src/lib/tf/kernels/index.js";
import { broadcastAxes } from "../../../src/lib/tf/kernels/wasm-broadcast.js";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { read, useBackend } from "./backends.js";
import * as ref from "./reference.js";
import { seededProblem, uniform } from "./seeded.js";

describe("generated kernel modules", () => {
  it("match their .wat sources (run node scripts/build-wasm.mjs after editing one)", async () => {
    const sources = readdirSync(WASM_DIR).filter((f) => f.endsWith(".wat"));
    expect(sources.length).toBeGreaterThanOrEqual(2);
    for (const file of sources) {
      const generated = readFileSync(join(WASM_DIR, file.replace(/\.wat$/, ".wasm.ts")), "utf8");
      expect(generated).toBe(await generatedModule(join(WASM_DIR, file)));
    }
  });
});

describe("fused GELU on wasm", () => {
  it("is registered on wasm only", async () => {
    await useBackend("wasm");
    expect([FUSED_GELU, FUSED_GELU_GRAD, FUSED_ADAMW].every(hasFused)).toBe(true);
    await useBackend("cpu");
    expect(hasFused(FUSED_GELU)).toBe(false);
  });

  for (const n of [3, 4, 7, 4099]) {
    it(`matches exact GELU and its gradient in float64 for ${n} values in [-12, 12]`, async () => {
      await useBackend("wasm");
      const x = Float32Array.from({ length: n }, (_, i) => (n === 1 ? 0 : -12 + (24 * i) / (n - 1)));
      const dy = uniform(7, n);
      const expected = ref.gelu(x, dy);
      const [y, dx] = tf.tidy(() => {
        const xt = tf.tensor1d(x);
        const dyt = tf.tensor1d(dy);
        const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(gelu(t), dyt)))(xt);
        return [gelu(xt), g];
      });
      const [yv, dxv] = [await read(y), await read(dx)];
      tf.dispose([y, dx]);
      let worstY = 0;
      let worstDx = 0;
      for (let i = 0; i < n; i++) {
        worstY = Math.max(worstY, Math.abs(yv[i] - expected.y[i]));
        worstDx = Math.max(worstDx, Math.abs(dxv[i] - expected.dx[i]));
      }
      expect(worstY).toBeLessThan(1e-6);
      expect(worstDx).toBeLessThan(2e-6);
    });
  }
});

describe("fused LayerNorm on wasm", () => {
  it("matches the op-by-op LayerNorm on cpu, forward and gradients, and leaks nothing", async () => {
    const [cpu, wasm] = await onBoth(() => {
      const x = tf.tensor(uniform(40, 6 * 5 * 12, -3, 3), [6, 5, 12]);
      const gamma = tf.tensor1d(uniform(41, 12, 0.5, 1.5));
      const beta = tf.tensor1d(uniform(42, 12));
      const w = tf.tensor(uniform(43, 6 * 5 * 12), [6, 5, 12]);
      const f = (a: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(layerNorm(a, g as tf.Tensor1D, b as tf.Tensor1D, 1e-5), w));
      return [layerNorm(x, gamma, beta, 1e-5), ...tf.grads(f)([x, gamma, beta])];
    });
    expect(wasm.length).toBe(4);
    for (let i = 0; i < cpu.length; i++) {
      expect(wasm[i].length).toBe(cpu[i].length);
      for (let j = 0; j < cpu[i].length; j++) {
        if (Number.isNaN(cpu[i][j])) expect(wasm[i][j]).toBeNaN();
        else expect(Math.abs(wasm[i][j] - cpu[i][j])).toBeLessThan(1e-5);
      }
    }
  });
});

describe("fused AdamW on wasm", () => {
  it("gives the same bits as the op-by-op update on cpu over three steps", async () => {
    const shapes: Record<string, number[]> = { tiny: [3], four: [4], odd: [7], matrix: [33, 5] };
    const results: Record<string, Float32Array>[] = [];
    for (const backend of ["cpu", "wasm"] as const) {
      await useBackend(backend);
      const { vars, grads: gradsAt } = seededProblem(shapes, `adamw-${backend}`);
      const opt = new AdamW({ betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05, decays: (n) => n !== "odd" });
      for (let step = 0; step < 3; step++) {
        const grads = gradsAt(step);
        opt.update(vars, grads, 1e-2 * (step + 1));
        tf.dispose(Object.values(grads));
      }
      const out: Record<string, Float32Array> = {};
      for (const [name, v] of Object.entries(vars)) out[name] = Float32Array.from(await v.data());
      const state = opt.getState();
      for (const [key, buffer] of Object.entries(state.buffers)) out[key] = Float32Array.from(buffer.values);
      results.push(out);
      tf.dispose(Object.values(vars));
    }
    expect(Object.keys(results[1]).sort()).toEqual(Object.keys(results[0]).sort());
    for (const key of Object.keys(results[0])) expect([key, Array.from(results[1][key])]).toEqual([key, Array.from(results[0][key])]);
  });
});

/** The same computation on cpu and wasm. */
async function onBoth(f: () => tf.Tensor | tf.Tensor[]): Promise<[number[][], number[][]]> {
  const out: number[][][] = [];
  for (const backend of ["cpu", "wasm"] as const) {
    await useBackend(backend);
    const before = tf.memory().numDataBuffers;
    const r = tf.tidy(f);
    const list = Array.isArray(r) ? r : [r];
    out.push(await Promise.all(list.map(async (t) => [...t.shape, NaN, ...Array.from(await t.data())])));
    tf.dispose(list);
    expect(tf.memory().numDataBuffers).toBe(before);
  }
  return [out[0], out[1]];
}

describe("wasm data movement and reductions", () => {
  it("sums over leading axes like cpu (and other axes as before)", async () => {
    const [cpu, wasm] = await onBoth(() => {
      const a = tf.tensor(uniform(1, 35), [5, 7]);
      const b = tf.tensor(uniform(2, 30), [2, 3, 5]);
      return [tf.sum(a, 0), tf.sum(b, [0, 1], true), tf.sum(b, [1, 0]), tf.sum(a, 1), tf.sum(b, 2)];
    });
    expect(wasm.length).toBe(cpu.length);
    for (let i = 0; i < cpu.length; i++) {
      expect(wasm[i].length).toBe(cpu[i].length);
      for (let j = 0; j < cpu[i].length; j++) {
        if (Number.isNaN(cpu[i][j])) expect(wasm[i][j]).toBeNaN();
        else expect(Math.abs(wasm[i][j] - cpu[i][j])).toBeLessThan(1e-5);
      }
    }
  });

  it("gathers rows and splits contiguous blocks like cpu", async () => {
    const [cpu, wasm] = await onBoth(() => {
      const table = tf.tensor(uniform(3, 24), [6, 4]);
      const ints = tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], "int32");
      const idx = tf.tensor1d([5, 0, 0, 3], "int32");
      const idx2 = tf.tensor2d([[2, 1], [0, 2]], [2, 2], "int32");
      const x = tf.tensor(uniform(4, 36), [1, 6, 6]);
      return [
        tf.gather(table, idx), tf.gather(table, idx2), tf.gather(ints, idx2), tf.gather(table, tf.tensor1d([1, 3], "int32"), 1),
        ...tf.split(x, [1, 2, 3], 1), ...tf.split(tf.reshape(x, [6, 6]), 3, 0), ...tf.split(tf.reshape(x, [6, 6]), 2, 1),
      ];
    });
    expect(wasm).toEqual(cpu);
  });

  it("splits and gathers correctly when the heap grows during the kernel", async () => {
    await useBackend("wasm");
    const width = 1 << 22; // 16 MB per row: every output allocation grows the heap
    const x = tf.tidy(() => tf.reshape(tf.range(0, 3 * width, 1, "float32"), [1, 3, width]));
    const parts = tf.split(x, 3, 1);
    const rows = tf.gather(tf.reshape(x, [3, width]), tf.tensor1d([2, 0, 1, 2], "int32"));
    const firsts = tf.tidy(() => parts.map((t) => tf.slice(tf.reshape(t, [-1]), 0, 1).dataSync()[0]));
    const lasts = tf.tidy(() => Array.from(tf.slice(rows, [0, width - 1], [4, 1]).dataSync()));
    expect(firsts).toEqual([0, width, 2 * width]);
    expect(lasts).toEqual([3, 1, 2, 3].map((r) => r * width - 1));
    tf.dispose([x, ...parts, rows]);
  });

  it("names a row index outside the table", async () => {
    await useBackend("wasm");
    const before = tf.memory().numDataBuffers;
    expect(() => tf.tidy(() => tf.gather(tf.zeros([3, 2]), tf.tensor1d([0, 3], "int32")))).toThrow(/index 3 is outside \[0, 2\]/);
    expect(tf.memory().numDataBuffers).toBe(before);
  });

  it("clones and casts to the same dtype without copying, and the data outlives the original", async () => {
    await useBackend("wasm");
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor1d([1.5, -2, 3]);
    const copies = [tf.clone(x), tf.cast(x, "float32")];
    expect(tf.memory().numDataBuffers).toBe(before + 1);
    const converted = tf.cast(x, "int32");
    x.dispose();
    for (const c of copies) expect(Array.from(await c.data())).toEqual([1.5, -2, 3]);
    expect(Array.from(await converted.data())).toEqual([1, -2, 3]);
    tf.dispose([...copies, converted]);
    expect(tf.memory().numDataBuffers).toBe(before);
  });
});

describe("broadcasting add, sub, mul and div on wasm", () => {
  it("replaces tfjs's four kernels on wasm", () => {
    const slow = kernelFixes().filter((f) => f.backend === "wasm" && f.kind === "slow").map((f) => f.name);
    expect(slow).toEqual(expect.arrayContaining(["Add", "Sub", "Multiply", "RealDiv"]));
  });

  it("merges axes by which operand has them, with each operand's element strides", () => {
    expect(broadcastAxes([32, 144, 64], [1, 144, 1])).toEqual([{ size: 32, a: 9216, b: 0 }, { size: 144, a: 64, b: 1 }, { size: 64, a: 1, b: 0 }]);
    expect(broadcastAxes([2080, 96], [96])).toEqual([{ size: 2080, a: 96, b: 0 }, { size: 96, a: 1, b: 1 }]);
    expect(broadcastAxes([32, 12, 1, 64], [32, 1, 12, 64])).toEqual([
      { size: 32, a: 768, b: 768 }, { size: 12, a: 64, b: 0 }, { size: 12, a: 0, b: 64 }, { size: 64, a: 1, b: 1 },
    ]);
    // Size-1 axes are dropped and neighbours with the same pattern merged; a scalar has no axes.
    expect(broadcastAxes([4, 1, 5, 6], [1, 1, 5, 6])).toEqual([{ size: 4, a: 30, b: 0 }, { size: 30, a: 1, b: 1 }]);
    expect(broadcastAxes([1, 1], [1])).toBeNull();
    expect(() => broadcastAxes([3, 4], [5])).toThrow(/broadcast/i);
  });

  // Shapes from the student step (per-node scales, bias adds, pairwise sums) and odd sizes
  // that leave a scalar tail, operands either way round, a scalar, and rank 5.
  const pairs: [number[], number[]][] = [
    [[32, 144, 64], [1, 144, 1]], [[1, 144, 1], [32, 144, 64]], [[2080, 96], [96]], [[96], [2080, 96]], [[32, 12, 1, 64], [32, 1, 12, 64]],
    [[7, 5, 3], [7, 1, 3]], [[7, 5, 3], [5, 1]], [[3, 1, 6], [1, 5, 1]], [[13], [1]], [[1], [13, 3]], [[2, 3, 4, 5, 6], [3, 1, 5, 1]], [[5, 2], [5, 1]],
  ];
  for (const [sa, sb] of pairs) {
    it(`gives the bits of the cpu backend for [${sa}] and [${sb}]`, async () => {
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      // Divisors kept away from 0; values with exact ties and signed zeros mixed in.
      const a = uniform(size(sa) * 7 + 1, size(sa)).map((v, i) => (i % 11 === 0 ? 0 : i % 13 === 0 ? -0 : v * 3));
      const b = uniform(size(sb) * 5 + 3, size(sb)).map((v) => (v >= 0 ? v + 0.25 : v - 0.25));
      const ops = [tf.add, tf.sub, tf.mul, tf.div] as const;
      const run = async () => {
        const out: Float32Array[] = [];
        for (const op of ops) {
          const t = tf.tidy(() => op(tf.tensor(a, sa), tf.tensor(b, sb)));
          out.push((await t.data()) as Float32Array);
          t.dispose();
        }
        return out;
      };
      await useBackend("cpu");
      const expected = await run();
      await useBackend("wasm");
      const got = await run();
      for (let k = 0; k < ops.length; k++) {
        expect(Buffer.from(got[k].buffer).equals(Buffer.from(expected[k].buffer)), `${ops[k].name} [${sa}] [${sb}]`).toBe(true);
      }
    });
  }

  it("leaves int32 and same-shape operands to tfjs's kernels, which still give the right values", async () => {
    await useBackend("wasm");
    const t = tf.tidy(() => tf.add(tf.tensor2d([1, 2, 3, 4], [2, 2], "int32"), tf.tensor1d([10, 20], "int32")));
    expect(t.dtype).toBe("int32");
    expect(Array.from(await t.data())).toEqual([11, 22, 13, 24]);
    t.dispose();
  });
});
