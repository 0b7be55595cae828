// The model registry: every model MaskAU builds has one qualified name (timm style,
// `family/variant`), resolved here and nowhere else. An entry says how to make the
// model's config, and the training defaults of the runs that train it live beside
// the presets, so the CLI flags, the pages and the run layer read them from one place.
//
//   mae/tiny, mae/small, mae/base        MAE (config.ts presets; base = official ViT-B/16)
//   detector/resnet-tiny, resnet-small   ME-GraphAU on a small torchvision-style ResNet
//   detector/mae-vit-tiny                ME-GraphAU on the tiny MAE's encoder (frozen)
//   student/mae-tiny                     the student (section 3.3): the tiny MAE's encoder on all
//                                        patches, feature alignment, the teacher's MEFL head
//
// A checkpoint names its model in its metadata (`maskau.model` plus the config), so
// `loadCheckpointModel` rebuilds any checkpoint MaskAU wrote from its bytes alone.
import { MAE_PRESETS, type MaeConfig, type MaePresetName } from "./config.js";
import { decodeCheckpoint, type CheckpointMeta, type DecodedCheckpoint } from "./io/checkpoint.js";
import { toOfficialNames } from "./io/keymap.js";
import { createDetector, detectorConfig, detectorConfigFromMeta, type Detector, type DetectorConfig, type DetectorPresetName, type HeadKind } from "./models/detector.js";
import { maeConfigFromMeta } from "./models/mae-checkpoint.js";
import { createMae, type Mae } from "./models/mae.js";
import { STUDENT_MODEL_KIND, studentConfig, studentConfigFromMeta, type StudentConfig, type StudentPresetName } from "./models/student.js";

/** Optimiser and schedule settings shared by every run kind. */
export interface TrainSettings {
  /** Optimisation steps (the cosine schedule decays over these). */
  steps: number;
  /** Images per step. */
  batch: number;
  /** Peak learning rate, reached after `warmup` steps. */
  lr: number;
  /** Floor of the cosine decay. */
  minLr: number;
  /** Linear warmup steps. */
  warmup: number;
  /** AdamW decoupled weight decay. */
  weightDecay: number;
  /** Write a resumable checkpoint every this many steps (and at the end). */
  checkpointEvery: number;
}

/** MAE pretraining defaults (MAE's recipe scaled to the tiny preset: betas 0.9/0.95, wd 0.05). */
export const PRETRAIN_DEFAULTS = {
  steps: 3000,
  batch: 32,
  lr: 1e-3,
  minLr: 1e-5,
  warmup: 200,
  weightDecay: 0.05,
  checkpointEvery: 250,
  /** Fraction of patches removed in training. */
  maskRatio: 0.75,
  betas: [0.9, 0.95] as [number, number],
} as const;

/** The schedule of the AU graph models (detector and student): AdamW with weight decay 5e-4 as ME-GraphAU. */
const GRAPH_MODEL_SCHEDULE = { steps: 1500, batch: 32, lr: 1e-3, minLr: 1e-5, warmup: 100, weightDecay: 5e-4, checkpointEvery: 250 } as const;

/** ME-GraphAU training defaults (lambda as the paper). */
export const DETECTOR_DEFAULTS = {
  ...GRAPH_MODEL_SCHEDULE,
  /** Stage-2 weight of the edge loss: 0.01 in the occlusion paper (ME-GraphAU's own default is 0.001). */
  lambda: 0.01,
  /** Composite input: cached occlusions per training face. */
  compositeVariants: 1,
  betas: [0.9, 0.999] as [number, number],
} as const;

/**
 * A teacher fine-tuned from the clean detector on MAE composites (Table 2 (d)): fewer
 * steps at a lower peak rate, and several cached occlusions of each training face.
 */
export const TEACHER_FINETUNE_DEFAULTS = {
  steps: 750,
  lr: 3e-4,
  warmup: 50,
  compositeVariants: 4,
} as const;

/**
 * Distillation defaults (the paper: alpha 1, beta 0.1, T 2, lambda 0.01; AdamW with weight
 * decay 5e-4). The pretrained encoder is fine-tuned at the head's learning rate: on the
 * validation subjects of fold 1 (5 training subjects held out, random:0.5, 400 steps) a
 * tenth of the rate gave 37.2 mean F1 and the full rate 43.1 (docs/students.md).
 */
