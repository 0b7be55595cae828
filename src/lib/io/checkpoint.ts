// MaskAU checkpoints: a safetensors file whose tensors carry the official state_dict
// key names (so PyTorch loads them as is), plus one `__metadata__` entry, "maskau",
// holding a JSON description of the run (model kind, config, dataset, seed, step,
// metrics, the command that wrote it) and, when the file is meant for resuming, the
// trainer state (step, config, history, which tensors are trainable).
//
// Optimizer buffers are extra tensors named "optimizer.<buffer key>", e.g.
// "optimizer.blocks.0.attn.qkv.weight.exp_avg" for AdamW, so a run continues from a
// checkpoint exactly. A plain safetensors file (official weights converted from a .pth)
// decodes with meta = null and every tensor taken as a model tensor.
//
// Integer data: tfjs holds int32, torch expects int64 for BatchNorm's
// num_batches_tracked (and index buffers); those are written as I64.
import type { TensorData } from "../models/params.js";
import type { OptimizerState, StepReport, TrainerConfig, TrainState } from "../train/trainer.js";
import { readSafetensors, writeSafetensors, type SafeDtype, type TensorToWrite } from "./safetensors.js";
import { previewJson, setOwn } from "./untrusted-json.js";

export const CHECKPOINT_FORMAT = "maskau-checkpoint";
export const CHECKPOINT_VERSION = 1;
/** The `__metadata__` key holding the JSON description. */
export const META_KEY = "maskau";
/** Prefix of optimizer buffers among the tensors. */
export const OPTIMIZER_PREFIX = "optimizer.";

/** What a checkpoint needs to resume training (besides tensors). */
export interface CheckpointTrainerState {
  /** Updates made so far. */
  step: number;
  /** The optimizer's own step count (AdamW's bias correction). */
  optimizerStep: number;
  config: TrainerConfig;
  history: StepReport[];
  /** Names of the trainable variables (the others are buffers). */
  variables: string[];
}

/** The JSON stored under `__metadata__.maskau`. */
export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** Model kind, e.g. "mae", "megraphau-anfl", "megraphau-mefl", "student". */
  model: string;
  /** The model config (preset values) the tensors were made for. */
  config: Record<string, unknown>;
  /** Dataset description (name, fold, size, generator seed, ...). */
  dataset?: Record<string, unknown> | string | null;
  seed?: number | null;
  /** Training step the tensors correspond to. */
  step?: number | null;
  /** Final or latest metrics (loss, F1, ...). */
  metrics?: Record<string, number>;
  /** The command line or page that wrote the file. */
  createdBy?: string;
  /** ISO time of writing. */
  createdAt?: string;
  trainer?: CheckpointTrainerState;
  /** The run's loss curve, kept in weights-only checkpoints (which have no trainer state). */
  history?: { step: number; loss: number; lr: number }[];
}

/** The caller's part of the metadata; format, version and createdAt are filled in. */
export type CheckpointMetaInput = Omit<CheckpointMeta, "format" | "version" | "createdAt"> & { createdAt?: string };

export interface DecodedCheckpoint {
  /** Model tensors (parameters and buffers) by name; optimizer buffers are not here. */
  tensors: Map<string, TensorData>;
  /** The dtype each tensor had in the file. */
  dtypes: Map<string, SafeDtype>;
  /** null for a safetensors file without MaskAU metadata (e.g. official weights). */
  meta: CheckpointMeta | null;
  /** Optimizer state when the checkpoint holds one. */
  optimizer: OptimizerState | null;
  /** Every `__metadata__` entry as stored. */
  rawMetadata: Record<string, string>;
}

export class CheckpointError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "CheckpointError";
  }
}

/** Names whose int32 data torch expects as int64. */
export function isInt64Name(name: string): boolean {
  return /(^|\.)num_batches_tracked$/.test(name);
}

