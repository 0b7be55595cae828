// AU intensity trajectories: how a subject's AUs move over a video sequence.
//
// Real AUs do not fire independently: they come in expressions (AU6 with AU12 in
// a smile, AU1 with AU2 in surprise, AU4 with AU7 in anger or concentration,
// AU17 with AU23/24 when pressing the lips, AU25 with AU26 when talking), and
// some rarely meet (AU12 pulls the lip corners up, AU15 pulls them down). The
// model here has a few latent expression factors, each a rectified AR(1)
// (Ornstein-Uhlenbeck) process, so that expressions have onsets, apexes and
// offsets across neighbouring frames like video. Each AU's raw intensity is a
// weighted sum of the factors (negative weights inhibit), plus its own slow
// AR(1) noise, plus a per-subject bias, plus a per-AU offset. The offsets are
// calibrated once per preset on a fixed reference simulation so that the
// fraction of frames where the AU reaches the preset's occurrence threshold
// matches the preset's base rate (aus.ts).
import { ALL_AUS, PRESETS, UNLABELLED_RATES, type AUNumber, type DatasetPreset, type PresetName } from "./aus.js";
import { Rng, mixSeed } from "./prng.js";

/** Latent expression factors, roughly the tasks BP4D used to elicit them. */
export const FACTORS = ["joy", "surprise", "anger", "disgust", "sadness", "pain", "talk", "press"] as const;
export type FactorName = (typeof FACTORS)[number];

/** How strongly each factor drives each AU (intensity units per unit of factor). */
const LOADINGS: Record<FactorName, Partial<Record<AUNumber, number>>> = {
  joy: { 6: 0.9, 12: 1.0, 10: 0.5, 25: 0.35, 7: 0.3, 14: 0.4, 15: -1.2, 4: -0.5, 24: -0.3 },
  surprise: { 1: 1.0, 2: 0.95, 25: 0.55, 26: 0.6, 4: -0.4 },
  anger: { 4: 1.0, 7: 0.85, 23: 0.6, 24: 0.55, 17: 0.35, 12: -0.6 },
  disgust: { 9: 1.0, 10: 0.85, 4: 0.45, 7: 0.3, 17: 0.3, 15: 0.25, 12: -0.3 },
  sadness: { 1: 0.6, 4: 0.5, 15: 1.0, 17: 0.75, 12: -1.0, 6: -0.2 },
  pain: { 4: 0.6, 6: 0.75, 7: 0.95, 10: 0.75, 9: 0.3, 25: 0.25 },
  talk: { 25: 1.0, 26: 0.75, 10: 0.2, 14: 0.2, 17: 0.15 },
  press: { 14: 0.75, 17: 0.85, 23: 0.75, 24: 0.9, 15: 0.2, 25: -0.8, 26: -0.6 },
};

/**
 * Resting mean of each factor's latent (negative = mostly off). Smiles and
 * talking are frequent in spontaneous video; disgust and surprise are rare.
 */
const FACTOR_MEAN: Record<FactorName, number> = {
  joy: -0.05, surprise: -1.0, anger: -0.8, disgust: -1.1, sadness: -1.0, pain: -0.55, talk: -0.3, press: -0.55,
};
/** Extra mean of the factor that a sequence's task elicits. */
const TASK_BOOST = 1.1;
/** Frame-to-frame correlation of the factor latents and of the per-AU noise. */
const FACTOR_RHO = 0.9;
const NOISE_RHO = 0.75;
/** Scale from factor activity to intensity units, and of the per-AU noise. */
const FACTOR_GAIN = 2.4;
const NOISE_STD = 0.3;

/** A subject's expressive style: per-factor gains and per-AU biases (in intensity units). */
export interface ExpressionStyle {
  factorGain: number[]; // [K]
  auBias: number[]; // [ALL_AUS.length]
}

export function sampleExpressionStyle(rng: Rng): ExpressionStyle {
  return {
    factorGain: FACTORS.map(() => Math.exp(rng.normal(0, 0.35))),
    auBias: ALL_AUS.map(() => rng.normal(0, 0.3)),
  };
}

