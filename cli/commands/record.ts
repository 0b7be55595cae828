// `maskau record <checkpoint>`: the run record of a checkpoint (src/lib/records): its
// metadata (command, spec, config, seed, dataset, per-AU F1 on the test fold, loss
// history), the file's SHA-256, and the environment (versions, commit, backend). With
// --sweep, F1 per AU against the occlusion level on the checkpoint's test fold; with
// --features, a seeded 2-D map of held-out faces' AU node features with silhouettes; with
// --eval, per-AU F1 on the test fold under other conditions (Table 2's (b) and (c)).
// Report pages are built from these files (src/data/records/<id>.json).
import { Command } from "commander";
import { readFileSync } from "node:fs";
import { INPUT_KINDS, type InputKind } from "../../src/lib/eval/conditions.js";
import { removedPercent } from "../../src/lib/eval/fig3.js";
import { decodeCheckpoint, type CheckpointMeta } from "../../src/lib/io/checkpoint.js";
import { heldOutFaces } from "../../src/lib/data/page-dataset.js";
import type { Fill } from "../../src/lib/masks/fill.js";
import { parseOcclusion } from "../../src/lib/masks/spec.js";
import { projectionSettings, project } from "../../src/lib/project/embed.js";
import { allNodeFeatures, detectorFeatures, featureFaces } from "../../src/lib/project/features.js";
import { silhouetteByAu, silhouetteByIdentity } from "../../src/lib/project/silhouette.js";
import { recordIdOf, type RecordEvaluation, type RecordFeatures, type RecordSweep, type RunRecord } from "../../src/lib/records/record.js";
import { nodeEnvironment, recordOfCheckpointFile, recordPathFor, sha256Hex, writeRecordFile } from "../../src/lib/records/node.js";
import { loadCheckpointModel } from "../../src/lib/registry.js";
import { loadMaeFile, type LoadedMaeFile } from "../../src/lib/runs/node.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { progressBar } from "../progress.js";
import { addBackendOption, commandLine, fillArg, listOf, num, OCCLUSION_HELP } from "../options.js";
import { evaluateFile } from "./eval.js";

export const DEFAULT_SWEEP = [1, 2, 3, 4, 5, 6, 7].map((k) => `random:0.${k}`);

/** Parses --eval: a comma list of INPUT[:OCCLUSION] ("occluded:random:0.5", "composite:block:0.3", "clean"). */
export function parseEvalList(text: string): { input: InputKind; occlusion: string }[] {
  return listOf(text).map((item) => {
    const at = item.indexOf(":");
    const input = (at < 0 ? item : item.slice(0, at)) as InputKind;
    const occlusion = at < 0 ? "none" : item.slice(at + 1);
    if (!INPUT_KINDS.includes(input)) throw new Error(`--eval ${item}: the input must be one of ${INPUT_KINDS.join(", ")} (INPUT[:OCCLUSION])`);
    if (input !== "clean" && occlusion === "none") throw new Error(`--eval ${item}: ${input} input needs an occlusion (${input}:random:0.5)`);
    parseOcclusion(occlusion);
    return { input, occlusion: input === "clean" ? "none" : occlusion };
  });
}

/** Per-AU F1 on the checkpoint's test fold under each condition. */
export async function recordEvaluations(
  ckpt: string,
  conditions: { input: InputKind; occlusion: string }[],
  { fill, mae, command, quiet = false }: { fill: Fill; mae?: LoadedMaeFile; command: string; quiet?: boolean },
): Promise<RecordEvaluation[]> {
  const out: RecordEvaluation[] = [];
  const maeRef = mae ? { path: mae.ref.path, sha256: sha256Hex(new Uint8Array(readFileSync(mae.ref.path))) } : null;
  for (const input of [...new Set(conditions.map((c) => c.input))]) {
    if (input === "composite" && !mae) throw new Error(`--eval composite needs the MAE (--mae FILE; ${ckpt}'s config names none)`);
    const occlusions = conditions.filter((c) => c.input === input).map((c) => c.occlusion);
    const ev = await evaluateFile(ckpt, [input], occlusions, { fill, mae, quiet });
    for (const r of ev.rows) {
      out.push({
        label: r.label,
        input: r.input,
        occlusion: r.occlusion,
        fill: typeof fill === "string" ? fill : `rgb(${fill.color.join(",")})`,
        mae: input === "composite" ? maeRef : null,
        fold: ev.fold,
        frames: ev.frames,
        aus: r.evaluation.aus,
        f1: r.evaluation.f1,
        meanF1: r.evaluation.meanF1,
        meanAcc: r.evaluation.meanAcc,
        command,
      });
    }
  }
  return out;
}

interface RecordOpts {
  eval?: string;
  out?: string;
  id?: string;
  sweep?: boolean;
  occlusions: string;
  sweepInput?: InputKind;
  fill: Fill;
  mae?: string;
  features?: boolean;
  featureFrames: number;
  featureSeed: number;
  featureOcclusion?: string;
  backend: BackendName;
}