/**
 * Serialises model tensors (and optionally optimizer state) with metadata to
 * safetensors bytes. Float32Array data is written as F32; Int32Array as I64 for
 * num_batches_tracked buffers, I32 otherwise.
 */
export function encodeCheckpoint(
  state: Map<string, TensorData>,
  meta: CheckpointMetaInput,
  optimizer?: OptimizerState | null,
): Uint8Array {
  if (typeof meta.model !== "string" || !meta.model) throw new CheckpointError("checkpoint metadata needs a model kind (meta.model)");
  if (meta.config === null || typeof meta.config !== "object" || Array.isArray(meta.config)) {
    throw new CheckpointError("checkpoint metadata needs the model config as an object (meta.config)");
  }
  const tensors = new Map<string, TensorToWrite>();
  for (const [name, t] of state) {
    if (name.startsWith(OPTIMIZER_PREFIX)) {
      throw new CheckpointError(`model tensor "${name}" uses the reserved prefix "${OPTIMIZER_PREFIX}"`);
    }
    tensors.set(name, toWrite(name, t));
  }
  if (optimizer) {
    for (const [key, b] of Object.entries(optimizer.buffers)) {
      tensors.set(OPTIMIZER_PREFIX + key, { dtype: "F32", shape: b.shape, data: b.values });
    }
    if (meta.trainer && meta.trainer.optimizerStep !== optimizer.step) {
      throw new CheckpointError(`meta.trainer.optimizerStep (${meta.trainer.optimizerStep}) differs from the optimizer's step (${optimizer.step})`);
    }
  }
  const full: CheckpointMeta = {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    ...meta,
    createdAt: meta.createdAt ?? new Date().toISOString(),
  };
  if (optimizer && !full.trainer) {
    throw new CheckpointError("optimizer state without trainer state: pass meta.trainer (or use trainStateToCheckpoint)");
  }
  // "format: pt" is what torch-side safetensors loaders (transformers) look for.
  return writeSafetensors(tensors, { format: "pt", [META_KEY]: JSON.stringify(full) });
}

function toWrite(name: string, t: TensorData): TensorToWrite {
  const count = t.shape.reduce((a, d) => a * d, 1);
  if (count !== t.data.length) {
    throw new CheckpointError(`tensor "${name}": shape [${t.shape}] holds ${count} values but the data has ${t.data.length}`);
  }
  if (t.data instanceof Float32Array) return { dtype: "F32", shape: t.shape, data: t.data };
  if (t.data instanceof Int32Array) return { dtype: isInt64Name(name) ? "I64" : "I32", shape: t.shape, data: t.data };
  throw new CheckpointError(`tensor "${name}": data must be a Float32Array or Int32Array`);
}

/**
 * Reads checkpoint bytes. `source` names the file in errors. Safetensors-level
 * problems throw SafetensorsError; bad MaskAU metadata throws CheckpointError.
 */
export function decodeCheckpoint(bytes: Uint8Array, source = "checkpoint"): DecodedCheckpoint {
  const file = readSafetensors(bytes, source);
  const meta = checkpointMeta(file.metadata, source);
  const tensors = new Map<string, TensorData>();
  const dtypes = new Map<string, SafeDtype>();
  const buffers: OptimizerState["buffers"] = {};
  let hasOptimizer = false;
  for (const [name, t] of file.tensors) {
    if (meta && name.startsWith(OPTIMIZER_PREFIX)) {
      if (!(t.data instanceof Float32Array)) throw new CheckpointError(`${source}: optimizer buffer ${previewJson(name)} is not floating point (${t.dtype})`);
      setOwn(buffers, name.slice(OPTIMIZER_PREFIX.length), { shape: t.shape, values: t.data });
      hasOptimizer = true;
      continue;
    }
    tensors.set(name, { shape: t.shape, data: t.data });
    dtypes.set(name, t.dtype);
  }
  let optimizer: OptimizerState | null = null;
  if (hasOptimizer) {
    if (!meta?.trainer) throw new CheckpointError(`${source}: holds optimizer buffers but its metadata has no "trainer" entry (optimizer step unknown)`);
    optimizer = { step: meta.trainer.optimizerStep, buffers };
  }
  return { tensors, dtypes, meta, optimizer, rawMetadata: file.metadata };
}

