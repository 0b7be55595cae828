// The paper's Table 4 (computational efficiency: GMACs and parameters of ME-GraphAU,
// the reconstruction-based teacher and the distilled student), computed from configs
// (models/cost.ts) at two sizes, and the measured latency per face of the tiny models.
//
//   tiny  what MaskAU trains and ships: detector/resnet-tiny with the MEFL head (the clean
//         detector, ME-GraphAU's stage 2), the teacher = mae/tiny reconstructing the
//         occluded face + that detector on the composite, student/mae-tiny; 64 px.
//   full  the paper's models at 224 px: ME-GraphAU (MEFL) with ResNet-50 and with Swin-B,
//         the teacher = MAE ViT-B/16 (mae/base) + ME-GraphAU, the student = the ViT-B/16
//         encoder on all patches + alignment + the teacher's MEFL head.
//
// The full-size student's alignment is MaskAU's choice (the paper gives no sizes): as the
// tiny one, it pools the 14 x 14 patch grid to the teacher backbone's 7 x 7 token grid and
// maps 768-wide tokens to the teacher's width C_b through one hidden layer (GELU), here C_b
// wide, so that the head is exactly the teacher's.
//
// The teacher's reconstruction cost depends on how much is occluded: its encoder reads the
// visible patches only. maskRatio (default 0.5, the paper's 50% random patches) sets it.
import * as tf from "@tensorflow/tfjs-core";
import { MAE_PRESETS } from "../config.js";
import { timeSteps, type Timing } from "../bench/timing.js";
import { randomMasking } from "../masks/random.js";
import {
  addCosts,
  detectorCost,
  maeCost,
  megraphauCost,
  RESNET50,
  SWIN_B,
  type Cost,
  type MegraphauConfig,
} from "../models/cost.js";
import { createDetector, validateDetectorConfig } from "../models/detector.js";
import { createMae, maeSizes } from "../models/mae.js";
import { reconstruct } from "../models/reconstruct.js";
import { createStudent, type StudentConfig } from "../models/student.js";
import { resolveDetector, resolveMae, resolveStudent } from "../registry.js";

/** Table 4 of the paper: GMACs and millions of parameters. */
export const PAPER_TABLE4 = {
  megraphau: { gmacs: 21.28, paramsM: 94.38 },
  teacher: { gmacs: 30.29, paramsM: 201.47 },
  student: { gmacs: 18.63, paramsM: 91.26 },
} as const;

export type Table4Role = keyof typeof PAPER_TABLE4;

export interface CostPart {
  name: string;
  cost: Cost;
}

export interface CostRow {
  /** Stable key: detector, teacher, student (tiny); megraphau-resnet50, teacher-swin-b, ... (full). */
  key: string;
  /** The Table 4 row it stands for. */
  role: Table4Role;
  label: string;
  /** The configuration in words. */
  what: string;
  parts: CostPart[];
  total: Cost;
  /** The paper's figures for this row (full size, the configuration the paper used). */
  paper?: { gmacs: number; paramsM: number };
}

export interface CostTable {
  size: "tiny" | "full";
  imgSize: number;
  numClasses: number;
  maskRatio: number;
  /** Patches the teacher's MAE encoder reads, of how many. */
  visiblePatches: [number, number];
  rows: CostRow[];
}

export interface TableOptions {
  /** AUs (BP4D: 12). */
  numClasses?: number;
  /** Fraction of patches occluded, which the teacher's MAE does not encode (0.5). */
  maskRatio?: number;
}

/** The tiny models' configs, as the registry builds them. */
export function tinyConfigs(numClasses = 12) {
  return {
    detector: resolveDetector("detector/resnet-tiny").config({ head: "mefl", numClasses }),
    mae: resolveMae("mae/tiny").config(),
    student: resolveStudent("student/mae-tiny").config({ numClasses }),
  };
}

