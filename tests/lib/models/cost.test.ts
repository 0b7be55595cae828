// models/cost.ts and eval/costs.ts (Table 4): the analytic parameter and MAC counts are
// those of the models. Tiny sizes: every count equals the built model's variables and the
// matrix products (BatchMatMul, Conv2D) tf.profile records in a forward. Full size:
// parameter counts equal official_architectures.json, module by module, for the MAE
// ViT-B/16 and ViT-L/16 and ME-GraphAU with ResNet-50 and Swin-B (ANFL and MEFL).
// moduleMacs (the official code's nn.Linear / nn.Conv2d calls) is checked against a
// listing of those calls written from the official forward code, and Swin's MACs against
// the official model's own flops() op count.
import { readFileSync } from "node:fs";
import * as tf from "@tensorflow/tfjs-core";
import { beforeAll, describe, expect, it } from "vitest";
import { MAE_DEFAULTS, MAE_PRESETS, type MaeConfig } from "../../../src/lib/config.js";
import { fullSizeStudentConfig, fullTable, megraphauConfigs, tinyConfigs, tinyTable } from "../../../src/lib/eval/costs.js";
import { randomMasking } from "../../../src/lib/masks/random.js";
import { alignLayout } from "../../../src/lib/models/align.js";
import {
  allParams,
  bottleneckResNetCost,
  detectorCost,
  graphHeadCost,
  maeCost,
  megraphauCost,
  swinCost,
  SWIN_B,
  type BottleneckResNetConfig,
  type Cost,
  type SwinConfig,
} from "../../../src/lib/models/cost.js";
import { createDetector, detectorConfig, isMaeEncoderName, type Detector, type DetectorConfig } from "../../../src/lib/models/detector.js";
import { createMae, maeSizes } from "../../../src/lib/models/mae.js";
import { reconstruct } from "../../../src/lib/models/reconstruct.js";
import { conv2dTorch } from "../../../src/lib/models/resnet.js";
import { createStudent, studentConfig, type StudentConfig } from "../../../src/lib/models/student.js";
import { fixturePath } from "../../support/shared.js";
import { useBackend } from "../tf/backends.js";
import { uniform } from "../tf/seeded.js";

const numel = (shape: readonly number[]) => shape.reduce((a, d) => a * d, 1);
const BUFFER = /(running_mean|running_var|num_batches_tracked|relative_position_index|attn_mask)$/;

/** Matrix-product MACs of a forward, from the kernels tf.profile records; fails on any product kernel it does not know. */
async function profiledMacs(f: () => tf.Tensor[]): Promise<number> {
  const profile = await tf.profile(f);
  let macs = 0;
  for (const k of profile.kernels) {
    const out = k.outputShapes[0];
    if (k.name === "BatchMatMul") {
      macs += numel(k.inputShapes[0]) * out[out.length - 1]; // [batch, m, k] x [batch, k, n]: batch*m*k*n
    } else if (k.name === "Conv2D") {
      const [kh, kw, inC] = k.inputShapes[1]; // filter [kh, kw, in, out]
      macs += numel(out) * kh * kw * inC;
    } else {
      expect(k.name, "a matrix-product kernel the count does not know").not.toMatch(/MatMul|Conv|Einsum/);
    }
  }
  tf.dispose(profile.result as tf.Tensor[]);
  return macs;
}

/** A detector's state-dict entries by name, split into learnable, fixed (pos embeds) and buffers. */
async function detectorParams(det: Detector): Promise<{ part: (pred: (n: string) => boolean) => { params: number; fixed: number } }> {
  const state = await det.stateDict();
  const trainableNames = new Set(Object.keys(det.trainable()));
  const frozenBackbone = det.backbone.frozen;
  return {
    part: (pred) => {
      let params = 0;
      let fixed = 0;
      for (const [name, t] of state) {
        if (!pred(name) || BUFFER.test(name)) continue;
        if (/pos_embed$/.test(name)) fixed += numel(t.shape);
        else {
          params += numel(t.shape);
          // every other parameter is a variable the optimizer updates (unless the backbone is frozen)
          if (!(frozenBackbone && name.startsWith("backbone."))) expect(trainableNames.has(name), name).toBe(true);
        }
      }
      return { params, fixed };
    },
  };
}