/**
 * The MaskAU metadata among a safetensors file's `__metadata__` entries (null when there
 * is none), validated as decodeCheckpoint does. For tools that read only the header.
 */
export function checkpointMeta(metadata: Record<string, string>, source = "checkpoint"): CheckpointMeta | null {
  return Object.hasOwn(metadata, META_KEY) ? parseMeta(metadata[META_KEY], source) : null;
}

function parseMeta(raw: string, source: string): CheckpointMeta {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch (error) {
    throw new CheckpointError(`${source}: __metadata__.${META_KEY} is not valid JSON (${(error as Error).message})`);
  }
  const bad = (what: string): never => {
    throw new CheckpointError(`${source}: __metadata__.${META_KEY} ${what}`);
  };
  const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === "object" && !Array.isArray(v);
  if (!isObject(value)) bad("is not a JSON object");
  const m = value as Record<string, unknown>;
  if (m.format !== CHECKPOINT_FORMAT) bad(`has format ${previewJson(m.format)}, expected "${CHECKPOINT_FORMAT}"`);
  if (typeof m.version !== "number" || !Number.isInteger(m.version) || m.version < 1) bad(`has an invalid version ${previewJson(m.version)}`);
  if ((m.version as number) > CHECKPOINT_VERSION) {
    bad(`has version ${m.version}; this MaskAU reads up to version ${CHECKPOINT_VERSION} (update MaskAU to load it)`);
  }
  if (typeof m.model !== "string" || !m.model) bad(`lacks the model kind ("model")`);
  if (!isObject(m.config)) bad(`lacks the model config object ("config")`);
  for (const k of ["seed", "step"] as const) {
    if (m[k] !== undefined && m[k] !== null && typeof m[k] !== "number") bad(`has a non-numeric "${k}" (${previewJson(m[k])})`);
  }
  if (m.metrics !== undefined) {
    if (!isObject(m.metrics)) bad(`has "metrics" that is not an object`);
    // A metric that was NaN is written as null by JSON.stringify.
    for (const [k, v] of Object.entries(m.metrics as Record<string, unknown>)) {
      if (v !== null && typeof v !== "number") bad(`has a non-numeric metric ${previewJson(k)} (${previewJson(v)})`);
    }
  }
  for (const k of ["createdBy", "createdAt"] as const) {
    if (m[k] !== undefined && typeof m[k] !== "string") bad(`has "${k}" that is not a string (${previewJson(m[k])})`);
  }
  if (m.dataset !== undefined && m.dataset !== null && typeof m.dataset !== "string" && !isObject(m.dataset)) {
    bad(`has "dataset" that is neither an object nor a string (${previewJson(m.dataset)})`);
  }
  if (m.history !== undefined && (!Array.isArray(m.history) || !m.history.every(isObject))) bad(`has "history" that is not a list of objects`);
  if (m.trainer !== undefined) {
    const t = m.trainer;
    if (!isObject(t)) bad(`has "trainer" that is not an object`);
    const tt = t as Record<string, unknown>;
    if (!Number.isSafeInteger(tt.step) || (tt.step as number) < 0) bad(`has an invalid trainer.step ${previewJson(tt.step)}`);
    if (!Number.isSafeInteger(tt.optimizerStep) || (tt.optimizerStep as number) < 0) bad(`has an invalid trainer.optimizerStep ${previewJson(tt.optimizerStep)}`);
    if (!isObject(tt.config)) bad(`lacks trainer.config`);
    if (!Array.isArray(tt.history) || !tt.history.every(isObject)) bad(`has trainer.history that is not a list of objects`);
    if (!Array.isArray(tt.variables) || !tt.variables.every((v) => typeof v === "string")) bad(`has trainer.variables that is not a list of names`);
  }
  return m as unknown as CheckpointMeta;
}