export function tinyTable({ numClasses = 12, maskRatio = 0.5 }: TableOptions = {}): CostTable {
  const c = tinyConfigs(numClasses);
  const det = detectorCost(c.detector);
  const mae = maeCost(c.mae, maskRatio);
  const st = detectorCost(c.student);
  const detParts = (prefix = ""): CostPart[] => [
    { name: `${prefix}ResNet`, cost: det.backbone },
    { name: `${prefix}head`, cost: det.head },
  ];
  const L = maeSizes(c.mae).numPatches;
  return {
    size: "tiny",
    imgSize: c.detector.imgSize,
    numClasses,
    maskRatio,
    visiblePatches: [mae.visible, L],
    rows: [
      { key: "detector", role: "megraphau", label: "Detector (clean)", what: "detector/resnet-tiny, MEFL head", parts: detParts(), total: det.total },
      {
        key: "teacher",
        role: "teacher",
        label: "Teacher",
        what: `mae/tiny reconstruction (${mae.visible} of ${L} patches visible) + detector/resnet-tiny MEFL`,
        parts: [{ name: "MAE encoder", cost: mae.encoder }, { name: "MAE decoder", cost: mae.decoder }, ...detParts()],
        total: addCosts(mae.total, det.total),
      },
      {
        key: "student",
        role: "student",
        label: "Student",
        what: "student/mae-tiny: MAE encoder on all patches + alignment + MEFL head",
        parts: [{ name: "MAE encoder", cost: st.backbone }, { name: "alignment", cost: st.align }, { name: "head", cost: st.head }],
        total: st.total,
      },
    ],
  };
}

/** The official ME-GraphAU configurations of the full-size table. */
export function megraphauConfigs(numClasses = 12): Record<"resnet50" | "swin-b", MegraphauConfig> {
  return {
    resnet50: { backbone: { kind: "resnet-bottleneck", resnet: RESNET50 }, head: "mefl", imgSize: 224, numClasses },
    "swin-b": { backbone: { kind: "swin", swin: SWIN_B }, head: "mefl", imgSize: 224, numClasses },
  };
}

/**
 * The full-size student for a teacher: the ViT-B/16 encoder (mae/base), pooled to the
 * teacher backbone's token grid, Linear(768 -> C_b), GELU, Linear(C_b -> C_b), then the
 * teacher's MEFL head (node width C).
 */
export function fullSizeStudentConfig(teacher: MegraphauConfig): StudentConfig {
  const t = megraphauCost(teacher);
  const side = Math.round(Math.sqrt(t.tokens));
  if (side * side !== t.tokens) throw new Error(`the teacher's ${t.tokens} tokens are not a square grid`);
  const cfg: StudentConfig = {
    backbone: { kind: "mae-aligned", mae: structuredClone(MAE_PRESETS.base), frozen: false, align: { gridOut: side, hidden: [t.backboneChannels], outChannels: t.backboneChannels } },
    head: "mefl",
    imgSize: teacher.imgSize,
    numClasses: teacher.numClasses,
    inChannels: t.inChannels,
    neighborNum: 4,
    metric: "dots",
  };
  validateDetectorConfig(cfg);
  return cfg;
}

export function fullTable({ numClasses = 12, maskRatio = 0.5 }: TableOptions = {}): CostTable {
  const configs = megraphauConfigs(numClasses);
  const mae = maeCost(MAE_PRESETS.base, maskRatio);
  const L = maeSizes(MAE_PRESETS.base).numPatches;
  const rows: CostRow[] = [];
  const names = { resnet50: "ResNet-50", "swin-b": "Swin-B" } as const;
  // The paper's ME-GraphAU is the Swin-B one (its 94.38M is megraphau_mefl_swin_transformer_base_bp4d's count).
  const paper = (key: "resnet50" | "swin-b", role: Table4Role) => (key === "swin-b" ? { paper: { ...PAPER_TABLE4[role] } } : {});
  for (const key of ["resnet50", "swin-b"] as const) {
    const m = megraphauCost(configs[key]);
    rows.push({
      key: `megraphau-${key}`,
      role: "megraphau",
      label: `ME-GraphAU (${names[key]})`,
      what: `official MEFARG, ${names[key]} backbone (${m.tokens} tokens x ${m.backboneChannels}), MEFL head C = ${m.inChannels}`,
      parts: [{ name: names[key], cost: m.backbone }, { name: "head", cost: m.head }],
      total: m.total,
      ...paper(key, "megraphau"),
    });
  }
  for (const key of ["resnet50", "swin-b"] as const) {
    const m = megraphauCost(configs[key]);
    rows.push({
      key: `teacher-${key}`,
      role: "teacher",
      label: `Teacher (MAE + ${names[key]})`,
      what: `MAE ViT-B/16 reconstruction (${mae.visible} of ${L} patches visible) + ME-GraphAU ${names[key]}`,
      parts: [{ name: "MAE encoder", cost: mae.encoder }, { name: "MAE decoder", cost: mae.decoder }, { name: names[key], cost: m.backbone }, { name: "head", cost: m.head }],
      total: addCosts(mae.total, m.total),
      ...paper(key, "teacher"),
    });
  }
  for (const key of ["resnet50", "swin-b"] as const) {
    const cfg = fullSizeStudentConfig(configs[key]);
    const s = detectorCost(cfg);
    const a = cfg.backbone.align;
    rows.push({
      key: `student-${key}`,
      role: "student",
      label: `Student (${names[key]} head)`,
      what: `ViT-B/16 encoder on all ${L} patches, pooled to ${a.gridOut}x${a.gridOut}, Linear ${[cfg.backbone.mae.embedDim, ...a.hidden, a.outChannels].join("-")}, ${names[key]} teacher's MEFL head`,
      parts: [{ name: "MAE encoder", cost: s.backbone }, { name: "alignment", cost: s.align }, { name: "head", cost: s.head }],
      total: s.total,
      ...paper(key, "student"),
    });
  }
  return { size: "full", imgSize: 224, numClasses, maskRatio, visiblePatches: [mae.visible, L], rows };
}

