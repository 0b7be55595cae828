// Which model a safetensors file's tensors fit, from their names and shapes alone (the
// values are never read):
//   * a MaskAU checkpoint names its model kind and config in its metadata: that model's
//     state_dict layout is built (the MAE's is pure; a detector or student is created with
//     fresh weights on the running tfjs backend and only its names and shapes are read)
//     and compared name by name;
//   * a reference fixture's sidecar gives its config: MAE fixtures' weights are compared
//     the same way, other kinds get the guess below;
//   * any other file gets a guess from its names: official MAE names (checked against the
//     MAE presets), Hugging Face ViTMAE names, ME-GraphAU names (a student's with its
//     alignment, align.*), torchvision ResNet names.
import { MAE_PRESETS, maeConfigFromSidecar, type MaeConfig } from "../config.js";
import { detectorConfigFromMeta, isMaeEncoderName, type Detector, type DetectorConfig } from "../models/detector.js";
import { maeConfigFromMeta } from "../models/mae-checkpoint.js";
import { maeStateDictLayout } from "../models/mae.js";
import { STUDENT_MODEL_KIND, studentConfigFromMeta } from "../models/student.js";
import { OPTIMIZER_PREFIX, type CheckpointMeta } from "./checkpoint.js";
import type { Sidecar } from "./fixture.js";
import { detectScheme } from "./keymap.js";

export interface NamedShape {
  name: string;
  shape: number[];
}

export interface LayoutComparison {
  /** Tensors the model has. */
  expected: number;
  /** Of those, present in the file with the same shape. */
  matched: number;
  missing: string[];
  unexpected: string[];
  misShaped: { name: string; file: number[]; model: number[] }[];
}

export interface ModelFit {
  /** What the tensors were compared with or look like, e.g. "mae", "megraphau-anfl", "torchvision ResNet". */
  model: string;
  /** Where the model came from: the checkpoint's metadata, a fixture's sidecar, or the tensor names. */
  basis: "metadata" | "sidecar" | "names";
  /** true / false when compared with a built layout; null for a guess that was not checked. */
  fits: boolean | null;
  /** One line for people. */
  detail: string;
  comparison?: LayoutComparison;
}

/** Compares a file's tensors with a model's state_dict layout by name and shape. */
export function compareLayout(file: readonly NamedShape[], layout: readonly NamedShape[]): LayoutComparison {
  const inFile = new Map(file.map((t) => [t.name, t.shape]));
  const inModel = new Set(layout.map((t) => t.name));
  const out: LayoutComparison = { expected: layout.length, matched: 0, missing: [], unexpected: [], misShaped: [] };
  for (const { name, shape } of layout) {
    const got = inFile.get(name);
    if (!got) out.missing.push(name);
    else if (got.length !== shape.length || got.some((d, i) => d !== shape[i])) out.misShaped.push({ name, file: got, model: [...shape] });
    else out.matched++;
  }
  for (const t of file) if (!inModel.has(t.name)) out.unexpected.push(t.name);
  return out;
}

const exact = (c: LayoutComparison) => c.missing.length === 0 && c.unexpected.length === 0 && c.misShaped.length === 0;

function describe(c: LayoutComparison, what: string): string {
  if (exact(c)) return `${what}: all ${c.expected} tensors match by name and shape`;
  const parts = [`${c.matched}/${c.expected} tensors match`];
  const list = (names: string[]) => names.slice(0, 3).join(", ") + (names.length > 3 ? `, ... (${names.length})` : "");
  if (c.missing.length) parts.push(`missing ${list(c.missing)}`);
  if (c.unexpected.length) parts.push(`unexpected ${list(c.unexpected)}`);
  if (c.misShaped.length) {
    const m = c.misShaped[0];
    parts.push(`mis-shaped ${m.name} [${m.file}] vs [${m.model}]${c.misShaped.length > 1 ? ` and ${c.misShaped.length - 1} more` : ""}`);
  }
  return `${what}: ${parts.join("; ")}`;
}

/** The MAE's state_dict names and shapes for a config (pure). */
export function maeLayout(config: MaeConfig): NamedShape[] {
  return maeStateDictLayout(config).map(({ name, shape }) => ({ name, shape }));
}

/**
 * A detector's or student's state_dict names and shapes (backbone.*, a student's align.*,
 * global_linear.* and head.*): the model is created (fresh weights, on the running tfjs
 * backend: initialise one first, cpu is enough), read and disposed.
 */
