// The default dataset: procedurally rendered FACS faces, deterministic from a
// seed. Each subject is a synthetic identity recorded in a few sequences (BP4D:
// one per task; DISFA: one long video); AU intensities follow the expression
// process of expression.ts; frames differ by small pose, scale and shift
// jitter, lighting, noise and blur, all drifting smoothly like video.
import { ALL_AUS, PRESETS, type PresetName } from "./aus.js";
import type { AUDataset } from "./dataset.js";
import {
  calibrateOffsets,
  continuousIntensity,
  integerIntensity,
  sequenceTasks,
  simulateRawSequence,
} from "./expression.js";
import { drawFace, type FrameParams } from "./face.js";
import { assignSubjectFolds } from "./folds.js";
import { canonicalJson, fnv1a64 } from "./hash.js";
import { sampleIdentity, subjectName, type Identity } from "./identity.js";
import { Rng, mixSeed } from "./prng.js";
import { Raster } from "./raster.js";

/** Bumped whenever the generator's output for a given config changes (invalidates caches). */
export const GENERATOR_VERSION = 1;

export const IMAGE_SIZES = [64, 96, 112, 224] as const;

export interface FaceDatasetConfig {
  /** Which AUs are labelled, their base rates and occurrence rule. */
  preset: PresetName;
  /** Seed of every random choice (identities, expressions, frames, folds). */
  seed: number;
  /** Number of subjects (identities). Default: as in the real dataset (BP4D 41, DISFA 27). */
  subjects: number;
  /** Sequences per subject. Default: BP4D 8 (one per task), DISFA 1. */
  sequencesPerSubject: number;
  /** Frames per sequence. Default 30 (BP4D) / 240 (DISFA): about 10k and 6.5k frames. */
  framesPerSequence: number;
  /** Image side in pixels: 64 (default), 96, 112 or 224 (any size >= 16 works). */
  size: number;
  /** Subject-exclusive folds. Default 3. */
  folds: number;
  /** Scale of the per-frame jitter (pose, scale, shift), 0 = perfectly aligned. Default 1. */
  jitter: number;
  /** Scale of the pixel noise and blur, 0 = clean renders. Default 1. */
  degrade: number;
}

/** Fills in defaults for a preset. */
export function faceDatasetConfig(options: Partial<FaceDatasetConfig> & { preset?: PresetName } = {}): FaceDatasetConfig {
  const preset = PRESETS[options.preset ?? "bp4d"];
  if (!preset) throw new Error(`unknown preset "${options.preset}": choose bp4d or disfa`);
  const cfg: FaceDatasetConfig = {
    preset: preset.name,
    seed: options.seed ?? 1,
    subjects: options.subjects ?? preset.subjects,
    sequencesPerSubject: options.sequencesPerSubject ?? preset.sequencesPerSubject,
    framesPerSequence: options.framesPerSequence ?? (preset.sequencesPerSubject > 1 ? 30 : 240),
    size: options.size ?? 64,
    folds: options.folds ?? 3,
    jitter: options.jitter ?? 1,
    degrade: options.degrade ?? 1,
  };
  const positiveInt = (name: keyof FaceDatasetConfig, min: number) => {
    const v = cfg[name] as number;
    if (!Number.isInteger(v) || v < min) throw new Error(`${name} must be an integer >= ${min}, got ${v}`);
  };
  positiveInt("subjects", 1);
  positiveInt("sequencesPerSubject", 1);
  positiveInt("framesPerSequence", 1);
  positiveInt("size", 16);
  positiveInt("folds", 1);
  if (cfg.subjects < cfg.folds) throw new Error(`${cfg.subjects} subjects cannot fill ${cfg.folds} subject-exclusive folds`);
  if (!Number.isFinite(cfg.seed)) throw new Error(`seed must be a finite number, got ${cfg.seed}`);
  return cfg;
}

/** Stable key of a config (for caches): changes with any setting or the generator version. */
export function faceConfigKey(cfg: FaceDatasetConfig): string {
  return `faces-v${GENERATOR_VERSION}-${cfg.preset}-${cfg.size}px-${fnv1a64(canonicalJson(cfg))}`;
}