// ---------------------------------------------------------------------------------
// Latency of the tiny models

export interface LatencyOptions {
  /** Faces per forward (1: one face at a time). */
  batch?: number;
  warmup?: number;
  runs?: number;
  numClasses?: number;
  maskRatio?: number;
  seed?: number;
}

export interface LatencyResult {
  /** Median milliseconds per face (median time of a forward / batch). */
  msPerFace: number;
  /** Fastest forward / batch. */
  minMsPerFace: number;
  runs: number;
}

/**
 * Times the tiny models on the running tfjs backend, fresh weights (the time does not
 * depend on their values): the clean detector on a face, the teacher (the MAE
 * reconstructing the face under a random mask of maskRatio, composite, detector on the
 * composite), the student on the (occluded) face. Each forward starts from an image
 * tensor already on the backend and ends when the AU probabilities and edge logits have
 * been read back.
 */
export async function tinyLatency({ batch = 1, warmup = 3, runs = 20, numClasses = 12, maskRatio = 0.5, seed = 0 }: LatencyOptions = {}): Promise<Record<"detector" | "teacher" | "student", LatencyResult>> {
  const c = tinyConfigs(numClasses);
  const size = c.detector.imgSize;
  const detector = createDetector(c.detector, { seed });
  const mae = createMae(c.mae, { seed });
  const student = createStudent(c.student, { seed });
  const L = mae.numPatches;
  const mask = randomMasking(batch, L, maskRatio, seed).mask;
  const values = new Float32Array(batch * size * size * 3);
  for (let i = 0; i < values.length; i++) values[i] = Math.sin(i * 12.9898 + seed) * 1.5; // any face-sized input
  const imgs = tf.tensor4d(values, [batch, size, size, 3]);
  const readOut = async (out: { prob: tf.Tensor; edgeLogits?: tf.Tensor }) => {
    try {
      await Promise.all([out.prob.data(), out.edgeLogits?.data()]);
    } finally {
      tf.dispose([out.prob, out.edgeLogits ?? []].flat());
    }
  };
  const steps = {
    detector: () => readOut(detector.forward(imgs)),
    teacher: async () => {
      const rec = reconstruct(mae, imgs, mask);
      const out = detector.forward(rec.composite);
      tf.dispose([rec.reconstruction, rec.composite, rec.patchError]);
      await readOut(out);
    },
    student: () => readOut(student.forward(imgs)),
  };
  const result = {} as Record<keyof typeof steps, LatencyResult>;
  try {
    for (const key of ["detector", "teacher", "student"] as const) {
      const t: Timing = await timeSteps(steps[key], { warmup, iters: runs });
      result[key] = { msPerFace: t.medianMs / batch, minMsPerFace: t.minMs / batch, runs };
    }
  } finally {
    imgs.dispose();
    detector.dispose();
    mae.dispose();
    student.dispose();
  }
  return result;
}