export async function detectorLayout(config: DetectorConfig): Promise<NamedShape[]> {
  const { createDetector } = await import("../models/detector.js");
  const detector = createDetector(config);
  try {
    return detectorLayoutOf(detector);
  } finally {
    detector.dispose();
  }
}

/** The state_dict names and shapes of a detector or student that exists (a page's upload check builds the one it will load into). */
export function detectorLayoutOf(detector: Detector): NamedShape[] {
  const backbone = detector.backbone.stateNames.map((n) => ({ name: `backbone.${n}`, shape: [...detector.backbone.params.get(n).shape] }));
  const align = detector.align ? detector.align.params.names().map((n) => ({ name: n, shape: [...detector.align!.params.get(n).shape] })) : [];
  const head = detector.head.params.names().map((n) => ({ name: n, shape: [...detector.head.params.get(n).shape] }));
  return [...backbone, ...align, ...head];
}

/** Whether a file's model tensors are exactly a layout, with one line for people naming what differs. */
export function fitLayout(file: readonly NamedShape[], layout: readonly NamedShape[], what: string): { fits: boolean; detail: string; comparison: LayoutComparison } {
  const comparison = compareLayout(file, layout);
  return { fits: exact(comparison), detail: describe(comparison, what), comparison };
}

/** Whether fitFromMeta will build a detector or student (and so needs a tfjs backend). */
export function needsBackend(meta: CheckpointMeta | null): boolean {
  return meta?.model === "megraphau-anfl" || meta?.model === "megraphau-mefl" || meta?.model === STUDENT_MODEL_KIND;
}

/** Compares a MaskAU checkpoint's model tensors (optimizer buffers excluded) with the model its metadata describes. */
export async function fitFromMeta(meta: CheckpointMeta, tensors: readonly NamedShape[], source = "checkpoint"): Promise<ModelFit> {
  const model = tensors.filter((t) => !(meta.trainer && t.name.startsWith(OPTIMIZER_PREFIX)));
  const fit = (layout: NamedShape[], what: string): ModelFit => {
    const comparison = compareLayout(model, layout);
    return { model: meta.model, basis: "metadata", fits: exact(comparison), detail: describe(comparison, what), comparison };
  };
  const invalid = (e: unknown): ModelFit => ({ model: meta.model, basis: "metadata", fits: false, detail: `the metadata's config does not build a model: ${(e as Error).message}` });
  if (meta.model === "mae") {
    let config: MaeConfig;
    try {
      config = maeConfigFromMeta(meta, source);
    } catch (e) {
      return invalid(e);
    }
    const preset = typeof meta.config.preset === "string" ? ` ${meta.config.preset}` : "";
    return fit(maeLayout(config), `the MAE${preset} built from the metadata's config`);
  }
  if (meta.model === STUDENT_MODEL_KIND) {
    try {
      const config = studentConfigFromMeta(meta, source);
      const layout = await detectorLayout(config);
      const { align } = config.backbone;
      return fit(layout, `the student (MAE encoder, alignment to ${align.gridOut}x${align.gridOut}x${align.outChannels}, ${config.head.toUpperCase()} head) built from the metadata's config`);
    } catch (e) {
      return invalid(e);
    }
  }
  if (needsBackend(meta)) {
    let layout: NamedShape[];
    try {
      const config = detectorConfigFromMeta(meta, source);
      layout = await detectorLayout(config);
      const backbone = config.backbone.kind === "resnet" ? "ResNet" : "MAE encoder";
      return fit(layout, `the ${config.head.toUpperCase()} detector (${backbone} backbone) built from the metadata's config`);
    } catch (e) {
      return invalid(e);
    }
  }
  const guess = guessByNames(model);
  return { model: meta.model, basis: "metadata", fits: null, detail: `model kind "${meta.model}" has no layout in this MaskAU; by names: ${guess.detail}` };
}

/** A fixture's weights against its sidecar's config (MAE fixtures), else a guess by names. */
export function fitFromSidecar(sidecar: Sidecar, tensors: readonly NamedShape[]): ModelFit {
  const weights = tensors.filter((t) => sidecar.tensors[t.name]?.role === "weight");
  if (sidecar.kind === "mae") {
    let config: MaeConfig;
    try {
      config = maeConfigFromSidecar(sidecar.config);
    } catch (e) {
      return { model: "mae", basis: "sidecar", fits: false, detail: `the sidecar's config does not build an MAE: ${(e as Error).message}` };
    }
    const comparison = compareLayout(weights, maeLayout(config));
    return { model: "mae", basis: "sidecar", fits: exact(comparison), detail: describe(comparison, "its weights against the MAE built from the sidecar's config"), comparison };
  }
  const guess = guessByNames(weights);
  return { ...guess, detail: `fixture kind "${sidecar.kind}"; its ${weights.length} weights by names: ${guess.detail}` };
}