/** Which factor each block of a sequence elicits (BP4D: one task per sequence; DISFA: clips in turn). */
export function sequenceTasks(preset: DatasetPreset, sequence: number, frames: number, rng: Rng): number[] {
  const tasks = new Array<number>(frames);
  if (preset.sequencesPerSubject > 1) {
    tasks.fill(sequence % FACTORS.length);
    return tasks;
  }
  const order = rng.shuffle(FACTORS.map((_, i) => i));
  const block = Math.max(1, Math.ceil(frames / FACTORS.length));
  for (let t = 0; t < frames; t++) tasks[t] = order[Math.floor(t / block) % order.length];
  return tasks;
}

/**
 * Raw (uncalibrated) AU intensities of one sequence. Returns [frames, ALL_AUS.length]
 * row-major. Add the preset's offsets (calibrateOffsets) before using them.
 */
export function simulateRawSequence(style: ExpressionStyle, tasks: readonly number[], rng: Rng): Float64Array {
  const K = FACTORS.length;
  const A = ALL_AUS.length;
  const frames = tasks.length;
  const out = new Float64Array(frames * A);
  const z = new Float64Array(K);
  const noise = new Float64Array(A);
  const fRho = FACTOR_RHO;
  const fInnov = Math.sqrt(1 - fRho * fRho);
  const nInnov = Math.sqrt(1 - NOISE_RHO * NOISE_RHO);
  // Start from the stationary distribution of the first frame's task.
  const means = FACTORS.map((f) => FACTOR_MEAN[f]);
  for (let k = 0; k < K; k++) z[k] = means[k] + (tasks[0] === k ? TASK_BOOST : 0) + rng.normal();
  for (let a = 0; a < A; a++) noise[a] = rng.normal();
  const load = loadingMatrix();
  for (let t = 0; t < frames; t++) {
    if (t > 0) {
      for (let k = 0; k < K; k++) {
        const mean = means[k] + (tasks[t] === k ? TASK_BOOST : 0);
        z[k] = mean + fRho * (z[k] - mean) + fInnov * rng.normal();
      }
      for (let a = 0; a < A; a++) noise[a] = NOISE_RHO * noise[a] + nInnov * rng.normal();
    }
    for (let a = 0; a < A; a++) {
      let s = 0;
      for (let k = 0; k < K; k++) {
        const f = z[k] > 0 ? z[k] : 0;
        s += load[a * K + k] * style.factorGain[k] * f;
      }
      out[t * A + a] = FACTOR_GAIN * s + NOISE_STD * noise[a] + style.auBias[a];
    }
  }
  return out;
}

let loadCache: Float64Array | undefined;
/** LOADINGS as a dense [ALL_AUS.length, K] matrix. */
function loadingMatrix(): Float64Array {
  if (loadCache) return loadCache;
  const K = FACTORS.length;
  const m = new Float64Array(ALL_AUS.length * K);
  ALL_AUS.forEach((au, a) => {
    FACTORS.forEach((f, k) => {
      m[a * K + k] = LOADINGS[f][au] ?? 0;
    });
  });
  loadCache = m;
  return m;
}

/** Size of the fixed reference simulation used for calibration. */
const CALIBRATION = { subjects: 96, sequences: 8, frames: 60, seed: 0x5eed };

/**
 * simulateCalibrationOffsets of each preset, computed once and written here: the
 * reference simulation (46,080 frames) takes a third of a second, which every page load
 * and every command would otherwise spend before its first face. Printed with 17
 * significant digits, so each is the computed double exactly;
 * tests/lib/data/expression.test.ts recomputes them, so a change of the expression
 * model that moves them fails there until they are written again.
 */
export const CALIBRATED_OFFSETS: Readonly<Record<PresetName, readonly number[]>> = {
  bp4d: [
    -0.42391103740621705, -0.2513010807371171, -0.9712836408489574, -0.5597394274405783, -0.2699386414715851,
    -1.4461758594553242, -0.30542759820205667, 0.4476761430618055, -0.4195307762124467, -0.2205927580069471,
    -0.778573187336397, -1.1363311199235875, -1.1968977274866934, -0.8091868435750569, -1.4907361881126227,
  ],
  disfa: [
    -0.9750553968511859, -0.7234622595376217, -0.09207002383092311, -2.8949642470132293, -1.011748172761844,
    -0.8203126476235192, -1.1984590718899844, -1.1074078275802584, -0.9550777899928913, -0.474002015865401,
    -1.1790434711851236, -1.5670561561423786, -1.7688645183669869, -0.42467049673080215, -1.2764659114345944,
  ],
};

