// A user's checkpoint in one of the Evaluation page's slots: the teacher (a detector that
// reads MAE composites) or the student (reads the occluded faces). Checked in order of
// cost, each step before anything larger is read or built: the file's size and header
// (lib/io/checkpoint-upload.ts); what its metadata says it holds against what the slot
// takes (the model family, the AUs and face size of the page's held-out faces); the
// size of the model its config describes against the bytes the file holds, so that a
// config claiming a huge model allocates nothing; its tensors' names and shapes against
// that model, built empty; only then the whole file is read and loaded. Every refusal is
// a CheckpointError or SafetensorsError naming the file, the problem and what to do. No DOM.
import { CheckpointError, decodeCheckpoint, OPTIMIZER_PREFIX, type CheckpointMeta } from "../io/checkpoint.js";
import { CHOOSE_CHECKPOINT, readUploadHeader, type ByteSource } from "../io/checkpoint-upload.js";
import { formatBytes } from "../io/image-file.js";
import { previewJson } from "../io/untrusted-json.js";
import { detectorLayoutOf, fitLayout } from "../io/model-fit.js";
import { allParams, detectorCost } from "../models/cost.js";
import { createDetector, detectorConfigFromMeta, type Detector, type DetectorConfig } from "../models/detector.js";
import { STUDENT_MODEL_KIND, studentConfigFromMeta } from "../models/student.js";

export type ModelSlot = "teacher" | "student";

/** What the page's faces are: every model it scores must read this size and predict these AUs. */
export interface SlotFaces {
  imgSize: number;
  aus: readonly number[];
  /** The dataset preset the AUs are of ("bp4d"). */
  preset: string;
}

export interface SlotCheckpoint {
  detector: Detector;
  meta: CheckpointMeta;
  /** The file's name and size, and what it holds in words ("ME-GraphAU stage 2 (MEFL), ResNet backbone, 12 AUs, 750 steps"). */
  name: string;
  size: number;
  description: string;
}

/** What each slot takes, for the messages. */
const TAKES: Record<ModelSlot, string> = {
  teacher: "an ME-GraphAU AU detector written by maskau train detector (the teacher reads the MAE's composites)",
  student: "a student written by maskau train student (it reads the occluded faces)",
};

const HEADS: Record<string, string> = { "megraphau-anfl": "stage-1 (ANFL)", "megraphau-mefl": "stage-2 (MEFL)" };

/** An error's message, cut to a length a page can show (a hostile config can make a long one). */
const brief = (e: unknown, quoted: string): string => {
  const m = (e instanceof Error ? e.message : String(e)).replace(`${quoted}: `, "");
  return m.length > 300 ? `${m.slice(0, 300)}…` : m;
};

function refuse(message: string): never {
  throw new CheckpointError(message);
}

/** No size in a model config here comes near this (the widest layer of the full-size models is 3,072). */
const MAX_CONFIG_NUMBER = 65_536;

/**
 * The first number above MAX_CONFIG_NUMBER in a config (its path and value), or a note that
 * the config is too large to walk: a config from a file can claim sizes whose cost alone
 * (a loop per block of a ResNet stage) would hang the page, so they are refused first.
 * Walked without recursion, so a deeply nested value cannot overflow the stack.
 */
export function oversizedConfigValue(config: unknown): string | null {
  const stack: [string, unknown][] = [["config", config]];
  for (let visited = 0; stack.length; visited++) {
    if (visited > 10_000) return "more than 10,000 values";
    const [path, v] = stack.pop()!;
    if (typeof v === "number" && Math.abs(v) > MAX_CONFIG_NUMBER) return `${path.length > 80 ? `${path.slice(0, 80)}…` : path} = ${v}`;
    if (v !== null && typeof v === "object") for (const [k, x] of Object.entries(v)) stack.push([`${path}.${k}`, x]);
  }
  return null;
}