/**
 * A Trainer snapshot as checkpoint parts: its variables plus `buffers` (non-trainable
 * model tensors such as BatchNorm statistics) as tensors, the optimizer state, and
 * metadata with the trainer state filled in. Pass the result to encodeCheckpoint.
 */
export function trainStateToCheckpoint(
  state: TrainState,
  meta: Omit<CheckpointMetaInput, "trainer">,
  buffers: Map<string, TensorData> = new Map(),
): { tensors: Map<string, TensorData>; meta: CheckpointMetaInput; optimizer: OptimizerState } {
  const tensors = new Map<string, TensorData>();
  for (const [name, v] of Object.entries(state.variables)) tensors.set(name, { shape: v.shape, data: v.values });
  for (const [name, b] of buffers) {
    if (tensors.has(name)) throw new CheckpointError(`"${name}" is both a trainable variable and a buffer`);
    tensors.set(name, b);
  }
  const last = state.history[state.history.length - 1];
  return {
    tensors,
    optimizer: state.optimizer,
    meta: {
      step: state.step,
      metrics: last ? { loss: last.loss, ...last.metrics } : undefined,
      ...meta,
      trainer: {
        step: state.step,
        optimizerStep: state.optimizer.step,
        config: state.config,
        history: state.history,
        variables: Object.keys(state.variables),
      },
    },
  };
}

/** Encodes a Trainer snapshot (plus model buffers) in one call. */
export function encodeTrainState(state: TrainState, meta: Omit<CheckpointMetaInput, "trainer">, buffers?: Map<string, TensorData>): Uint8Array {
  const parts = trainStateToCheckpoint(state, meta, buffers);
  return encodeCheckpoint(parts.tensors, parts.meta, parts.optimizer);
}

/**
 * The TrainState stored in a decoded checkpoint (for Trainer.restore). Throws when the
 * checkpoint was not written for resuming or lacks a trainable tensor.
 */
export function checkpointToTrainState(ckpt: DecodedCheckpoint, source = "checkpoint"): TrainState {
  const trainer = ckpt.meta?.trainer;
  if (!trainer) {
    throw new CheckpointError(`${source} holds no trainer state (weights only): it can initialise a model but not resume a run`);
  }
  const variables: TrainState["variables"] = {};
  const missing: string[] = [];
  for (const name of trainer.variables) {
    const t = ckpt.tensors.get(name);
    if (!t) {
      missing.push(name);
      continue;
    }
    if (!(t.data instanceof Float32Array)) throw new CheckpointError(`${source}: trainable tensor ${previewJson(name)} is not floating point`);
    setOwn(variables, name, { shape: t.shape, values: t.data });
  }
  if (missing.length) {
    const shown = missing.slice(0, 10).map((n) => previewJson(n)).join(", ");
    throw new CheckpointError(`${source}: trainer state lists ${missing.length} tensor${missing.length === 1 ? "" : "s"} the file lacks: ${shown}${missing.length > 10 ? ", ..." : ""}`);
  }
  const optimizer = ckpt.optimizer ?? { step: trainer.optimizerStep, buffers: {} };
  if (optimizer.step > 0 && Object.keys(optimizer.buffers).length === 0 && trainer.variables.length > 0) {
    throw new CheckpointError(`${source}: optimizer step is ${optimizer.step} but no optimizer buffers were stored`);
  }
  return { step: trainer.step, config: trainer.config, variables, optimizer, history: trainer.history };
}

/** Non-trainable tensors (buffers) of a checkpoint written from a TrainState. */
export function checkpointBuffers(ckpt: DecodedCheckpoint): Map<string, TensorData> {
  const trainable = new Set(ckpt.meta?.trainer?.variables ?? []);
  return new Map([...ckpt.tensors].filter(([name]) => !trainable.has(name)));
}
