// The MAE against the official PyTorch implementation: every output, intermediate and
// loss gradient of the reference fixtures on cpu, wasm and webgpu (Dawn + SwiftShader),
// the position embedding table, the len_keep rule, the full-size state_dict layout,
// and a short training run that learns and does not leak tensors.
import * as tf from "@tensorflow/tfjs-core";
import { readFileSync } from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { MAE_PRESETS, maeConfigFromSidecar, type MaeConfig } from "../../../src/lib/config.js";
import { runMaeFixture } from "../../../src/lib/fixtures/mae.js";
import { compareFixture, fixtureTensor, parseFixture, type Comparison, type Fixture } from "../../../src/lib/io/fixture.js";
import { createMae, lenKeepFor, maeStateDictLayout, maskingFromNoise, seededNoise } from "../../../src/lib/models/mae.js";
import { sinCosPosEmbed2d } from "../../../src/lib/models/posembed.js";
import { patchify, unpatchify } from "../../../src/lib/models/vit.js";
import { AdamW } from "../../../src/lib/train/adamw.js";
import { fixturePath } from "../../support/shared.js";
import { PARITY_BACKENDS, read, useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";

const FIXTURES = ["mae_tiny", "mae_tiny_normpix"] as const;

function loadFixture(name: string): Fixture {
  return parseFixture(
    new Uint8Array(readFileSync(fixturePath(`${name}.safetensors`))),
    readFileSync(fixturePath(`${name}.json`), "utf8"),
    `${name}.safetensors`,
  );
}

const fmt = (x: number) => (Number.isNaN(x) ? "-" : x.toExponential(2));
const describeRow = (r: Comparison) =>
  `${r.name}: ${r.problem ?? `${r.failures} elements outside atol ${r.atol} rtol ${r.rtol}`} (max abs ${fmt(r.maxAbs)}, max rel ${fmt(r.maxRel)})`;

afterAll(async () => {
  await useBackend("cpu");
});

describe.each(PARITY_BACKENDS)("official MAE fixtures on %s", (backend) => {
  for (const name of FIXTURES) {
    it(`${name}: every output, intermediate and gradient within the sidecar tolerance`, async () => {
      await useBackend(backend);
      const fixture = loadFixture(name);
      const before = tf.memory().numTensors;
      const produced = await runMaeFixture(fixture);
      expect(tf.memory().numTensors).toBe(before);
      // Intermediates are compared too: the model produces all of them.
      const rows = compareFixture(fixture, produced, { requireRoles: ["output", "intermediate", "grad"] });
      const expectedRows = Object.values(fixture.sidecar.tensors).filter((t) => t.role !== "weight" && t.role !== "input").length;
      expect(rows.length).toBe(expectedRows);
      const failing = rows.filter((r) => !r.ok).map(describeRow);
      expect(failing, `${backend} ${name}: failing tensors:\n${failing.join("\n")}`).toEqual([]);
      const worst = (role: string) => rows.filter((r) => r.role === role).reduce((m, r) => Math.max(m, r.maxAbs), 0);
      console.log(
        `[mae parity] ${backend} ${name}: ${rows.length} tensors ok; max abs error outputs ${fmt(worst("output"))}, ` +
          `intermediates ${fmt(worst("intermediate"))}, gradients ${fmt(worst("grad"))}`,
      );
    });
  }
});

describe("MAE building blocks", () => {
  it("the sin-cos position embedding equals the stored pos_embed and decoder_pos_embed (1e-6)", () => {
    for (const name of FIXTURES) {
      const fixture = loadFixture(name);
      const config = maeConfigFromSidecar(fixture.sidecar.config);
      const grid = config.imgSize / config.patchSize;
      for (const [key, dim] of [["pos_embed", config.embedDim], ["decoder_pos_embed", config.decoderEmbedDim]] as const) {
        const stored = fixtureTensor(fixture, key);
        const ours = sinCosPosEmbed2d(dim, grid, true);
        expect(ours.length).toBe(stored.data.length);
        let maxAbs = 0;
        for (let i = 0; i < ours.length; i++) maxAbs = Math.max(maxAbs, Math.abs(ours[i] - stored.data[i]));
        expect(maxAbs, `${name} ${key}`).toBeLessThanOrEqual(1e-6);
      }
    }
  });

  it("len_keep = floor(L (1 - r)) in float64", () => {
    expect(lenKeepFor(16, 0.7)).toBe(4);
    expect(lenKeepFor(25, 0.6)).toBe(10);
    expect(lenKeepFor(16, 0.75)).toBe(4);
    expect(lenKeepFor(196, 0.75)).toBe(49);
    expect(lenKeepFor(16, 0)).toBe(16);
    // What a float32 evaluation would give instead (the trap the rule avoids).
    expect(Math.floor(Math.fround(25 * Math.fround(1 - Math.fround(0.6))))).toBe(9);
    expect(() => lenKeepFor(16, 1)).toThrow();
  });

  it("masking: ascending noise kept, ids_restore inverts ids_shuffle, mask 1 = removed", () => {
    const noise = [0.5, 0.1, 0.9, 0.3, 0.7, 0.2];
    const m = maskingFromNoise(noise, 1, 6, 0.5);
    expect([...m.idsShuffle]).toEqual([1, 5, 3, 0, 4, 2]);
    expect([...m.idsKeep]).toEqual([1, 5, 3]);
    expect([...m.idsRestore]).toEqual([3, 0, 5, 2, 4, 1]);
    expect([...m.mask]).toEqual([1, 0, 1, 0, 1, 0]);
  });

  it("the base preset has exactly the official mae_vit_base_patch16 state_dict (names, shapes, order)", () => {
    const official = JSON.parse(readFileSync(fixturePath("official_architectures.json"), "utf8")) as {
      models: Record<string, { parameters: number; state_dict: [string, number[], string][] }>;
    };
    const expected = official.models.mae_vit_base_patch16;
    const layout = maeStateDictLayout(MAE_PRESETS.base);
    expect(layout.map((e) => [e.name, e.shape])).toEqual(expected.state_dict.map(([n, s]) => [n, s]));
    const total = layout.reduce((a, e) => a + e.shape.reduce((p, d) => p * d, 1), 0);
    const trainable = layout.filter((e) => e.trainable).reduce((a, e) => a + e.shape.reduce((p, d) => p * d, 1), 0);
    expect([total, trainable]).toContain(expected.parameters);
    // The large model follows from the constructor defaults.
    const large = official.models.mae_vit_large_patch16;
    if (large) {
      const cfg: MaeConfig = { ...MAE_PRESETS.base, embedDim: 1024, depth: 24, numHeads: 16 };
      expect(maeStateDictLayout(cfg).map((e) => [e.name, e.shape])).toEqual(large.state_dict.map(([n, s]) => [n, s]));
    }
  });

  it("createMae registers the layout in order with the official init", async () => {
    await useBackend("cpu");
    const config = MAE_PRESETS.tiny;
    const model = createMae(config, { seed: 3 });
    const layout = maeStateDictLayout(config);
    expect(model.params.names()).toEqual(layout.map((e) => e.name));
    for (const e of layout) expect(model.params.get(e.name).shape, e.name).toEqual(e.shape);
    expect(Object.keys(model.trainable())).not.toContain("pos_embed");
    expect(Object.keys(model.trainable())).not.toContain("decoder_pos_embed");
    const qkv = await read(model.params.get("blocks.0.attn.qkv.weight"));
    const bound = Math.sqrt(6 / (config.embedDim + 3 * config.embedDim));
    expect(Math.max(...qkv.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...qkv.map(Math.abs))).toBeGreaterThan(0.9 * bound);
    const cls = await read(model.params.get("cls_token"));
    const std = Math.sqrt(cls.reduce((a, v) => a + v * v, 0) / cls.length);
    expect(std).toBeGreaterThan(0.012);
    expect(std).toBeLessThan(0.03);
    expect([...(await read(model.params.get("blocks.0.norm1.weight")))].every((v) => v === 1)).toBe(true);
    expect([...(await read(model.params.get("decoder_pred.bias")))].every((v) => v === 0)).toBe(true);
    // Same seed, same weights.
    const again = createMae(config, { seed: 3 });
    expect([...(await read(again.params.get("patch_embed.proj.weight")))]).toEqual([
      ...(await read(model.params.get("patch_embed.proj.weight"))),
    ]);
    model.dispose();
    again.dispose();
  });

  it("odd sizes: the all-patches encoder equals masking at ratio 0, natural and shuffled (permutation equivariance)", async () => {
    await useBackend("cpu");
    // L = 25, 5 heads of width 4, MLP ratio 2.5, batch 3.
    const config: MaeConfig = {
      ...MAE_PRESETS.tiny,
      imgSize: 20,
      patchSize: 4,
      embedDim: 20,
      depth: 2,
      numHeads: 5,
      decoderEmbedDim: 12,
      decoderDepth: 1,
      decoderNumHeads: 3,
      mlpRatio: 2.5,
    };
    const model = createMae(config, { seed: 4 });
    const L = model.numPatches;
    const imgs = tf.tensor4d(uniform(6, 3 * 20 * 20 * 3), [3, 20, 20, 3]);
    const allLatent = model.forwardEncoderAll(imgs);
    const all = await read(allLatent);
    const natural = Float32Array.from({ length: 3 * L }, (_, i) => (i % L) / L);
    const viaMasking = model.forwardEncoder(imgs, 0, natural);
    expect([...viaMasking.mask.dataSync()].every((v) => v === 0)).toBe(true);
    const nat = await read(viaMasking.latent);
    expect(Math.max(...nat.map((v, i) => Math.abs(v - all[i])))).toBeLessThan(1e-5);
    const noise = seededNoise(8, 3, L);
    const shuffled = model.forwardEncoder(imgs, 0, noise);
    const sh = await read(shuffled.latent);
    const E = config.embedDim;
    let maxAbs = 0;
    for (let b = 0; b < 3; b++) {
      for (let t = 0; t <= L; t++) {
        const src = t === 0 ? 0 : 1 + shuffled.idsShuffle[b * L + t - 1];
        for (let e = 0; e < E; e++) maxAbs = Math.max(maxAbs, Math.abs(sh[(b * (L + 1) + t) * E + e] - all[(b * (L + 1) + src) * E + e]));
      }
    }
    expect(maxAbs).toBeLessThan(1e-5);
    const out = model.forward(imgs, 0.6, noise);
    expect(out.masking.lenKeep).toBe(10);
    expect(out.latent.shape).toEqual([3, 11, E]);
    expect(out.pred.shape).toEqual([3, L, 48]);
    expect([...out.mask.dataSync()].reduce((a, v) => a + v, 0)).toBe(3 * 15);
    tf.dispose([imgs, allLatent, viaMasking.latent, viaMasking.mask, shuffled.latent, shuffled.mask, out.latent, out.mask, out.pred, out.loss]);
    model.dispose();
  });

  it("unpatchify inverts patchify", async () => {
    await useBackend("cpu");
    const imgs = tf.tensor4d(uniform(5, 2 * 16 * 16 * 3), [2, 16, 16, 3]);
    const back = unpatchify(patchify(imgs, 4), 4, 3);
    expect([...(await read(back))]).toEqual([...(await read(imgs))]);
    tf.dispose([imgs, back]);
  });
});

describe.each(["cpu", "wasm"] as const)("MAE training on %s", (backend) => {
  it("the loss decreases over AdamW steps and nothing leaks", async () => {
    await useBackend(backend);
    const config: MaeConfig = {
      ...MAE_PRESETS.tiny,
      imgSize: 32,
      embedDim: 32,
      depth: 2,
      numHeads: 2,
      decoderEmbedDim: 32,
      decoderDepth: 1,
      decoderNumHeads: 2,
    };
    const model = createMae(config, { seed: 1 });
    const optimizer = new AdamW({ weightDecay: 0.05 });
    const vars = model.trainable();
    const names = Object.keys(vars);
    const list = names.map((n) => vars[n]);
    const imgs = tf.tensor4d(uniform(9, 4 * 32 * 32 * 3), [4, 32, 32, 3]);
    const noise = seededNoise(11, 4, model.numPatches);
    const losses: number[] = [];
    const counts: number[] = [];
    for (let step = 1; step <= 10; step++) {
      const { value, grads } = tf.variableGrads(() => model.loss(imgs, 0.75, noise), list);
      const named: tf.NamedTensorMap = {};
      names.forEach((n, i) => (named[n] = grads[list[i].name]));
      optimizer.update(vars, named, 3e-3);
      losses.push((await value.data())[0]);
      tf.dispose([value, ...Object.values(grads)]);
      counts.push(tf.memory().numTensors);
    }
    expect(losses.every(Number.isFinite)).toBe(true);
    expect(losses[9]).toBeLessThan(0.8 * losses[0]);
    expect(counts[9]).toBe(counts[1]);
    imgs.dispose();
    model.dispose();
    optimizer.dispose();
  });
});