export const STUDENT_DEFAULTS = {
  ...GRAPH_MODEL_SCHEDULE,
  lambda: 0.01,
  alpha: 1,
  beta: 0.1,
  temperature: 2,
  encoderLrScale: 1,
  compositeVariants: 4,
} as const;

export type MaeModelName = "mae/tiny" | "mae/small" | "mae/base";
export type DetectorModelName = "detector/resnet-tiny" | "detector/resnet-small" | "detector/mae-vit-tiny";
export type StudentModelName = "student/mae-tiny";
export type ModelName = MaeModelName | DetectorModelName | StudentModelName;

export interface MaeEntry {
  family: "mae";
  name: MaeModelName;
  preset: MaePresetName;
  description: string;
  config(): MaeConfig;
}

export interface DetectorEntry {
  family: "detector";
  name: DetectorModelName;
  preset: DetectorPresetName;
  description: string;
  config(options: { head: HeadKind; numClasses: number }): DetectorConfig;
}

export interface StudentEntry {
  family: "student";
  name: StudentModelName;
  preset: StudentPresetName;
  description: string;
  /** The student's config (MEFL head); `frozen` keeps the encoder fixed (default: the preset's, trained). */
  config(options: { numClasses: number; frozen?: boolean }): StudentConfig;
}

export type ModelEntry = MaeEntry | DetectorEntry | StudentEntry;

const mae = (name: MaeModelName, preset: MaePresetName, description: string): MaeEntry => ({
  family: "mae",
  name,
  preset,
  description,
  config: () => structuredClone(MAE_PRESETS[preset]),
});

const detector = (name: DetectorModelName, preset: DetectorPresetName, description: string): DetectorEntry => ({
  family: "detector",
  name,
  preset,
  description,
  config: ({ head, numClasses }) => detectorConfig(preset, { head, numClasses }),
});

const student = (name: StudentModelName, preset: StudentPresetName, description: string): StudentEntry => ({
  family: "student",
  name,
  preset,
  description,
  config: ({ numClasses, frozen }) => {
    const cfg = studentConfig(preset, { numClasses });
    if (frozen !== undefined) cfg.backbone.frozen = frozen;
    return cfg;
  },
});

export const MODELS: Record<ModelName, ModelEntry> = {
  "mae/tiny": mae("mae/tiny", "tiny", "64 px faces, 8 px patches, 96 wide, 4 blocks"),
  "mae/small": mae("mae/small", "small", "112 px faces, 16 px patches, 192 wide"),
  "mae/base": mae("mae/base", "base", "official mae_vit_base_patch16 (224 px, ViT-B/16)"),
  "detector/resnet-tiny": detector("detector/resnet-tiny", "tiny", "ResNet 16/32/64 channels (4x4 tokens at 64 px) + 64-wide graph head"),
  "detector/resnet-small": detector("detector/resnet-small", "small", "ResNet of four stages (up to 192 channels) + 96-wide graph head"),
  "detector/mae-vit-tiny": detector("detector/mae-vit-tiny", "mae-tiny", "the tiny MAE's encoder (frozen, 8x8 tokens) + 64-wide graph head"),
  "student/mae-tiny": student("student/mae-tiny", "mae-tiny", "the tiny MAE's encoder on all patches, pooled to 4x4, Linear 96-128-64, + the teacher's 64-wide MEFL head"),
};

export const MODEL_NAMES = Object.keys(MODELS) as ModelName[];

/** Short names the CLI has always taken (`--preset tiny`) -> qualified names, per family. */
const LEGACY: Record<ModelEntry["family"], Record<string, ModelName>> = {
  mae: { tiny: "mae/tiny", small: "mae/small", base: "mae/base" },
  detector: { tiny: "detector/resnet-tiny", small: "detector/resnet-small", "mae-tiny": "detector/mae-vit-tiny" },
  student: { "mae-tiny": "student/mae-tiny" },
};

/** The entry of a qualified name (or of a family's short preset name); throws listing the names. */
export function resolveModel(name: string, family?: ModelEntry["family"]): ModelEntry {
  const qualified = (family && LEGACY[family][name]) || name;
  const entry = MODELS[qualified as ModelName];
  if (!entry || (family && entry.family !== family)) {
    const names = MODEL_NAMES.filter((n) => !family || MODELS[n].family === family);
    throw new Error(`unknown model "${name}": choose ${names.join(", ")}${family ? ` (or ${Object.keys(LEGACY[family]).join(", ")})` : ""}`);
  }
  return entry;
}