/** What a model reads in its own condition: a teacher the composites, a student the occluded faces, a clean detector occluded faces in a sweep. */
function naturalInput(meta: CheckpointMeta, forSweep: boolean): InputKind {
  if (meta.model === "student") return "occluded";
  const input = (meta.config.condition as { input?: InputKind } | undefined)?.input ?? "clean";
  return forSweep && input === "clean" ? "occluded" : input;
}

/** The MAE a checkpoint's composites come from: --mae, else the one its config names. */
function maeOf(meta: CheckpointMeta, flag: string | undefined): string | undefined {
  return flag ?? (meta.config.mae as { path?: string } | null | undefined)?.path;
}

/** F1 per AU against the occlusion level on the checkpoint's test fold. */
export async function recordSweep(
  ckpt: string,
  { occlusions, input, fill, mae, command, quiet = false }: { occlusions: string[]; input: InputKind; fill: Fill; mae?: LoadedMaeFile; command: string; quiet?: boolean },
): Promise<RecordSweep> {
  if (input === "composite" && !mae) throw new Error(`--sweep with composite input needs the MAE (--mae FILE; ${ckpt}'s config names none)`);
  const start = performance.now();
  const out = await evaluateFile(ckpt, [input], occlusions, { fill, mae, quiet });
  return {
    command,
    input,
    fill: typeof fill === "string" ? fill : `rgb(${fill.color.join(",")})`,
    mae: mae && input === "composite" ? { path: mae.ref.path, sha256: sha256Hex(new Uint8Array(readFileSync(mae.ref.path))) } : null,
    fold: out.fold,
    frames: out.frames,
    aus: out.data.dataset.aus,
    points: out.rows.map((r) => ({ occlusion: r.occlusion, removed: removedPercent(r.occlusion), f1: r.evaluation.f1, meanF1: r.evaluation.meanF1 })),
    seconds: Math.round((performance.now() - start) / 100) / 10,
  };
}

/** A seeded t-SNE of held-out faces' AU node features, with silhouettes by AU state and identity. */
export async function recordFeatures(
  ckpt: string,
  meta: CheckpointMeta,
  { framesPerSubject, seed, occlusion, mae, command, quiet = false }: { framesPerSubject: number; seed: number; occlusion: string; mae?: LoadedMaeFile; command: string; quiet?: boolean },
): Promise<RecordFeatures> {
  const start = performance.now();
  const loaded = loadCheckpointModel(new Uint8Array(readFileSync(ckpt)), { source: ckpt });
  if (loaded.family === "mae") {
    loaded.mae.dispose();
    throw new Error(`${ckpt} holds an MAE: --features needs an AU detector or a student`);
  }
  const input = naturalInput(meta, false);
  if (input === "composite" && !mae) throw new Error(`--features: ${ckpt} reads composites; give the MAE with --mae FILE`);
  const detector = loaded.detector;
  try {
    const size = detector.config.imgSize;
    const faces = heldOutFaces(size, framesPerSubject);
    const occ = parseOcclusion(input === "clean" ? "none" : occlusion);
    const patch = mae?.mae.config.patchSize ?? 8;
    const bar = quiet ? undefined : progressBar("faces   ", faces.frames.length);
    const prepared = await featureFaces(faces, occ, patch, input === "composite" ? mae!.mae : null, { onProgress: (d) => void bar?.update(d) });
    bar?.stop();
    const images = input === "composite" ? prepared.composites : input === "occluded" ? prepared.occluded : prepared.clean;
    const fbar = quiet ? undefined : progressBar("features", prepared.count);
    const feats = await detectorFeatures(detector, images, { onProgress: (d) => void fbar?.update(d) });
    fbar?.stop();
    const m = allNodeFeatures(feats);
    const settings = projectionSettings(m.n, { method: "tsne", seed });
    const pbar = quiet ? undefined : progressBar("t-SNE   ", settings.iterations);
    const xy = project(m.data, m.n, m.d, { method: "tsne", seed, onProgress: (d) => pbar?.update(d) });
    pbar?.stop();
    const N = prepared.aus.length;
    const byAu = silhouetteByAu(xy, m.n, 2, prepared.labels, N).map((v) => (Number.isFinite(v) ? v : null));
    const byIdentity = silhouetteByIdentity(xy, m.n, 2, prepared.subjects);
    const round = (v: number) => Math.round(v * 1e4) / 1e4;
    return {
      command,
      method: settings.method,
      seed,
      perplexity: settings.method === "tsne" ? settings.perplexity : null,
      neighbours: settings.method === "umap" ? settings.neighbours : null,
      iterations: settings.iterations,
      features: "au-nodes",
      input,
      occlusion: prepared.occlusion,
      faces: `held-out faces of the pages' dataset: ${faces.frames.length / framesPerSubject} subjects x ${framesPerSubject} frames, each masked as evaluation masks its frame`,
      aus: prepared.aus,
      x: Array.from({ length: m.n }, (_, i) => round(xy[2 * i])),
      y: Array.from({ length: m.n }, (_, i) => round(xy[2 * i + 1])),
      labels: Array.from({ length: m.n }, (_, i) => Array.from(prepared.labels.subarray(i * N, (i + 1) * N), (v) => (v > 0 ? 1 : 0))),
      subjects: prepared.subjects,
      silhouette: { byAu, byIdentity: Number.isFinite(byIdentity) ? byIdentity : null },
      seconds: Math.round((performance.now() - start) / 100) / 10,
    };
  } finally {
    detector.dispose();
  }
}

