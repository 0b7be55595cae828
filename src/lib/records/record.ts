// A run record: everything a report page or a results table needs to know about one run,
// as one versioned JSON object. A run is a config, a summary, a per-step history and an
// environment; reports and docs are built from records, never typed by hand, so every
// figure can name the command that rebuilds it.
//
//   format, version     "maskau-run-record", RECORD_VERSION (readers refuse newer versions)
//   id, kind, title     file name stem, mae | detector | teacher | student | other, a heading
//   command             the command line (or page) that trained the checkpoint
//   recordCommand       the command that wrote this record (and its optional sections)
//   model, spec, seed   model kind/name/config, the run spec (when the run layer wrote it)
//   dataset, fold       what the model was trained on and which fold it never saw
//   condition           input (clean | occluded | composite), occlusion, fill
//   checkpoint          path, SHA-256 and size of the weights, step
//   environment         package versions, git commit, backend, Node version, platform,
//                       and whether these describe the training run or only the record
//   metrics             per-AU F1 on the test fold (official counting), mean F1 and accuracy, loss
//   history             the loss curve (step, loss, lr, loss terms)
//   sweep?              F1 per AU per occlusion level on the test fold
//   features?           a seeded 2-D map of held-out faces' features with silhouettes
//   evaluations?        per-AU F1 on the test fold under other conditions (Table 2's (b), (c))
//
// Building a record from checkpoint metadata is pure (recordFromCheckpoint); the caller
// supplies what needs the file system or the platform (hash, commit, versions). No DOM.
import type { CheckpointMeta } from "../io/checkpoint.js";

export const RECORD_FORMAT = "maskau-run-record";
export const RECORD_VERSION = 1;
export const RUN_KINDS = ["mae", "detector", "teacher", "student", "other"] as const;
export type RunKind = (typeof RUN_KINDS)[number];

/** Record ids are file name stems: they name src/data/records/<id>.json and the page /runs/<id>. */
export const RECORD_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,99}$/;

/** Where and with what the numbers were computed. */
export interface RunEnvironment {
  /**
   * "training": these describe the process that trained the checkpoint (the record was
   * written at the end of training); "record": only the process that wrote the record and
   * computed its sections (the checkpoint came from elsewhere, its metadata names no backend).
   */
  scope: "training" | "record";
  /** Installed versions of tfjs and the main dependencies. */
  packages: Record<string, string>;
  /** Git commit of the working tree (null outside a repository). */
  commit: string | null;
  /** Whether the tree had uncommitted changes (null when unknown). */
  dirty: boolean | null;
  /** The tfjs backend, as a label ("wasm (SIMD, 2 threads)", "webgpu (google/swiftshader)"). */
  backend: string | null;
  /** Node's version, or null in a browser. */
  node: string | null;
  /** "linux x64", or the browser's user agent. */
  platform: string | null;
}

export interface RecordCheckpoint {
  /** As given to the command (relative to the repository root for shipped files). */
  path: string;
  /** Hex SHA-256 of the file's bytes (the same as `sha256sum`). */
  sha256: string;
  /**
   * Hex SHA-256 of the tensors alone (names, dtypes, shapes, bytes; records/node.ts
   * tensorsSha256): the same for a rerun that reached the same weights. Absent from records
   * written before it existed.
   */
  tensorsSha256?: string;
  bytes: number;
  step: number | null;
  createdAt: string | null;
}

export interface RecordMetrics {
  /** "test" (the held-out fold), "validation" (held-out training subjects) or "none" (an MAE). */
  split: "test" | "validation" | "none";
  loss: number | null;
  meanF1: number | null;
  meanAcc: number | null;
  /** The AUs, in the model's order (BP4D: 1, 2, 4, ...). Empty for a model without AU outputs. */
  aus: number[];
  /** F1 in [0, 1] per AU, aligned with `aus`; null for an AU whose F1 was not recorded. */
  f1: (number | null)[];
}

/** One step of the loss curve: step and loss, plus any other per-step numbers (lr, loss terms). */
export type HistoryPoint = { step: number; loss: number } & Record<string, number>;

export interface SweepPoint {
  occlusion: string;
  /** Percent of the face removed (random ratio or block area), null for a region. */
  removed: number | null;
  /** F1 per AU, aligned with the sweep's `aus`. */
  f1: number[];
  meanF1: number;
}

/** F1 per AU against the occlusion level, on the test fold. */
export interface RecordSweep {
  command: string;
  /** What the model read: occluded faces (with `fill`) or the MAE composites of them. */
  input: "clean" | "occluded" | "composite";
  fill: string;
  /** The MAE that made the composites (path and SHA-256), for composite input. */
  mae: { path: string; sha256: string } | null;
  fold: number;
  frames: number;
  aus: number[];
  points: SweepPoint[];
  seconds: number;
}

/**
 * The model evaluated under a condition other than its training one, on its test fold: the
 * clean detector on occluded faces or on MAE composites (Table 2's (b) and (c)), a teacher on
 * another occlusion, ...
 */
