// The Evaluation page's choices as one settings schema (lib/settings-schema.ts), so that every
// choice is checked, read from the URL and written back to it the same way, and a link
// reproduces the view: which teacher and student, the occlusion type and fill of the sweep,
// its size, and what the feature maps show. No DOM.
import { PRESETS } from "../data/aus.js";
import { FILL_KINDS, type FillKind } from "../masks/fill.js";
import { settingsSchema } from "../settings-schema.js";
import { PAGE_OCCLUSIONS, type PageOcclusion } from "../train/student-browser.js";

/** Occlusion families a sweep runs over (the x axis of the curves). */
export const SWEEP_TYPES = ["random", "block", "region"] as const;
export type SweepType = (typeof SWEEP_TYPES)[number];

/** Where a student comes from: a shipped one (trained for that occlusion) or the last one distilled in this browser. */
export const STUDENT_CHOICES = [...PAGE_OCCLUSIONS, "browser"] as const;
export type StudentChoice = PageOcclusion | "browser";

/** What a feature map embeds: one AU's node feature, all AU node features of a face, or the pooled tokens the head reads. */
export const MAP_FEATURES = ["au-node", "all-nodes", "tokens"] as const;
export type MapFeatures = (typeof MAP_FEATURES)[number];

/** What colours the points of a map. */
export const MAP_COLOURS = ["au", "identity", "ratio"] as const;
export type MapColour = (typeof MAP_COLOURS)[number];

export const MAP_METHODS = ["auto", "tsne", "umap"] as const;
export type MapMethod = (typeof MAP_METHODS)[number];

/** The BP4D AUs as the choices of the AU setting ("12"). */
export const AU_CHOICES = PRESETS.bp4d.aus.map(String);

/** Whose ledger the protocol's figures (over folds and seeds) show. */
export const PROTOCOL_DATASETS = ["bp4d", "disfa"] as const;
export type ProtocolDataset = (typeof PROTOCOL_DATASETS)[number];

export type EvaluationSettings = {
  teacher: PageOcclusion;
  student: StudentChoice;
  type: SweepType;
  fill: FillKind;
  /** Held-out faces scored at each occlusion of a sweep run here. */
  sweepFaces: number;
  features: MapFeatures;
  au: string;
  colour: MapColour;
  method: MapMethod;
  /** Frames per held-out subject in the maps (fold 1 has 14 subjects: 12 frames make 168 points). */
  mapFrames: number;
  seed: number;
  /** Map the clean detector too. */
  clean: "off" | "on";
  /** The face picked on a map (-1: none). */
  face: number;
  /** "run": the sweep runs when the page opens (a link to a view with a sweep computed here). */
  sweep: "off" | "run";
  /** The dataset of the protocol's figures. */
  protocol: ProtocolDataset;
};

export const EVALUATION_SETTINGS = settingsSchema<EvaluationSettings>(
  {
    teacher: "random:0.5",
    student: "random:0.5",
    type: "random",
    fill: "gray",
    sweepFaces: 24,
    features: "au-node",
    au: "12",
    colour: "au",
    method: "auto",
    mapFrames: 12,
    seed: 1,
    clean: "off",
    face: -1,
    sweep: "off",
    protocol: "bp4d",
  },
  {
    teacher: { choices: PAGE_OCCLUSIONS, label: "teacher" },
    student: { choices: STUDENT_CHOICES, label: "student" },
    type: { choices: SWEEP_TYPES, label: "occlusion type" },
    fill: { choices: FILL_KINDS, label: "fill" },
    sweepFaces: { range: [4, 400], integer: true, query: "faces" },
    features: { choices: MAP_FEATURES, label: "features" },
    au: { choices: AU_CHOICES, label: "AU" },
    colour: { choices: MAP_COLOURS, label: "colour" },
    method: { choices: MAP_METHODS, label: "projection method" },
    mapFrames: { range: [1, 150], integer: true, query: "frames" },
    seed: { range: [0, 2 ** 31 - 1], integer: true },
    clean: { choices: ["off", "on"], label: "clean detector map" },
    face: { range: [-1, 100_000], integer: true },
    sweep: { choices: ["off", "run"], label: "sweep" },
    protocol: { choices: PROTOCOL_DATASETS, label: "protocol data" },
  },
);