/** The detector config a slot can use from a checkpoint's metadata; refuses, saying why, what the slot cannot use. */
export function slotConfig(meta: CheckpointMeta, slot: ModelSlot, faces: SlotFaces, quoted: string): DetectorConfig {
  const detector = meta.model === "megraphau-anfl" || meta.model === "megraphau-mefl";
  const input = (meta.config.condition as { input?: unknown } | undefined)?.input;
  if (meta.model === "mae") refuse(`${quoted} holds an MAE (the masked autoencoder that makes the composites), not ${slot === "teacher" ? "an AU detector" : "a student"}. The ${slot} slot takes ${TAKES[slot]}; the composites here come from the shipped MAE.`);
  if (slot === "teacher" && meta.model === STUDENT_MODEL_KIND) refuse(`${quoted} holds a student, not a teacher: choose it in the Student slot (a student reads the occluded faces, a teacher the composites).`);
  if (slot === "student" && detector) {
    const trained = typeof input === "string" && /^[a-z-]{1,20}$/.test(input) ? ` trained on ${input} faces` : "";
    refuse(`${quoted} holds a ${HEADS[meta.model]} ME-GraphAU detector${trained}, not a student: choose it in the Teacher slot, or choose ${TAKES.student}.`);
  }
  if (!detector && meta.model !== STUDENT_MODEL_KIND) refuse(`${quoted} holds a ${previewJson(meta.model)} model, which this version of MaskAU does not know. The ${slot} slot takes ${TAKES[slot]}.`);
  const oversized = oversizedConfigValue(meta.config);
  if (oversized) refuse(`${quoted}'s metadata describes a model of implausible size (${oversized}; no size here exceeds ${MAX_CONFIG_NUMBER.toLocaleString("en")}), so it was not built. Write the checkpoint again with maskau train, or look at it with npx maskau inspect.`);
  let config: DetectorConfig;
  try {
    config = slot === "student" ? studentConfigFromMeta(meta, quoted) : detectorConfigFromMeta(meta, quoted);
  } catch (e) {
    refuse(`${quoted}'s metadata does not describe a model that can be built: ${brief(e, quoted)}. Write the checkpoint again with maskau train, or look at it with npx maskau inspect.`);
  }
  if (config.numClasses !== faces.aus.length) {
    const dataset = meta.dataset && typeof meta.dataset === "object" ? (meta.dataset.config as { preset?: unknown } | undefined)?.preset : undefined;
    refuse(
      `${quoted} predicts ${config.numClasses} AUs, but the held-out faces here are labelled with ${faces.aus.length} (${faces.preset.toUpperCase()}'s AU${faces.aus.join(", AU")}), so its outputs cannot be scored against them` +
        `${typeof dataset === "string" && /^[a-z0-9-]{1,20}$/.test(dataset) ? ` (its metadata says it was trained on the ${dataset} preset)` : ""}. Choose a checkpoint trained on the ${faces.preset.toUpperCase()} preset (maskau train with --data synthetic${faces.preset === "bp4d" ? ", the default" : `:${faces.preset}`}).`,
    );
  }
  if (config.imgSize !== faces.imgSize) refuse(`${quoted} reads ${config.imgSize} px faces, but the faces here are ${faces.imgSize} px. Choose a checkpoint of a model for ${faces.imgSize} px faces (the tiny presets).`);
  return config;
}

/** "ME-GraphAU stage 2 (MEFL), ResNet backbone, 12 AUs, 750 steps" or "student (MAE encoder, alignment, MEFL head), 12 AUs, 1,500 steps". */
export function describeSlotModel(meta: CheckpointMeta, config: DetectorConfig): string {
  const steps = typeof meta.step === "number" ? `, ${meta.step.toLocaleString("en")} steps` : "";
  const head = config.head.toUpperCase();
  if (meta.model === STUDENT_MODEL_KIND) return `student (MAE encoder, alignment, ${head} head), ${config.numClasses} AUs${steps}`;
  const backbone = config.backbone.kind === "resnet" ? "ResNet" : "MAE encoder";
  return `ME-GraphAU stage ${config.head === "anfl" ? 1 : 2} (${head}), ${backbone} backbone, ${config.numClasses} AUs${steps}`;
}

/**
 * Reads a user's checkpoint for `slot` and loads it as a detector, checking each step
 * before the next (see the top of this file). The caller owns the detector (dispose it).
 */
export async function loadSlotCheckpoint(file: ByteSource, slot: ModelSlot, faces: SlotFaces): Promise<SlotCheckpoint> {
  const header = await readUploadHeader(file);
  const { quoted, meta, listing } = header;
  const config = slotConfig(meta, slot, faces, quoted);
  // The model the config describes must fit in the file (a weight takes at least a byte),
  // so a config that claims a huge model is refused before anything is allocated.
  let params: number;
  try {
    params = allParams(detectorCost(config).total);
  } catch (e) {
    refuse(`${quoted}'s metadata does not describe a model that can be built: ${brief(e, quoted)}. Write the checkpoint again with maskau train.`);
  }
  if (!(params <= header.dataBytes)) {
    refuse(`${quoted}'s metadata describes a model of ${params.toLocaleString("en")} parameters, but the file holds ${formatBytes(header.dataBytes)} of tensors: the metadata and the tensors disagree. Write the checkpoint again with maskau train, or look at it with npx maskau inspect.`);
  }
  const what = meta.model === STUDENT_MODEL_KIND ? "the student" : `the ${config.head.toUpperCase()} detector`;
  let detector: Detector;
  try {
    detector = createDetector(config);
  } catch (e) {
    refuse(`${quoted}'s metadata does not describe a model that can be built: ${brief(e, quoted)}. Write the checkpoint again with maskau train, or look at it with npx maskau inspect.`);
  }
  try {
    const tensors = listing.entries.filter((t) => !t.name.startsWith(OPTIMIZER_PREFIX));
    const fit = fitLayout(tensors, detectorLayoutOf(detector), `${what} its metadata describes`);
    if (!fit.fits) {
      refuse(`${quoted} does not fit ${what} its metadata describes (${fit.detail.replace(/^.*?: /, "")}): its tensors were changed after it was written, or another program wrote it. Write it again with maskau train, or look at it with npx maskau inspect. ${CHOOSE_CHECKPOINT}`);
    }
    const ckpt = decodeCheckpoint(await file.read(0, file.size), quoted);
    detector.load(ckpt.tensors, { source: quoted });
    return { detector, meta, name: file.name, size: file.size, description: describeSlotModel(meta, config) };
  } catch (e) {
    detector.dispose();
    throw e;
  }
}
