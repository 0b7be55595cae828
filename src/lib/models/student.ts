// The student of the paper's section 3.3: the MAE encoder, initialised from the MAE the
// teacher reconstructs with, runs on ALL patches of the occluded face (as condition (b)
// shows it: the same masks and fill), with its standard position embeddings: no mask
// tokens, no mask positions, no decoder; the student never sees the mask, its forward
// takes images only. Then the feature alignment (align.ts: average pooling to the
// teacher's token grid, fully connected layers to its width), then the same head as the
// teacher: global_linear and MEFL (AFG, GEM, gated GCN, edge head).
//
// It is a Detector (detector.ts) with the "mae-aligned" backbone, so it has the
// detector's API (forwardFeatures -> aligned tokens [B, T, C_b], forwardHead, trainable,
// stateDict, load) and its outputs (prob [B, N], nodeFeatures [B, N, C], edgeLogits
// [B, N*N, 4]) are what the KD losses (losses/kd.ts) compare with the teacher's.
// State-dict names:
//   backbone.*       the MAE encoder under its official names (patch_embed.*, cls_token,
//                    pos_embed, blocks.*, norm.*), as the mae-vit detector keeps them
//   align.fc{i}.*    the alignment's Linear layers (torch layout [out, in])
//   global_linear.*, head.*   ME-GraphAU's names, the shapes of the teacher's head
// Checkpoints record model "student" and the DetectorConfig under config.detector.
import type { CheckpointMeta } from "../io/checkpoint.js";
import { MAE_PRESETS } from "../config.js";
import { createDetector, validateDetectorConfig, type Detector, type DetectorConfig, type MaeAlignedBackboneSpec } from "./detector.js";
import type { Mae } from "./mae.js";
import { CheckpointMismatchError, type LoadReport, type TensorData } from "./params.js";

/** A detector config whose backbone is the student's (MAE encoder + alignment). */
export type StudentConfig = DetectorConfig & { backbone: MaeAlignedBackboneSpec };

export type StudentPresetName = "mae-tiny";

/** Presets (numClasses is set per run). */
export const STUDENT_PRESETS: Record<StudentPresetName, Omit<StudentConfig, "numClasses">> = {
  /**
   * The tiny MAE's encoder (8 x 8 patch tokens of width 96 at 64 px, trained), pooled 2 x 2
   * to 4 x 4 tokens, Linear(96 -> 128), GELU, Linear(128 -> 64): the 4 x 4 x 64 tokens of
   * detector/resnet-tiny, the teacher; then its 64-wide MEFL head.
   */
  "mae-tiny": {
    backbone: { kind: "mae-aligned", mae: MAE_PRESETS.tiny, frozen: false, align: { gridOut: 4, hidden: [128], outChannels: 64 } },
    head: "mefl",
    imgSize: 64,
    inChannels: 64,
    neighborNum: 4,
    metric: "dots",
  },
};

export function studentConfig(preset: StudentPresetName, overrides: Partial<StudentConfig> & Pick<StudentConfig, "numClasses">): StudentConfig {
  const base = STUDENT_PRESETS[preset];
  if (!base) throw new Error(`unknown student preset "${preset}": choose ${Object.keys(STUDENT_PRESETS).join(", ")}`);
  const cfg = { ...structuredClone(base), ...overrides } as StudentConfig;
  validateDetectorConfig(cfg);
  return cfg;
}

export function isStudentConfig(c: DetectorConfig): c is StudentConfig {
  return c.backbone?.kind === "mae-aligned";
}

/**
 * Builds a student with fresh weights (seeded). `mae` hands over the MAE whose encoder it
 * starts from (the one the teacher reconstructs with; the student owns and disposes it).
 */
export function createStudent(config: StudentConfig, options: { seed?: number; mae?: Mae } = {}): Detector {
  if (!isStudentConfig(config)) throw new Error(`createStudent: the config's backbone is "${(config as DetectorConfig).backbone?.kind}", not the student's "mae-aligned"`);
  return createDetector(config, options);
}

/** Model kind recorded in a student checkpoint's metadata. */
export const STUDENT_MODEL_KIND = "student";

export function studentModelKind(): string {
  return STUDENT_MODEL_KIND;
}

/** The StudentConfig stored in a student checkpoint's metadata (config.detector). */
export function studentConfigFromMeta(meta: Pick<CheckpointMeta, "model" | "config">, source = "checkpoint"): StudentConfig {
  if (meta.model !== STUDENT_MODEL_KIND) throw new Error(`${source} holds a "${meta.model}" model, not a student`);
  const cfg = meta.config.detector as DetectorConfig | undefined;
  if (!cfg || typeof cfg !== "object") throw new Error(`${source}: the checkpoint's config lacks the student's config ("detector")`);
  validateDetectorConfig(cfg);
  if (!isStudentConfig(cfg)) throw new Error(`${source}: a student checkpoint whose config has a "${cfg.backbone.kind}" backbone, not "mae-aligned"`);
  return cfg;
}

/** State-dict names of the head part a student shares with its teacher. */
export const isHeadName = (name: string): boolean => name.startsWith("global_linear.") || name.startsWith("head.");

/**
 * Initialises the student's global_linear and head from a teacher's state dict (a
 * detector with the same head kind, node width, AU count and backbone width C_b, e.g.
 * detector/resnet-tiny for student/mae-tiny); the teacher's backbone is ignored and the
 * student's encoder and alignment are left as they are. Every head tensor must be there
 * with its shape, or CheckpointMismatchError names what differs and nothing loads.
 * Returns the report of the student's load (backbone.* and align.* missing).
 */
export function loadTeacherHead(student: Detector, teacher: Map<string, TensorData>, { source = "teacher" }: { source?: string } = {}): LoadReport {
  const head = new Map([...teacher].filter(([name]) => isHeadName(name)));
  // The student's global_linear.* and head.* all live in its head's store: compare first, load after.
  const problems = student.head.params.check(head);
  if (problems.missing.length || problems.unexpected.length || problems.misShaped.length) {
    throw new CheckpointMismatchError(problems, `${source} (its global_linear and head)`);
  }
  return student.load(head, { strict: false, source });
}