export interface RecordEvaluation {
  /** "clean", "occluded random:0.5", "composite block:0.3". */
  label: string;
  input: "clean" | "occluded" | "composite";
  occlusion: string;
  fill: string;
  mae: { path: string; sha256: string } | null;
  fold: number;
  frames: number;
  aus: number[];
  f1: number[];
  meanF1: number;
  meanAcc: number;
  command: string;
}

/** A 2-D map of held-out faces' features. */
export interface RecordFeatures {
  command: string;
  /** The projection as it ran. */
  method: "tsne" | "umap";
  seed: number;
  perplexity: number | null;
  neighbours: number | null;
  iterations: number;
  /** Which features: every AU node's features concatenated, or the mean-pooled tokens the head reads. */
  features: "au-nodes" | "tokens";
  /** What the model read, under which occlusion. */
  input: "clean" | "occluded" | "composite";
  occlusion: string;
  /** Where the faces come from ("held-out faces of the pages' dataset, fold 1 subjects"). */
  faces: string;
  aus: number[];
  /** Coordinates, one per face. */
  x: number[];
  y: number[];
  /** 0/1 per AU per face ([n][N]). */
  labels: number[][];
  /** Subject of each face. */
  subjects: string[];
  /** Silhouette of the map by each AU's state (aligned with `aus`; null where every face shares the state) and by identity. */
  silhouette: { byAu: (number | null)[]; byIdentity: number | null };
  seconds: number;
}

export interface RunRecord {
  format: typeof RECORD_FORMAT;
  version: number;
  id: string;
  kind: RunKind;
  title: string;
  /** ISO time the record was written. */
  createdAt: string;
  /** The command (or page) that trained the checkpoint. */
  command: string | null;
  /** The command that wrote this record; null when training wrote it. */
  recordCommand: string | null;
  model: { kind: string; name: string | null; config: Record<string, unknown> };
  spec: Record<string, unknown> | null;
  seed: number | null;
  dataset: { name: string | null; description: Record<string, unknown> | string | null };
  /** The test (or held-out) fold, 1-based; null when the run saw every fold. */
  fold: number | null;
  condition: { input: string; occlusion: string; fill: string } | null;
  checkpoint: RecordCheckpoint;
  environment: RunEnvironment;
  metrics: RecordMetrics;
  history: HistoryPoint[];
  sweep?: RecordSweep;
  features?: RecordFeatures;
  evaluations?: RecordEvaluation[];
}

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);

/** mae | detector | teacher | student | other, from the checkpoint's model kind and the input it trained on. */
export function runKindOf(meta: Pick<CheckpointMeta, "model" | "config">): RunKind {
  if (meta.model === "mae") return "mae";
  if (meta.model === "student") return "student";
  if (meta.model.startsWith("megraphau")) {
    const condition = isObject(meta.config.condition) ? meta.config.condition : {};
    return condition.input === "composite" ? "teacher" : "detector";
  }
  return "other";
}

/** The id of a checkpoint file: its name without the directory and ".safetensors", lower-cased, odd characters replaced. */
export function recordIdOf(path: string): string {
  const stem = path.replace(/\\/g, "/").split("/").pop()!.replace(/\.safetensors$/i, "");
  const id = stem.toLowerCase().replace(/[^a-z0-9._-]+/g, "-").replace(/^[^a-z0-9]+/, "");
  return id.slice(0, 100) || "run";
}

function conditionOf(meta: CheckpointMeta): RunRecord["condition"] {
  const c = meta.config.condition;
  if (!isObject(c)) return null;
  return { input: String(c.input ?? "clean"), occlusion: String(c.occlusion ?? "none"), fill: String(c.fill ?? "gray") };
}

function foldOf(meta: CheckpointMeta): number | null {
  const spec = (meta as { spec?: unknown }).spec;
  if (isObject(spec) && typeof spec.fold === "number") return spec.fold > 0 ? spec.fold : null;
  const d = meta.dataset;
  if (isObject(d)) {
    if (typeof d.testFold === "number") return d.testFold;
    if (typeof d.heldOutFold === "number") return d.heldOutFold > 0 ? d.heldOutFold : null;
  }
  return null;
}

/** "Teacher (stage 2, MEFL) on MAE composites, random:0.5, fold 1". */
export function recordTitle(meta: CheckpointMeta): string {
  const kind = runKindOf(meta);
  const c = conditionOf(meta);
  const fold = foldOf(meta);
  const stage = typeof meta.config.stage === "number" ? meta.config.stage : meta.model === "megraphau-mefl" ? 2 : 1;
  const head = stage === 2 ? "stage 2, MEFL" : "stage 1, ANFL";
  const preset = typeof meta.config.preset === "string" ? `${meta.config.preset} ` : "";
  const where = fold ? `, fold ${fold}` : "";
  switch (kind) {
    case "mae":
      return `MAE ${preset}pretraining${fold ? `, fold ${fold} held out` : ""}`;
    case "student":
      return `Student (${preset.trim()}) on occluded faces, ${c?.occlusion ?? "?"}${where}`;
    case "teacher":
      return `Teacher (${head}) on MAE composites, ${c?.occlusion ?? "?"}${where}`;
    case "detector":
      return `Detector (${head}) on ${c?.input ?? "clean"} faces${c && c.occlusion !== "none" ? `, ${c.occlusion}` : ""}${where}`;
    default:
      return `${meta.model}${where}`;
  }
}