/** The identities of a config's subjects, in subject order. */
export function datasetIdentities(cfg: FaceDatasetConfig): Identity[] {
  const preset = PRESETS[cfg.preset];
  const femaleShare = preset.name === "bp4d" ? 23 / 41 : 12 / 27;
  const counts = { F: 0, M: 0 };
  const out: Identity[] = [];
  for (let s = 0; s < cfg.subjects; s++) {
    const rng = new Rng(mixSeed(cfg.seed, s, 0x1d));
    const sex = rng.chance(femaleShare) ? "F" : "M";
    const name = subjectName(preset.name, s, sex, counts[sex]++);
    out.push(sampleIdentity(rng, name, sex));
  }
  return out;
}

/** Test fold of each subject of a config (subject order), as the dataset assigns them. */
export function datasetSubjectFolds(cfg: FaceDatasetConfig, subjects: readonly string[]): number[] {
  return assignSubjectFolds(subjects, cfg.folds, mixSeed(cfg.seed, 0xf01d));
}

/** Smoothly drifting per-frame settings of one sequence. */
function sequenceFrames(rng: Rng, frames: number, jitter: number, degrade: number): FrameParams[] {
  const baseLight = { x: rng.uniform(-0.55, 0.55), y: rng.uniform(-0.6, 0.05) };
  const ambient = rng.uniform(0.62, 0.75);
  const diffuse = rng.uniform(0.32, 0.48);
  const noise = degrade * rng.uniform(0.003, 0.018);
  const blur = degrade * (rng.chance(0.5) ? rng.uniform(0, 0.9) : 0);
  const baseScale = 1 + jitter * rng.normal(0, 0.02);
  // AR(1) states for pose and gaze (correlation 0.85 between frames).
  const rho = 0.85;
  const innov = Math.sqrt(1 - rho * rho);
  const st = { angle: rng.normal(), scale: rng.normal(), tx: rng.normal(), ty: rng.normal(), yaw: rng.normal(), gx: rng.normal(), gy: rng.normal(), lx: rng.normal() };
  const out: FrameParams[] = [];
  for (let t = 0; t < frames; t++) {
    if (t > 0) for (const k of Object.keys(st) as (keyof typeof st)[]) st[k] = rho * st[k] + innov * rng.normal();
    const blinking = rng.chance(0.04);
    out.push({
      pose: {
        angle: jitter * 0.04 * st.angle,
        scale: baseScale * (1 + jitter * 0.02 * st.scale),
        tx: jitter * 0.025 * st.tx,
        ty: jitter * 0.025 * st.ty,
      },
      yaw: jitter * 0.06 * st.yaw,
      light: { x: baseLight.x + 0.06 * st.lx, y: baseLight.y, ambient, diffuse },
      gaze: { x: 0.5 * st.gx, y: 0.5 * st.gy },
      blink: blinking ? rng.uniform(0.5, 1) : 0,
      noise,
      blur,
    });
  }
  return out;
}

/**
 * One sequence's calibrated raw AU intensities ([frames, ALL_AUS.length]) and
 * frame settings. The returned rng continues the sequence's stream (pixel noise).
 */
function simulateSequence(
  cfg: FaceDatasetConfig, identity: Identity, subject: number, seq: number, offsets: Float64Array,
): { intens: Float64Array; frames: FrameParams[]; rng: Rng } {
  const preset = PRESETS[cfg.preset];
  const AA = ALL_AUS.length;
  const F = cfg.framesPerSequence;
  const rng = new Rng(mixSeed(cfg.seed, subject, 0x5e9, seq));
  const tasks = sequenceTasks(preset, seq, F, rng);
  const intens = simulateRawSequence(identity.style, tasks, rng);
  for (let j = 0; j < intens.length; j++) intens[j] += offsets[j % AA];
  const frames = sequenceFrames(rng, F, cfg.jitter, cfg.degrade);
  return { intens, frames, rng };
}

/**
 * Integer intensities 0..5 of every frame and every AU the generator animates
 * ([N, ALL_AUS.length], frames in dataset order), without rendering: the labels
 * a dataset of this config would get, at a fraction of the cost.
 */