const images = (seed: number, b: number, size: number) => tf.tensor4d(uniform(seed, b * size * size * 3, -2, 2), [b, size, size, 3]);

describe("tiny models: counts equal the variables and the profiled matrix products", () => {
  beforeAll(() => useBackend("cpu"));

  const SMALL_MAE: MaeConfig = { ...MAE_PRESETS.tiny, imgSize: 32, embedDim: 16, depth: 1, numHeads: 2, decoderEmbedDim: 8, decoderDepth: 1, decoderNumHeads: 1 };
  const detectors: [string, DetectorConfig][] = [
    ["resnet-tiny mefl", detectorConfig("tiny", { head: "mefl", numClasses: 12 })],
    ["resnet-tiny anfl", detectorConfig("tiny", { head: "anfl", numClasses: 12 })],
    ["resnet-small anfl (no max pool, 4 stages of 2)", detectorConfig("small", { head: "anfl", numClasses: 5 })],
    ["resnet-small mefl at 48 px (odd map sides)", detectorConfig("small", { head: "mefl", numClasses: 3, imgSize: 48 })],
    ["mae-vit-tiny (frozen encoder) mefl", detectorConfig("mae-tiny", { head: "mefl", numClasses: 12 })],
    ["student mae-tiny", studentConfig("mae-tiny", { numClasses: 12 })],
    [
      "small student anfl, 2 hidden layers",
      {
        backbone: { kind: "mae-aligned", mae: SMALL_MAE, frozen: false, align: { gridOut: 2, hidden: [12, 6], outChannels: 10 } },
        head: "anfl",
        imgSize: 32,
        numClasses: 5,
        inChannels: 8,
        neighborNum: 3,
        metric: "dots",
      } as StudentConfig,
    ],
  ];

  for (const [name, cfg] of detectors) {
    it(`detectorCost of ${name}: parameters per part, trainable count and MACs`, async () => {
      const cost = detectorCost(cfg);
      const det = createDetector(cfg, { seed: 3 });
      const { part } = await detectorParams(det);
      const expectPart = (c: Cost, pred: (n: string) => boolean, what: string) => {
        const got = part(pred);
        expect([c.params, c.fixedParams], what).toEqual([got.params, got.fixed]);
      };
      expectPart(cost.backbone, (n) => n.startsWith("backbone."), "backbone");
      expectPart(cost.align, (n) => n.startsWith("align."), "align");
      expectPart(cost.head, (n) => n.startsWith("global_linear.") || n.startsWith("head."), "head");
      expectPart(cost.total, () => true, "total");
      const trainable = det.countTrainable();
      expect(trainable).toBe(cost.total.params - (det.backbone.frozen ? cost.backbone.params : 0));
      const x = images(5, 1, cfg.imgSize);
      const macs = await profiledMacs(() => {
        const out = det.forward(x);
        return [out.prob, out.nodeFeatures, ...(out.edgeLogits ? [out.edgeLogits] : [])];
      });
      expect(cost.total.macs).toBe(macs);
      // Two faces cost twice one face.
      const x2 = images(6, 2, cfg.imgSize);
      const macs2 = await profiledMacs(() => {
        const out = det.forward(x2);
        return [out.prob, out.nodeFeatures, ...(out.edgeLogits ? [out.edgeLogits] : [])];
      });
      expect(macs2).toBe(2 * macs);
      tf.dispose([x, x2]);
      det.dispose();
    });
  }

  it("maeCost: the MAE's variables (learnt + fixed sin-cos embeddings) and the products of reconstruct() at several mask ratios", async () => {
    for (const config of [MAE_PRESETS.tiny, SMALL_MAE]) {
      const mae = createMae(config, { seed: 1 });
      const L = mae.numPatches;
      const learnt = Object.values(mae.trainable()).reduce((a, v) => a + v.size, 0);
      const fixed = mae.params.names().filter((n) => !(n in mae.trainable())).reduce((a, n) => a + mae.params.get(n).size, 0);
      for (const ratio of [0, 0.25, 0.5, 0.75, 0.9]) {
        const cost = maeCost(config, ratio);
        expect(cost.visible).toBe(Math.floor(L * (1 - ratio)));
        expect([cost.total.params, cost.total.fixedParams]).toEqual([learnt, fixed]);
        const encoderNames = mae.params.names().filter(isMaeEncoderName);
        expect(allParams(cost.encoder)).toBe(encoderNames.reduce((a, n) => a + mae.params.get(n).size, 0));
        const x = images(7, 1, config.imgSize);
        const mask = randomMasking(1, L, ratio, 4).mask;
        const macs = await profiledMacs(() => {
          const r = reconstruct(mae, x, mask);
          return [r.reconstruction, r.composite, r.patchError];
        });
        expect(cost.total.macs, `ratio ${ratio}`).toBe(macs);
        x.dispose();
      }
      mae.dispose();
    }
  });

  it("the tiny Table 4 rows are the models that run: detector, teacher (reconstruction + detector on the composite), student", async () => {
    const table = tinyTable({ numClasses: 12, maskRatio: 0.5 });
    const c = tinyConfigs(12);
    const row = (key: string) => table.rows.find((r) => r.key === key)!;
    expect(table.rows.map((r) => r.key)).toEqual(["detector", "teacher", "student"]);
    const det = createDetector(c.detector, { seed: 2 });
    const mae = createMae(c.mae, { seed: 2 });
    const student = createStudent(c.student, { seed: 2 });
    const x = images(8, 1, c.detector.imgSize);
    const mask = randomMasking(1, mae.numPatches, 0.5, 9).mask;
    const outs = (o: { prob: tf.Tensor; nodeFeatures: tf.Tensor; edgeLogits?: tf.Tensor }) => [o.prob, o.nodeFeatures, ...(o.edgeLogits ? [o.edgeLogits] : [])];
    expect(row("detector").total.macs).toBe(await profiledMacs(() => outs(det.forward(x))));
    expect(row("student").total.macs).toBe(await profiledMacs(() => outs(student.forward(x))));
    expect(row("teacher").total.macs).toBe(
      await profiledMacs(() => {
        const r = reconstruct(mae, x, mask);
        return [r.reconstruction, r.patchError, ...outs(det.forward(r.composite)), r.composite];
      }),
    );
    const variables = (d: Detector) => d.countTrainable();
    const maeAll = mae.params.names().reduce((a, n) => a + mae.params.get(n).size, 0);
    expect(allParams(row("detector").total)).toBe(variables(det));
    expect(allParams(row("teacher").total)).toBe(maeAll + variables(det));
    expect(row("student").total.params).toBe(student.countTrainable());
    expect(row("student").total.fixedParams).toBe(student.backbone.params.get("pos_embed").size);
    // Parts add up.
    for (const r of table.rows) {
      for (const f of ["params", "fixedParams", "macs", "moduleMacs"] as const) expect(r.parts.reduce((a, p) => a + p.cost[f], 0), `${r.key} ${f}`).toBe(r.total[f]);
    }
    x.dispose();
    [det, student].forEach((d) => d.dispose());
    mae.dispose();
  });
});

