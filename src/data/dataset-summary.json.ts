// Framework data loader: the summary of the default dataset (both presets at
// their default size and seed) that the Data page shows in the static build:
// per-AU base rates against the calibration targets, per-fold subject, frame
// and positive counts, AU co-occurrence and intensity histograms.
//
// Labels come from the generator's expression process without rendering a
// pixel (simulateIntensities), so this runs offline in about a second; they are
// the labels the rendered dataset of the same config has.
import { ALL_AUS, PRESETS, type PresetName } from "../lib/data/aus.js";
import type { AUDataset } from "../lib/data/dataset.js";
import {
  GENERATOR_VERSION,
  datasetIdentities,
  datasetSubjectFolds,
  faceConfigKey,
  faceDatasetConfig,
  simulateIntensities,
} from "../lib/data/generate.js";
import { summarizeDataset } from "../lib/data/summary.js";

function presetSummary(name: PresetName) {
  const cfg = faceDatasetConfig({ preset: name });
  const preset = PRESETS[name];
  const subjects = datasetIdentities(cfg).map((id) => id.subject);
  const subjectFold = datasetSubjectFolds(cfg, subjects);
  const sim = simulateIntensities(cfg);
  const n = sim.frames;
  const A = preset.aus.length;
  const AA = ALL_AUS.length;
  const col = preset.aus.map((au) => (ALL_AUS as readonly number[]).indexOf(au));
  const perSubject = cfg.sequencesPerSubject * cfg.framesPerSequence;
  const labels = new Uint8Array(n * A);
  const intensities = new Uint8Array(n * A);
  const subject = new Int32Array(n);
  const sequence = new Int32Array(n);
  const frame = new Int32Array(n);
  const fold = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < A; a++) {
      const v = sim.intensities[i * AA + col[a]];
      intensities[i * A + a] = v;
      labels[i * A + a] = v >= preset.occurrenceThreshold ? 1 : 0;
    }
    subject[i] = Math.floor(i / perSubject);
    sequence[i] = Math.floor(i / cfg.framesPerSequence);
    frame[i] = i % cfg.framesPerSequence;
    fold[i] = subjectFold[subject[i]];
  }
  // A label-only dataset (no pixels): everything the summary reads.
  const ds: AUDataset = {
    name: `synthetic-${name}`,
    size: cfg.size,
    images: new Uint8Array(0),
    aus: preset.aus.slice(),
    labels,
    intensities,
    occurrenceThreshold: preset.occurrenceThreshold,
    subjects,
    subject,
    sequence,
    frame,
    fold,
    folds: cfg.folds,
    paths: null,
    source: { kind: "synthetic", config: { ...cfg, generatorVersion: GENERATOR_VERSION } },
  };
  const summary = summarizeDataset(ds);
  const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 1e4) / 1e4 : null);
  return {
    config: cfg,
    key: faceConfigKey(cfg),
    occurrenceThreshold: preset.occurrenceThreshold,
    targetBaseRates: preset.aus.map((au) => preset.baseRates[au] ?? null),
    ...summary,
    baseRates: summary.baseRates.map(round),
    conditional: summary.conditional.map((row) => row.map(round)),
    folds: summary.folds.map((f) => ({
      ...f,
      baseRates: f.baseRates.map(round),
      positives: f.baseRates.map((r) => Math.round(r * f.frames)),
    })),
  };
}

const out = {
  generatorVersion: GENERATOR_VERSION,
  presets: { bp4d: presetSummary("bp4d"), disfa: presetSummary("disfa") },
};
process.stdout.write(JSON.stringify(out));