export function resolveMae(name: string): MaeEntry {
  return resolveModel(name, "mae") as MaeEntry;
}

export function resolveDetector(name: string): DetectorEntry {
  return resolveModel(name, "detector") as DetectorEntry;
}

export function resolveStudent(name: string): StudentEntry {
  return resolveModel(name, "student") as StudentEntry;
}

/** The qualified name a MaskAU checkpoint's metadata describes. */
export function modelNameFromMeta(meta: CheckpointMeta, source = "checkpoint"): ModelName {
  const recorded = (meta as CheckpointMeta & { modelName?: string }).modelName;
  if (recorded && recorded in MODELS) return recorded as ModelName;
  const preset = typeof meta.config.preset === "string" ? meta.config.preset : undefined;
  if (meta.model === "mae") return preset && LEGACY.mae[preset] ? LEGACY.mae[preset] : "mae/tiny";
  if (meta.model === "megraphau-anfl" || meta.model === "megraphau-mefl") {
    if (preset && LEGACY.detector[preset]) return LEGACY.detector[preset];
    const cfg = detectorConfigFromMeta(meta, source);
    return cfg.backbone.kind === "mae-vit" ? "detector/mae-vit-tiny" : "detector/resnet-tiny";
  }
  if (meta.model === STUDENT_MODEL_KIND) {
    studentConfigFromMeta(meta, source);
    return preset && LEGACY.student[preset] ? LEGACY.student[preset] : "student/mae-tiny";
  }
  throw new Error(`${source} holds a "${meta.model}" model, which this version of MaskAU does not know`);
}

export type LoadedModel =
  | { family: "mae"; name: ModelName; mae: Mae; meta: CheckpointMeta | null }
  | { family: "detector"; name: ModelName; detector: Detector; meta: CheckpointMeta }
  | { family: "student"; name: ModelName; detector: Detector; meta: CheckpointMeta };

/**
 * Builds and loads the model a checkpoint holds, from its metadata alone. Official
 * weights without MaskAU metadata need `model` (e.g. "mae/base" for converted
 * mae_pretrain_vit_base weights; Hugging Face and DataParallel names are mapped).
 */
export function loadCheckpointModel(bytesOrCheckpoint: Uint8Array | DecodedCheckpoint, { source = "checkpoint", model }: { source?: string; model?: string } = {}): LoadedModel {
  const ckpt = bytesOrCheckpoint instanceof Uint8Array ? decodeCheckpoint(bytesOrCheckpoint, source) : bytesOrCheckpoint;
  if (!ckpt.meta && !model) throw new Error(`${source} has no MaskAU metadata: say which model it holds (${MODEL_NAMES.join(", ")})`);
  const name = model ? resolveModel(model).name : modelNameFromMeta(ckpt.meta!, source);
  const entry = MODELS[name];
  if (entry.family === "mae") {
    const config = ckpt.meta && !model ? maeConfigFromMeta(ckpt.meta, source) : entry.config();
    const m = createMae(config);
    try {
      m.params.load(toOfficialNames(ckpt.tensors).tensors, { source });
    } catch (e) {
      m.dispose();
      throw e;
    }
    return { family: "mae", name, mae: m, meta: ckpt.meta };
  }
  if (!ckpt.meta) throw new Error(`${source} has no MaskAU metadata: it does not say which ${entry.family} head and AUs it holds`);
  const student = entry.family === "student";
  const d = createDetector(student ? studentConfigFromMeta(ckpt.meta, source) : detectorConfigFromMeta(ckpt.meta, source));
  try {
    d.load(ckpt.tensors, { source });
  } catch (e) {
    d.dispose();
    throw e;
  }
  return student ? { family: "student", name, detector: d, meta: ckpt.meta } : { family: "detector", name, detector: d, meta: ckpt.meta };
}

/** A one-line table of the registry (for `maskau info` and the docs). */
export function describeModels(): string[] {
  return MODEL_NAMES.map((n) => `${n.padEnd(24)} ${MODELS[n].description}`);
}