/** What a file's tensor names look like, checked against presets where MaskAU has them. */
export function guessByNames(tensors: readonly NamedShape[]): ModelFit {
  const guess = (model: string, detail: string, fits: boolean | null = null): ModelFit => ({ model, basis: "names", fits, detail });
  if (tensors.length === 0) return guess("none", "no tensors");
  const prefixed = tensors.every((t) => t.name.startsWith("module."));
  const bare = prefixed ? tensors.map((t) => ({ ...t, name: t.name.slice("module.".length) })) : [...tensors];
  const note = prefixed ? ` (every name has DataParallel's "module." prefix, which loading strips)` : "";
  const names = bare.map((t) => t.name);
  const has = (re: RegExp) => names.some((n) => re.test(n));

  const { scheme } = detectScheme(names);
  if (scheme === "mae-official") {
    let best: { preset: string; encoder: boolean; c: LayoutComparison } | undefined;
    for (const [preset, config] of Object.entries(MAE_PRESETS)) {
      const full = maeLayout(config);
      for (const [encoder, layout] of [[false, full], [true, full.filter((e) => isMaeEncoderName(e.name))]] as const) {
        const c = compareLayout(bare, layout);
        if (exact(c)) return guess("mae", `official MAE names: the ${preset} preset${encoder ? "'s encoder" : ""}, all ${c.expected} tensors match${note}`, true);
        if (!best || c.matched > best.c.matched) best = { preset, encoder, c };
      }
    }
    return guess("mae", `official MAE names, no MAE preset matches exactly (closest: ${best!.preset}, ${best!.c.matched}/${best!.c.expected}); load with its config${note}`);
  }
  if (scheme === "mae-hf") return guess("mae", `Hugging Face ViTMAE names (loading converts them to the official names)${note}`);

  if (has(/^global_linear\./) || has(/^head\.(class_linears|gnn|sc)\b/)) {
    const head = has(/^head\.(edge_extractor|edge_fc)\b/) ? "MEFL" : "ANFL";
    if (has(/^align\.fc\d+\.weight$/)) {
      return guess("student", `MaskAU student names: an MAE-encoder backbone, the feature alignment (align.*) and the ${head} head${note}`);
    }
    const backbone = has(/^backbone\.layer\d+\./) ? "a ResNet backbone" : has(/^backbone\.(blocks|patch_embed)\./) ? "an MAE-encoder backbone" : has(/^backbone\./) ? "an unknown backbone" : "no backbone";
    return guess(`megraphau-${head.toLowerCase()}`, `ME-GraphAU names: the ${head} head with ${backbone}${note}`);
  }

  if (has(/^conv1\.weight$/) && has(/^layer1\.0\./)) {
    const blocks: number[] = [];
    for (let s = 1; has(new RegExp(`^layer${s}\\.0\\.`)); s++) {
      let b = 0;
      while (has(new RegExp(`^layer${s}\\.${b}\\.`))) b++;
      blocks.push(b);
    }
    const bottleneck = has(/^layer\d+\.\d+\.conv3\.weight$/);
    const known: Record<string, string> = { "basic 2,2,2,2": "resnet18", "basic 3,4,6,3": "resnet34", "bottleneck 3,4,6,3": "resnet50", "bottleneck 3,4,23,3": "resnet101", "bottleneck 3,8,36,3": "resnet152" };
    const name = known[`${bottleneck ? "bottleneck" : "basic"} ${blocks.join()}`];
    const head = has(/^fc\.weight$/) ? ", with its classifier (fc, not used by MaskAU)" : "";
    return guess(
      "torchvision-resnet",
      `torchvision ResNet names: ${blocks.length} stages of [${blocks}] ${bottleneck ? "bottleneck" : "basic"} blocks${name ? ` (${name})` : ""}${head}${bottleneck ? "; MaskAU's ResNet has basic blocks only" : ""}${note}`,
    );
  }
  return guess("unknown", `no naming scheme MaskAU knows (${tensors.length} tensors, e.g. ${names.slice(0, 3).join(", ")})`);
}