interface Official {
  models: Record<string, { parameters: number; state_dict: [string, number[], string][] }>;
}

describe("full size: parameter counts equal official_architectures.json", () => {
  const official = JSON.parse(readFileSync(fixturePath("official_architectures.json"), "utf8")) as Official;
  /** Parameters (buffers excluded) of a model's state-dict entries whose names pass `pred`. */
  const count = (model: string, pred: (n: string) => boolean = () => true) =>
    official.models[model].state_dict.filter(([n]) => pred(n) && !BUFFER.test(n)).reduce((a, [, s]) => a + numel(s), 0);

  it("the JSON's totals are its parameter tensors (buffers excluded)", () => {
    for (const name of Object.keys(official.models)) expect(count(name), name).toBe(official.models[name].parameters);
  });

  it("MAE ViT-B/16 and ViT-L/16: encoder, decoder and the fixed position embeddings", () => {
    const configs: [string, MaeConfig][] = [
      ["mae_vit_base_patch16", MAE_PRESETS.base],
      ["mae_vit_large_patch16", { ...MAE_DEFAULTS, imgSize: 224, patchSize: 16 }], // the official constructor's defaults are ViT-L/16's
    ];
    for (const [name, config] of configs) {
      const cost = maeCost(config, 0.75);
      expect(allParams(cost.total), name).toBe(official.models[name].parameters);
      expect(allParams(cost.encoder), `${name} encoder`).toBe(count(name, isMaeEncoderName));
      expect(allParams(cost.decoder), `${name} decoder`).toBe(count(name, (n) => !isMaeEncoderName(n)));
      expect(cost.total.fixedParams, `${name} fixed`).toBe(count(name, (n) => n === "pos_embed" || n === "decoder_pos_embed"));
    }
  });

  it("ME-GraphAU with ResNet-50 and Swin-B, ANFL and MEFL: backbone, global_linear and every head module", () => {
    const configs = megraphauConfigs(12);
    const cases = [
      ["megraphau_anfl_resnet50_bp4d", configs.resnet50, "anfl"],
      ["megraphau_mefl_resnet50_bp4d", configs.resnet50, "mefl"],
      ["megraphau_anfl_swin_transformer_base_bp4d", configs["swin-b"], "anfl"],
      ["megraphau_mefl_swin_transformer_base_bp4d", configs["swin-b"], "mefl"],
    ] as const;
    for (const [name, config, head] of cases) {
      const cost = megraphauCost({ ...config, head });
      expect(allParams(cost.total), name).toBe(official.models[name].parameters);
      expect(allParams(cost.backbone), `${name} backbone`).toBe(count(name, (n) => n.startsWith("backbone.")));
      expect(allParams(cost.head), `${name} head`).toBe(count(name, (n) => n.startsWith("global_linear.") || n.startsWith("head.")));
      expect(cost.total.fixedParams).toBe(0);
      // The head module by module: global_linear and C as MEFARG derives them.
      const gl = official.models[name].state_dict.find(([n]) => n === "global_linear.fc.weight")![1];
      expect([cost.inChannels, cost.backboneChannels]).toEqual(gl);
      const onlyHead = (c: Cost) => allParams(c) - (gl[0] * gl[1] + 3 * gl[0]); // minus global_linear (fc + BatchNorm1d affine)
      expect(onlyHead(cost.head), `${name} head.*`).toBe(count(name, (n) => n.startsWith("head.")));
    }
    // SWIN_B is the JSON's Swin: blocks per stage and the relative position tables' [(2w-1)^2, heads].
    const swinState = official.models.megraphau_mefl_swin_transformer_base_bp4d.state_dict;
    SWIN_B.depths.forEach((depth, i) => {
      const tables = swinState.filter(([n]) => new RegExp(`^backbone\\.layers\\.${i}\\.blocks\\.\\d+\\.attn\\.relative_position_bias_table$`).test(n));
      expect(tables.length, `stage ${i + 1} blocks`).toBe(depth);
      for (const [, shape] of tables) expect(shape).toEqual([(2 * SWIN_B.windowSize - 1) ** 2, SWIN_B.numHeads[i]]);
    });
  });

  it("the full-size student: its encoder is the JSON's MAE ViT-B/16 encoder, its head the JSON's ME-GraphAU head, its alignment alignLayout's", () => {
    const configs = megraphauConfigs(12);
    for (const [key, teacher] of [["resnet50", "megraphau_mefl_resnet50_bp4d"], ["swin-b", "megraphau_mefl_swin_transformer_base_bp4d"]] as const) {
      const cfg = fullSizeStudentConfig(configs[key]);
      const cost = detectorCost(cfg);
      expect(allParams(cost.backbone)).toBe(count("mae_vit_base_patch16", isMaeEncoderName));
      expect(allParams(cost.head)).toBe(count(teacher, (n) => n.startsWith("global_linear.") || n.startsWith("head.")));
      expect(cost.align.params).toBe(alignLayout(cfg.backbone.align, cfg.backbone.mae.embedDim).reduce((a, e) => a + numel(e.shape), 0));
      expect(cost.tokens).toBe(megraphauCost(configs[key]).tokens);
    }
    // The table's rows are these models; the Swin-B rows carry the paper's figures.
    const table = fullTable();
    const swinStudent = table.rows.find((r) => r.key === "student-swin-b")!;
    expect(swinStudent.total).toEqual(detectorCost(fullSizeStudentConfig(configs["swin-b"])).total);
    expect(allParams(table.rows.find((r) => r.key === "megraphau-swin-b")!.total)).toBe(official.models.megraphau_mefl_swin_transformer_base_bp4d.parameters);
    expect(allParams(table.rows.find((r) => r.key === "teacher-swin-b")!.total)).toBe(
      official.models.mae_vit_base_patch16.parameters + official.models.megraphau_mefl_swin_transformer_base_bp4d.parameters,
    );
    expect(table.rows.filter((r) => r.paper).map((r) => r.key)).toEqual(["megraphau-swin-b", "teacher-swin-b", "student-swin-b"]);
  });
});