/** The per-AU metrics a checkpoint's metadata holds ("f1/AU1", ... "meanF1", "meanAcc", "loss"). */
export function metricsOf(meta: CheckpointMeta): RecordMetrics {
  const m = meta.metrics ?? {};
  const num = (v: unknown) => (typeof v === "number" && Number.isFinite(v) ? v : null);
  const configAus = Array.isArray(meta.config.aus) ? (meta.config.aus as unknown[]).filter((a): a is number => typeof a === "number") : [];
  const metricAus = Object.keys(m)
    .map((k) => /^f1\/AU(\d+)$/.exec(k)?.[1])
    .filter((a): a is string => a !== undefined)
    .map(Number);
  const aus = configAus.length ? configAus : metricAus;
  const spec = (meta as { spec?: unknown }).spec;
  const validation = isObject(spec) && typeof spec.valSubjects === "number" && spec.valSubjects > 0;
  return {
    split: aus.length === 0 ? "none" : validation ? "validation" : "test",
    loss: num(m.loss),
    meanF1: num(m.meanF1),
    meanAcc: num(m.meanAcc),
    aus,
    f1: aus.map((a) => num(m[`f1/AU${a}`])),
  };
}

/** The loss curve: the weights-only `history`, else the trainer state's. Non-numeric fields are dropped. */
export function historyOf(meta: CheckpointMeta): HistoryPoint[] {
  const raw: unknown[] = Array.isArray(meta.history) ? meta.history : Array.isArray(meta.trainer?.history) ? meta.trainer!.history : [];
  const out: HistoryPoint[] = [];
  for (const h of raw) {
    if (!isObject(h) || typeof h.step !== "number" || typeof h.loss !== "number") continue;
    const p: Record<string, number> = {};
    // Wall time and the run's length are not part of the curve.
    for (const [k, v] of Object.entries(h)) if (k !== "ms" && k !== "totalSteps" && typeof v === "number" && Number.isFinite(v)) p[k] = v;
    // Trainer reports keep their loss terms under "metrics".
    if (isObject(h.metrics)) for (const [k, v] of Object.entries(h.metrics)) if (typeof v === "number" && Number.isFinite(v)) p[k] = v;
    if ("loss" in p) out.push(p as HistoryPoint);
  }
  return out;
}

export interface RecordInputs {
  /** The checkpoint file as named (path), its SHA-256 (of the file and of its tensors alone) and size. */
  checkpoint: { path: string; sha256: string; tensorsSha256?: string; bytes: number };
  environment: RunEnvironment;
  /** Default: recordIdOf(checkpoint.path). */
  id?: string;
  /** Default: recordTitle(meta). */
  title?: string;
  /** Default: null (the record is written by training). */
  recordCommand?: string | null;
  /** Default: now. */
  createdAt?: string;
}

/** A run record from a checkpoint's metadata. Pure: everything from the platform comes in `inputs`. */
export function recordFromCheckpoint(meta: CheckpointMeta, inputs: RecordInputs): RunRecord {
  const spec = (meta as { spec?: unknown }).spec;
  const modelName = (meta as { modelName?: unknown }).modelName;
  const d = meta.dataset;
  return {
    format: RECORD_FORMAT,
    version: RECORD_VERSION,
    id: inputs.id ?? recordIdOf(inputs.checkpoint.path),
    kind: runKindOf(meta),
    title: inputs.title ?? recordTitle(meta),
    createdAt: inputs.createdAt ?? new Date().toISOString(),
    command: meta.createdBy ?? null,
    recordCommand: inputs.recordCommand ?? null,
    model: { kind: meta.model, name: typeof modelName === "string" ? modelName : null, config: meta.config },
    spec: isObject(spec) ? spec : null,
    seed: typeof meta.seed === "number" ? meta.seed : null,
    dataset: { name: isObject(d) && typeof d.name === "string" ? d.name : typeof d === "string" ? d : null, description: d ?? null },
    fold: foldOf(meta),
    condition: conditionOf(meta),
    checkpoint: { ...inputs.checkpoint, step: typeof meta.step === "number" ? meta.step : null, createdAt: meta.createdAt ?? null },
    environment: inputs.environment,
    metrics: metricsOf(meta),
    history: historyOf(meta),
  };
}

/** Short hex of a SHA-256, as the pages show it. */
export function shortHash(sha256: string): string {
  return sha256.slice(0, 12);
}