export function recordCommand(): Command {
  const cmd = new Command("record")
    .description("write the run record of a checkpoint (metadata, SHA-256, environment; optionally an occlusion sweep and a feature map), from which report pages are built")
    .argument("<checkpoint>", "a MaskAU checkpoint (.safetensors)")
    .option("--out <file>", "where the record goes (default: <checkpoint>.record.json beside it)")
    .option("--id <id>", "the record's id, its report page's name (default: the checkpoint's file name)")
    .option("--sweep", "add F1 per AU against occlusion on the checkpoint's test fold")
    .option("--occlusions <list>", `the sweep's occlusions: ${OCCLUSION_HELP}`, DEFAULT_SWEEP.join(","))
    .option("--sweep-input <kind>", "what the model reads in the sweep (default: a teacher composites, a student or a clean detector occluded faces)")
    .option("--fill <kind>", "paint of removed patches for occluded input", fillArg, "gray")
    .option("--mae <file>", "the MAE for composites (default: the one the checkpoint's config names)")
    .option("--eval <list>", "add per-AU F1 on the test fold under other conditions: comma list of INPUT[:OCCLUSION] (e.g. occluded:random:0.5,composite:random:0.5 for Table 2's (b) and (c))")
    .option("--features", "add a seeded t-SNE of held-out faces' AU node features, with silhouettes")
    .option("--feature-frames <n>", "held-out frames per subject for --features", num("--feature-frames", { int: true, min: 1 }), 30)
    .option("--feature-seed <n>", "seed of the t-SNE", num("--feature-seed", { int: true }), 0)
    .option("--feature-occlusion <spec>", "occlusion of the faces for --features (default: the checkpoint's own)");
  addBackendOption(cmd);
  return cmd.action(async (ckpt: string, opts: RecordOpts) => {
    const bytes = new Uint8Array(readFileSync(ckpt));
    const meta = decodeCheckpoint(bytes, ckpt).meta;
    if (!meta) throw new Error(`${ckpt} has no MaskAU metadata: a record needs the model, config and command a MaskAU checkpoint carries`);
    const info = await initNodeBackend(opts.backend);
    const backend = backendLabel(info);
    const command = commandLine();
    const record: RunRecord = recordOfCheckpointFile(ckpt, { bytes, id: opts.id ?? recordIdOf(ckpt), recordCommand: command, environment: nodeEnvironment("record", backend) });
    process.stderr.write(`${record.id}: ${record.title}; ${backend}\n`);
    const evals = opts.eval ? parseEvalList(opts.eval) : [];
    const needsMae =
      (opts.sweep && (opts.sweepInput ?? naturalInput(meta, true)) === "composite") ||
      (opts.features && naturalInput(meta, false) === "composite") ||
      evals.some((e) => e.input === "composite");
    const maePath = needsMae ? maeOf(meta, opts.mae) : undefined;
    const mae = maePath ? loadMaeFile(maePath) : undefined;
    try {
      if (opts.sweep) {
        if (meta.model === "mae") throw new Error(`${ckpt} holds an MAE: --sweep needs an AU detector or a student`);
        record.sweep = await recordSweep(ckpt, { occlusions: listOf(opts.occlusions), input: opts.sweepInput ?? naturalInput(meta, true), fill: opts.fill, mae, command });
        process.stderr.write(`sweep: ${record.sweep.points.length} occlusions x ${record.sweep.frames} frames in ${record.sweep.seconds} s\n`);
      }
      if (evals.length) {
        if (meta.model === "mae") throw new Error(`${ckpt} holds an MAE: --eval needs an AU detector or a student`);
        record.evaluations = await recordEvaluations(ckpt, evals, { fill: opts.fill, mae, command });
        process.stderr.write(`evaluations: ${record.evaluations.map((e) => `${e.label} ${(100 * e.meanF1).toFixed(1)}`).join(", ")}\n`);
      }
      if (opts.features) {
        const occlusion = opts.featureOcclusion ?? record.condition?.occlusion ?? "random:0.5";
        record.features = await recordFeatures(ckpt, meta, { framesPerSubject: opts.featureFrames, seed: opts.featureSeed, occlusion: occlusion === "none" ? "random:0.5" : occlusion, mae, command });
        process.stderr.write(`features: ${record.features.x.length} faces in ${record.features.seconds} s\n`);
      }
    } finally {
      mae?.mae.dispose();
    }
    const out = opts.out ?? recordPathFor(ckpt);
    await writeRecordFile(out, record);
    const f1 = record.metrics.meanF1;
    process.stdout.write(`wrote ${out} (${record.kind}${f1 === null ? "" : `, mean F1 ${(100 * f1).toFixed(1)} on the ${record.metrics.split} split`})\n`);
  });
}