export function simulateIntensities(config: Partial<FaceDatasetConfig> = {}): { aus: number[]; intensities: Uint8Array; frames: number } {
  const cfg = faceDatasetConfig(config);
  const identities = datasetIdentities(cfg);
  const offsets = calibrateOffsets(cfg.preset);
  const AA = ALL_AUS.length;
  const F = cfg.framesPerSequence;
  const n = cfg.subjects * cfg.sequencesPerSubject * F;
  const out = new Uint8Array(n * AA);
  let i = 0;
  for (let s = 0; s < cfg.subjects; s++) {
    for (let q = 0; q < cfg.sequencesPerSubject; q++) {
      const { intens } = simulateSequence(cfg, identities[s], s, q, offsets);
      for (let j = 0; j < F * AA; j++) out[i * AA + j] = integerIntensity(intens[j]);
      i += F;
    }
  }
  return { aus: ALL_AUS.slice(), intensities: out, frames: n };
}

/**
 * Builds a synthetic dataset in steps, so a page can render it across animation
 * frames (or a worker can report progress) instead of blocking.
 */
export class FaceDatasetBuilder {
  readonly config: FaceDatasetConfig;
  readonly total: number;
  private done = 0;
  private readonly ds: AUDataset;
  private readonly identities: Identity[];
  private readonly raster: Raster;
  private readonly offsets: Float64Array;
  private readonly labelIndex: number[];
  private current: { subject: number; seq: number; intens: Float64Array; frames: FrameParams[]; rng: Rng } | undefined;

  constructor(config: Partial<FaceDatasetConfig> = {}) {
    const cfg = faceDatasetConfig(config);
    this.config = cfg;
    const preset = PRESETS[cfg.preset];
    const perSubject = cfg.sequencesPerSubject * cfg.framesPerSequence;
    this.total = cfg.subjects * perSubject;
    const A = preset.aus.length;
    this.identities = datasetIdentities(cfg);
    const subjects = this.identities.map((id) => id.subject);
    const subjectFold = datasetSubjectFolds(cfg, subjects);
    const n = this.total;
    this.ds = {
      name: `synthetic-${cfg.preset}`,
      size: cfg.size,
      images: new Uint8Array(n * cfg.size * cfg.size * 3),
      aus: preset.aus.slice(),
      labels: new Uint8Array(n * A),
      intensities: new Uint8Array(n * A),
      occurrenceThreshold: preset.occurrenceThreshold,
      subjects,
      subject: new Int32Array(n),
      sequence: new Int32Array(n),
      frame: new Int32Array(n),
      fold: new Int8Array(n),
      folds: cfg.folds,
      paths: null,
      source: { kind: "synthetic", config: { ...cfg, generatorVersion: GENERATOR_VERSION } },
    };
    for (let i = 0; i < n; i++) this.ds.fold[i] = subjectFold[Math.floor(i / perSubject)];
    this.raster = new Raster(cfg.size);
    this.offsets = calibrateOffsets(cfg.preset);
    this.labelIndex = preset.aus.map((au) => (ALL_AUS as readonly number[]).indexOf(au));
  }

  get finished(): boolean {
    return this.done >= this.total;
  }

  get progress(): number {
    return this.done;
  }

  /** Renders up to `count` more frames; returns how many are done in total. */
  step(count = 256): number {
    const cfg = this.config;
    const A = this.labelIndex.length;
    const F = cfg.framesPerSequence;
    const ib = cfg.size * cfg.size * 3;
    const end = Math.min(this.total, this.done + count);
    for (let i = this.done; i < end; i++) {
      const subject = Math.floor(i / (cfg.sequencesPerSubject * F));
      const seq = Math.floor(i / F) % cfg.sequencesPerSubject;
      const t = i % F;
      if (t === 0 || !this.current) {
        this.current = { subject, seq, ...simulateSequence(cfg, this.identities[subject], subject, seq, this.offsets) };
      }
      renderFrame(cfg, this.raster, this.identities[subject], this.current, t, this.labelIndex, {
        images: this.ds.images.subarray(i * ib, (i + 1) * ib),
        labels: this.ds.labels.subarray(i * A, (i + 1) * A),
        intensities: this.ds.intensities!.subarray(i * A, (i + 1) * A),
      });
      this.ds.subject[i] = subject;
      this.ds.sequence[i] = subject * cfg.sequencesPerSubject + seq;
      this.ds.frame[i] = t;
    }
    this.done = end;
    return this.done;
  }

  /** The finished dataset (throws if frames remain). */
  result(): AUDataset {
    if (!this.finished) throw new Error(`the dataset is not finished: ${this.done}/${this.total} frames rendered; call step() until finished`);
    return this.ds;
  }
}

