// Facial action units (FACS) that the workspace knows, and the two dataset
// presets (BP4D, DISFA): which AUs each labels, how occurrence is derived from
// intensity, and the base rates the synthetic generator is calibrated to.
//
// Base rates (fraction of frames where the AU occurs). The papers in this project
// give the class balance only as bar charts (MAE-Face, Fig. 4: AU6, 7, 10, 12, 14
// dominate BP4D; AU4, 12 and 25 dominate DISFA; the occlusion paper notes a ~5x
// spread on DISFA). The figures below are the per-AU positive rates commonly
// tabulated for the 3-fold protocol (they are what class-weighted losses such as
// ME-GraphAU's derive from the training lists), rounded to two digits. They are
// approximate: they vary by a few points between folds and frame selections, and
// the DISFA ones depend on the intensity >= 2 rule.
//   BP4D  (occurrence coded, 41 subjects, ~146k frames):
//     AU1 .21  AU2 .17  AU4 .20  AU6 .46  AU7 .55  AU10 .59  AU12 .56  AU14 .46
//     AU15 .17  AU17 .34  AU23 .17  AU24 .15
//   DISFA (intensity coded 0-5, occurrence = intensity >= 2, 27 subjects, ~130k frames):
//     AU1 .06  AU2 .05  AU4 .18  AU6 .08  AU9 .05  AU12 .14  AU25 .29  AU26 .09

/** Every AU the generator animates (the union of BP4D's 12 and DISFA's 8). */
export const ALL_AUS = [1, 2, 4, 6, 7, 9, 10, 12, 14, 15, 17, 23, 24, 25, 26] as const;
export type AUNumber = (typeof ALL_AUS)[number];

export const AU_NAMES: Record<AUNumber, string> = {
  1: "inner brow raiser",
  2: "outer brow raiser",
  4: "brow lowerer",
  6: "cheek raiser",
  7: "lid tightener",
  9: "nose wrinkler",
  10: "upper lip raiser",
  12: "lip corner puller",
  14: "dimpler",
  15: "lip corner depressor",
  17: "chin raiser",
  23: "lip tightener",
  24: "lip pressor",
  25: "lips part",
  26: "jaw drop",
};

/** Where on the face an AU's direct evidence lies (see regions.ts for the boxes). */
export type FaceRegion = "brows" | "eyes" | "nose" | "upper-lip" | "mouth-corners" | "chin" | "lips" | "jaw";

export const AU_REGION: Record<AUNumber, FaceRegion> = {
  1: "brows",
  2: "brows",
  4: "brows",
  6: "eyes",
  7: "eyes",
  9: "nose",
  10: "upper-lip",
  12: "mouth-corners",
  14: "mouth-corners",
  15: "mouth-corners",
  17: "chin",
  23: "lips",
  24: "lips",
  25: "lips",
  26: "jaw",
};

/**
 * Action unit numbers defined by FACS (main codes; 3, 8, 19, 21 and 29-40 are
 * unused or head/eye codes outside this list). Importers accept labels for any
 * of these; only ALL_AUS have regions and a place in the generator.
 */
export const FACS_AUS = [1, 2, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 22, 23, 24, 25, 26, 27, 28, 41, 42, 43, 44, 45, 46] as const;

export function isFacsAU(au: number): boolean {
  return (FACS_AUS as readonly number[]).includes(au);
}

export function isKnownAU(au: number): au is AUNumber {
  return (ALL_AUS as readonly number[]).includes(au);
}

export type PresetName = "bp4d" | "disfa";

export interface DatasetPreset {
  name: PresetName;
  /** Name used in ME-GraphAU list files (`BP4D_test_img_path_fold1.txt`). */
  listName: string;
  /** Labelled AUs, in the dataset's canonical order. */
  aus: AUNumber[];
  /** An AU occurs when its intensity (0-5) is at least this. */
  occurrenceThreshold: number;
  /** Target fraction of frames where each labelled AU occurs. */
  baseRates: Partial<Record<AUNumber, number>>;
  /** Default number of subjects (as in the real dataset). */
  subjects: number;
  /** Default sequences per subject (BP4D: 8 tasks; DISFA: one long video). */
  sequencesPerSubject: number;
}

export const PRESETS: Record<PresetName, DatasetPreset> = {
  bp4d: {
    name: "bp4d",
    listName: "BP4D",
    aus: [1, 2, 4, 6, 7, 10, 12, 14, 15, 17, 23, 24],
    occurrenceThreshold: 1,
    baseRates: { 1: 0.21, 2: 0.17, 4: 0.2, 6: 0.46, 7: 0.55, 10: 0.59, 12: 0.56, 14: 0.46, 15: 0.17, 17: 0.34, 23: 0.17, 24: 0.15 },
    subjects: 41,
    sequencesPerSubject: 8,
  },
  disfa: {
    name: "disfa",
    listName: "DISFA",
    aus: [1, 2, 4, 6, 9, 12, 25, 26],
    occurrenceThreshold: 2,
    baseRates: { 1: 0.06, 2: 0.05, 4: 0.18, 6: 0.08, 9: 0.05, 12: 0.14, 25: 0.29, 26: 0.09 },
    subjects: 27,
    sequencesPerSubject: 1,
  },
};

/**
 * Rates (intensity >= 1) for AUs a preset does not label: they still move in
 * every face, as in real video, but nothing is calibrated to them. Rough
 * figures for spontaneous-expression video.
 */
export const UNLABELLED_RATES: Record<AUNumber, number> = {
  1: 0.15, 2: 0.12, 4: 0.2, 6: 0.3, 7: 0.35, 9: 0.06, 10: 0.35, 12: 0.35, 14: 0.3, 15: 0.12, 17: 0.25, 23: 0.12, 24: 0.1, 25: 0.4, 26: 0.15,
};

export function getPreset(name: string): DatasetPreset {
  const p = (PRESETS as Record<string, DatasetPreset>)[name.toLowerCase()];
  if (!p) throw new Error(`unknown dataset preset "${name}": choose one of ${Object.keys(PRESETS).join(", ")}`);
  return p;
}

/** "AU12" -> 12; accepts "AU12", "au12", "12". Returns undefined for anything else. */
export function parseAUName(name: string): number | undefined {
  const m = /^\s*(?:au)?\s*0*(\d+)\s*$/i.exec(name);
  return m ? Number(m[1]) : undefined;
}