describe("op counts of what MaskAU does not build, and of the official modules", () => {
  beforeAll(() => useBackend("cpu"));

  it("bottleneckResNetCost: the convolutions of a narrow ResNet-50 layout built from tf.conv2d (profiled) and its weights", async () => {
    const c: BottleneckResNetConfig = { stemChannels: 8, stemKernel: 7, stemStride: 2, maxPool: true, widths: [4, 8, 16, 32], blocks: [3, 4, 6, 3], expansion: 4 };
    for (const size of [64, 50]) {
      const weights: tf.Tensor4D[] = [];
      let bn = 0;
      const w = (out: number, inC: number, k: number) => {
        const t = tf.tensor4d(uniform(weights.length + 1, out * inC * k * k, -0.1, 0.1), [out, inC, k, k]);
        weights.push(t);
        return t;
      };
      // torchvision's Bottleneck (stride on the 3x3), as ME-GraphAU's model/resnet.py; BatchNorm has no products.
      const forward = (x: tf.Tensor4D) => {
        let y = tf.maxPool(conv2dTorch(x, w(c.stemChannels, 3, c.stemKernel), c.stemStride), 3, 2, 1) as tf.Tensor4D;
        bn += c.stemChannels;
        let inplanes = c.stemChannels;
        c.widths.forEach((planes, s) => {
          for (let b = 0; b < c.blocks[s]; b++) {
            const stride = b === 0 && s > 0 ? 2 : 1;
            const width = planes * c.expansion;
            let out = tf.relu(conv2dTorch(y, w(planes, inplanes, 1), 1)) as tf.Tensor4D;
            out = tf.relu(conv2dTorch(out, w(planes, planes, 3), stride)) as tf.Tensor4D;
            out = conv2dTorch(out, w(width, planes, 1), 1);
            bn += 2 * planes + width;
            const identity = b === 0 ? conv2dTorch(y, w(width, inplanes, 1), stride) : y;
            if (b === 0) bn += width;
            y = tf.relu(tf.add(out, identity)) as tf.Tensor4D;
            inplanes = width;
          }
        });
        return y;
      };
      const x = images(10, 1, size);
      let shape: number[] = [];
      const macs = await profiledMacs(() => {
        const y = forward(x);
        shape = y.shape;
        return [y];
      });
      const cost = bottleneckResNetCost(c, size);
      expect(cost.cost.macs, `${size} px`).toBe(macs);
      expect(cost.cost.moduleMacs).toBe(macs);
      expect(cost.cost.params).toBe(weights.reduce((a, t) => a + t.size, 0) + 2 * bn);
      expect([cost.tokens, cost.channels]).toEqual([shape[1] * shape[2], shape[3]]);
      tf.dispose([x, ...weights]);
    }
  });

  it("swinCost: the official Swin's own flops() count (model/swin_transformer.py), less its norm terms", () => {
    /** SwinTransformer.flops() without the classifier head and avgpool ME-GraphAU removes; `norms` keeps its LayerNorm terms. */
    function officialFlops(c: SwinConfig, img: number, norms: boolean): { total: number; attention: number } {
      let res = img / c.patchSize;
      let total = res * res * c.embedDim * c.inChans * c.patchSize * c.patchSize + (norms ? res * res * c.embedDim : 0); // PatchEmbed.flops()
      let attention = 0;
      c.depths.forEach((depth, i) => {
        const dim = c.embedDim * 2 ** i;
        const w = Math.min(c.windowSize, res);
        const N = w * w;
        const heads = c.numHeads[i];
        const attnMatmuls = heads * N * (dim / heads) * N + heads * N * N * (dim / heads);
        const attnFlops = N * dim * 3 * dim + attnMatmuls + N * dim * dim; // WindowAttention.flops(N)
        const nW = (res * res) / w / w;
        for (let b = 0; b < depth; b++) {
          total += (norms ? 2 * dim * res * res : 0) + nW * attnFlops + 2 * res * res * dim * dim * c.mlpRatio; // SwinTransformerBlock.flops()
          attention += nW * attnMatmuls;
        }
        if (i < c.depths.length - 1) {
          total += (norms ? res * res * dim : 0) + (res / 2) * (res / 2) * 4 * dim * 2 * dim; // PatchMerging.flops()
          res /= 2;
        }
      });
      return { total, attention };
    }
    const tiny: SwinConfig = { patchSize: 2, inChans: 3, embedDim: 8, depths: [1, 3], numHeads: [2, 4], windowSize: 4, mlpRatio: 4 };
    for (const [c, img] of [[SWIN_B, 224], [tiny, 32], [tiny, 16]] as const) {
      const cost = swinCost(c, img).cost;
      const ref = officialFlops(c, img, false);
      expect(cost.macs).toBe(ref.total);
      expect(cost.moduleMacs).toBe(ref.total - ref.attention);
    }
    expect(() => swinCost(SWIN_B, 200)).toThrow(/windows/);
  });

  it("moduleMacs: the nn.Linear calls of the official ANFL and MEFL forward (model/ANFL.py, MEFL.py, graph_edge_model.py) and of the MAE", () => {
    for (const [T, Cb, C, N] of [[49, 1024, 512, 12], [16, 64, 64, 12], [9, 10, 8, 5]]) {
      const h = Math.floor(C / 2);
      // [rows of the input, in_features, out_features] of every nn.Linear call, batch 1.
      const common = [[T, Cb, C], ...Array.from({ length: N }, () => [T, C, C])]; // global_linear.fc; class_linears[i].fc
      const anfl = [...common, [N, C, C], [N, C, C]]; // gnn.V(x), gnn.U(x)
      const mefl = [
        ...common,
        [N * T, C, h], [N * T, C, h], [N * T, C, C], // FAM: linear_q(class_feature), linear_k / linear_v(global_feature repeated N times)
        [N * N * T, C, h], [N * N * T, C, h], [N * N * T, C, C], // ARM on feat_start / feat_end, [B, N*N, D, C]
        [N * N * T, C, C], // edge_proj
        ...[1, 2].flatMap(() => [[N, C, C], [N, C, C], [N * N, C, C], [N, C, C], [N, C, C]]), // gnn A, B, E(edge), V, U per layer
        [N * N, C, 4], // edge_fc
      ];
      const sum = (calls: number[][]) => calls.reduce((a, [r, i, o]) => a + r * i * o, 0);
      expect(graphHeadCost({ head: "anfl", tokens: T, backboneChannels: Cb, inChannels: C, numClasses: N }).moduleMacs).toBe(sum(anfl));
      expect(graphHeadCost({ head: "mefl", tokens: T, backboneChannels: Cb, inChannels: C, numClasses: N }).moduleMacs).toBe(sum(mefl));
    }
    for (const config of [MAE_PRESETS.base, MAE_PRESETS.tiny]) {
      const { numPatches: L, patchDim: P, mlpHidden: H, decoderMlpHidden: Hd } = maeSizes(config);
      const [E, D] = [config.embedDim, config.decoderEmbedDim];
      for (const ratio of [0, 0.5, 0.75]) {
        const keep = Math.floor(L * (1 - ratio));
        const block = (t: number, e: number, hidden: number) => [[t, e, 3 * e], [t, e, e], [t, e, hidden], [t, hidden, e]];
        const calls = [
          [L, P, E], // patch_embed.proj (a conv over L positions)
          ...Array.from({ length: config.depth }, () => block(keep + 1, E, H)).flat(),
          [keep + 1, E, D], // decoder_embed
          ...Array.from({ length: config.decoderDepth }, () => block(L + 1, D, Hd)).flat(),
          [L + 1, D, P], // decoder_pred
        ];
        expect(maeCost(config, ratio).total.moduleMacs).toBe(calls.reduce((a, [r, i, o]) => a + r * i * o, 0));
      }
    }
  });
});