/**
 * Per-AU offsets (indexed like ALL_AUS) for a preset: raw + offset reaches
 * `occurrenceThreshold - 0.5` (rounds to the threshold) in exactly the base-rate
 * fraction of the reference simulation's frames. Labelled AUs use the preset's
 * threshold and rate; the others reach intensity 1 at UNLABELLED_RATES.
 * Independent of the dataset seed, so a subject renders the same whatever the
 * dataset size. The generator reads them from CALIBRATED_OFFSETS (calibrateOffsets).
 */
export function simulateCalibrationOffsets(presetName: PresetName): Float64Array {
  const preset = PRESETS[presetName];
  const A = ALL_AUS.length;
  const { subjects, sequences, frames, seed } = CALIBRATION;
  const seqCount = preset.sequencesPerSubject > 1 ? sequences : 1;
  const seqFrames = preset.sequencesPerSubject > 1 ? frames : frames * sequences;
  const columns: number[][] = ALL_AUS.map(() => []);
  for (let s = 0; s < subjects; s++) {
    const style = sampleExpressionStyle(new Rng(mixSeed(seed, s, 1)));
    for (let q = 0; q < seqCount; q++) {
      const rng = new Rng(mixSeed(seed, s, 2, q));
      const tasks = sequenceTasks(preset, q, seqFrames, rng);
      const raw = simulateRawSequence(style, tasks, rng);
      for (let t = 0; t < seqFrames; t++) for (let a = 0; a < A; a++) columns[a].push(raw[t * A + a]);
    }
  }
  const offsets = new Float64Array(A);
  ALL_AUS.forEach((au, a) => {
    const labelled = preset.aus.includes(au);
    const rate = labelled ? preset.baseRates[au]! : UNLABELLED_RATES[au];
    const threshold = labelled ? preset.occurrenceThreshold : 1;
    const sorted = Float64Array.from(columns[a]).sort();
    // The value exceeded by a `rate` fraction of frames.
    const idx = Math.min(sorted.length - 1, Math.max(0, Math.floor((1 - rate) * sorted.length)));
    offsets[a] = threshold - 0.5 - sorted[idx];
  });
  return offsets;
}

/** The calibrated offsets of a preset (see simulateCalibrationOffsets), as the generator uses them. */
export function calibrateOffsets(presetName: PresetName): Float64Array {
  const offsets = CALIBRATED_OFFSETS[presetName];
  if (!offsets) throw new Error(`no calibrated offsets for preset "${presetName}": choose ${Object.keys(CALIBRATED_OFFSETS).join(" or ")}`);
  return Float64Array.from(offsets);
}

/**
 * How much of a frame's within-level variation shows in its geometry. Coders
 * assign discrete levels (0, A..E) to what they see, so the rendered intensity
 * sits near the coded level: level + LEVEL_SPREAD * (raw - level). With 0.35 a
 * coded 0 shows at most 0.18 of a level and a coded 1 at least 0.82, so the
 * occurrence threshold falls in a visible gap (label noise stays, through
 * identity resting geometry and neighbouring AUs, but not from ambiguity alone).
 */
export const LEVEL_SPREAD = 0.35;

/** Intensity in [0, 5] that the renderer draws, from a calibrated raw value. */
export function continuousIntensity(raw: number): number {
  const g = raw < 0 ? 0 : raw > 5 ? 5 : raw;
  const level = Math.round(g);
  return level + LEVEL_SPREAD * (g - level);
}

/** FACS-style integer intensity 0 (absent) .. 5 (E, maximum) from a calibrated raw value. */
export function integerIntensity(raw: number): number {
  const r = Math.round(raw);
  return r < 0 ? 0 : r > 5 ? 5 : r;
}