/**
 * Draws frame `t` of a simulated sequence and writes its pixels ([S, S, 3] uint8), labels
 * and integer intensities (one per labelled AU) into `out`. Frames of a sequence must be
 * drawn in order: the pixel noise continues the sequence's random stream.
 */
function renderFrame(
  cfg: FaceDatasetConfig,
  raster: Raster,
  identity: Identity,
  sequence: { intens: Float64Array; frames: FrameParams[]; rng: Rng },
  t: number,
  labelIndex: readonly number[],
  out: { images: Uint8Array; labels: Uint8Array; intensities: Uint8Array },
): void {
  const preset = PRESETS[cfg.preset];
  const AA = ALL_AUS.length;
  const cont = new Float64Array(AA);
  for (let a = 0; a < AA; a++) cont[a] = continuousIntensity(sequence.intens[t * AA + a]);
  drawFace(raster, identity, cont, sequence.frames[t]);
  raster.toUint8(out.images, 0, sequence.frames[t].noise, sequence.rng);
  for (let a = 0; a < labelIndex.length; a++) {
    const level = integerIntensity(sequence.intens[t * AA + labelIndex[a]]);
    out.intensities[a] = level;
    out.labels[a] = level >= preset.occurrenceThreshold ? 1 : 0;
  }
}

/** The first frames of one sequence, rendered without the rest of the dataset. */
export interface RenderedSequence {
  /** [frames, S, S, 3] uint8 RGB. */
  images: Uint8Array;
  /** [frames, A] 0/1 per labelled AU of the preset. */
  labels: Uint8Array;
  /** [frames, A] integer intensities 0..5. */
  intensities: Uint8Array;
  frames: number;
}

/**
 * Frames 0..frames-1 of sequence `seq` of `subject`, rendered alone: the same bytes and
 * labels as those frames of the whole dataset of `config` (every subject's sequences come
 * from random streams of their own), at the cost of those frames only. The pages draw
 * their held-out faces this way instead of rendering every subject.
 */
export function renderSequence(config: Partial<FaceDatasetConfig>, subject: number, seq = 0, frames?: number): RenderedSequence {
  const cfg = faceDatasetConfig(config);
  if (!Number.isInteger(subject) || subject < 0 || subject >= cfg.subjects) throw new Error(`subject ${subject} is not one of the config's ${cfg.subjects} subjects`);
  if (!Number.isInteger(seq) || seq < 0 || seq >= cfg.sequencesPerSubject) throw new Error(`sequence ${seq} is not one of the ${cfg.sequencesPerSubject} sequences per subject`);
  const F = Math.min(cfg.framesPerSequence, frames ?? cfg.framesPerSequence);
  const preset = PRESETS[cfg.preset];
  const A = preset.aus.length;
  const ib = cfg.size * cfg.size * 3;
  const identity = datasetIdentities(cfg)[subject];
  const sequence = simulateSequence(cfg, identity, subject, seq, calibrateOffsets(cfg.preset));
  const labelIndex = preset.aus.map((au) => (ALL_AUS as readonly number[]).indexOf(au));
  const raster = new Raster(cfg.size);
  const out = { images: new Uint8Array(F * ib), labels: new Uint8Array(F * A), intensities: new Uint8Array(F * A) };
  for (let t = 0; t < F; t++) {
    renderFrame(cfg, raster, identity, sequence, t, labelIndex, {
      images: out.images.subarray(t * ib, (t + 1) * ib),
      labels: out.labels.subarray(t * A, (t + 1) * A),
      intensities: out.intensities.subarray(t * A, (t + 1) * A),
    });
  }
  return { ...out, frames: F };
}

export interface GenerateOptions {
  /** Called after each chunk with frames done and total. */
  onProgress?: (done: number, total: number) => void;
  /** Frames per chunk between progress calls. Default 256. */
  chunk?: number;
}

/** Generates a whole synthetic dataset synchronously. */
export function generateFaceDataset(config: Partial<FaceDatasetConfig> = {}, options: GenerateOptions = {}): AUDataset {
  const b = new FaceDatasetBuilder(config);
  while (!b.finished) {
    b.step(options.chunk ?? 256);
    options.onProgress?.(b.progress, b.total);
  }
  return b.result();
}
