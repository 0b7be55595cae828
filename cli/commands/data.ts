// `maskau data`: generate the synthetic FACS face dataset (written as PNG images
// plus ME-GraphAU list files and a labels CSV), and import a dataset from disk
// to check it and print its summary.
import { Command, InvalidArgumentError, Option } from "commander";
import { cachedFaceDataset, type CachedDataset } from "../../src/lib/data/cache.js";
import { defaultCacheDir, nodeDatasetCache } from "../../src/lib/data/cache-node.js";
import type { AUDataset } from "../../src/lib/data/dataset.js";
import { exportMeGraphAU } from "../../src/lib/data/export-megraphau.js";
import { nodeFileSink, nodeFileSource } from "../../src/lib/data/files-node.js";
import { FaceDatasetBuilder, faceConfigKey, faceDatasetConfig, type FaceDatasetConfig } from "../../src/lib/data/generate.js";
import { fnv1a64 } from "../../src/lib/data/hash.js";
import { importCsv } from "../../src/lib/data/import-csv.js";
import { importMeGraphAU } from "../../src/lib/data/import-megraphau.js";
import { formatSummary, summarizeDataset } from "../../src/lib/data/summary.js";
import { progressBar } from "../progress.js";

function int(name: string, min: number) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer >= ${min}`);
    return n;
  };
}

function num(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`${name} must be a number >= 0`);
    return n;
  };
}

interface GenerateOpts {
  preset: "bp4d" | "disfa";
  subjects?: number;
  sequences?: number;
  frames?: number;
  seed: number;
  size: number;
  jitter: number;
  degrade: number;
  out?: string;
  cache: boolean;
  cacheDir?: string;
  json?: boolean;
}

async function generate(opts: GenerateOpts): Promise<void> {
  const cfg: FaceDatasetConfig = faceDatasetConfig({
    preset: opts.preset,
    seed: opts.seed,
    subjects: opts.subjects,
    sequencesPerSubject: opts.sequences,
    framesPerSequence: opts.frames,
    size: opts.size,
    jitter: opts.jitter,
    degrade: opts.degrade,
  });
  const total = cfg.subjects * cfg.sequencesPerSubject * cfg.framesPerSequence;
  const started = performance.now();
  let result: CachedDataset;
  const bar = progressBar("render", total, { fields: ["rate"] });
  const onProgress = (done: number) => bar.update(done, { rate: `${Math.round(done / ((performance.now() - started) / 1000))}/s` });
  try {
    if (opts.cache) {
      result = await cachedFaceDataset(cfg, nodeDatasetCache(opts.cacheDir ?? defaultCacheDir()), { onProgress });
    } else {
      const b = new FaceDatasetBuilder(cfg);
      while (!b.finished) onProgress(b.step(256));
      result = { dataset: b.result(), key: faceConfigKey(cfg), fromCache: false };
    }
    if (result.fromCache) bar.update(total, { rate: "cached" });
  } finally {
    bar.stop();
  }
  const seconds = (performance.now() - started) / 1000;
  const ds = result.dataset;
  const imageHash = fnv1a64(ds.images);
  if (opts.out) {
    const wbar = progressBar("write ", total);
    try {
      await exportMeGraphAU(ds, nodeFileSink(opts.out), { onProgress: (d) => wbar.update(d) });
    } finally {
      wbar.stop();
    }
  }
  report(ds, opts.json, {
    config: cfg,
    key: result.key,
    fromCache: result.fromCache,
    seconds: Number(seconds.toFixed(3)),
    facesPerSecond: result.fromCache ? null : Math.round(total / seconds),
    imageHash,
    out: opts.out ?? null,
  });
}

function report(ds: AUDataset, json: boolean | undefined, extra: Record<string, unknown>): void {
  const summary = summarizeDataset(ds);
  if (json) {
    const { conditional: _c, ...rest } = summary;
    void _c;
    process.stdout.write(JSON.stringify({ ...extra, summary: rest }, null, 2) + "\n");
    return;
  }
  process.stdout.write(formatSummary(summary) + "\n");
  for (const [k, v] of Object.entries(extra)) {
    if (k === "config" || v === null || v === undefined) continue;
    process.stdout.write(`${k}: ${v}\n`);
  }
}

interface ImportOpts {
  format: "megraphau" | "csv";
  root: string;
  dataset?: string;
  listDir: string;
  imageDir?: string;
  file: string;
  preset?: "bp4d" | "disfa";
  aus?: string;
  values: "auto" | "occurrence" | "intensity";
  threshold?: number;
  folds: number;
  size: number;
  json?: boolean;
}

async function importData(opts: ImportOpts): Promise<void> {
  const source = nodeFileSource(opts.root);
  const aus = opts.aus?.split(",").map((s) => Number(s.trim().replace(/^au/i, "")));
  if (aus?.some((a) => !Number.isInteger(a))) throw new Error(`--aus must be a comma-separated list of AU numbers, e.g. 1,2,4,12; got "${opts.aus}"`);
  let bar: ReturnType<typeof progressBar> | undefined;
  const onProgress = (done: number, total: number) => {
    bar ??= progressBar("images", total);
    bar.update(done);
  };
  const started = performance.now();
  let ds: AUDataset;
  try {
    if (opts.format === "megraphau") {
      if (!opts.dataset) throw new Error("--dataset is required for --format megraphau (the name in the list files, e.g. BP4D)");
      ds = await importMeGraphAU(source, {
        dataset: opts.dataset, listDir: opts.listDir, imageDir: opts.imageDir ?? "img", aus, folds: opts.folds, size: opts.size, onProgress,
      });
    } else {
      ds = await importCsv(source, {
        file: opts.file, imageDir: opts.imageDir, preset: opts.preset, aus, values: opts.values,
        occurrenceThreshold: opts.threshold, folds: opts.folds, size: opts.size, onProgress,
      });
    }
  } finally {
    bar?.stop();
  }
  report(ds, opts.json, { source: source.label, seconds: Number(((performance.now() - started) / 1000).toFixed(3)) });
}

export function dataCommand(): Command {
  const data = new Command("data").description("generate the synthetic FACS face dataset, or import a labelled dataset from disk");
  data
    .command("generate")
    .description("render synthetic FACS faces; with --out, write PNGs, ME-GraphAU list files and labels.csv")
    .addOption(new Option("--preset <name>", "AU set, base rates and occurrence rule").choices(["bp4d", "disfa"]).default("bp4d"))
    .option("--subjects <n>", "number of subjects (default: BP4D 41, DISFA 27)", int("--subjects", 1))
    .option("--sequences <n>", "sequences per subject (default: BP4D 8, DISFA 1)", int("--sequences", 1))
    .option("--frames <n>", "frames per sequence (default: BP4D 30, DISFA 240)", int("--frames", 1))
    .option("--seed <n>", "seed of every random choice", int("--seed", 0), 1)
    .option("--size <px>", "image side: 64, 96, 112 or 224", int("--size", 16), 64)
    .option("--jitter <x>", "scale of pose/scale/shift jitter (0 = perfectly aligned)", num("--jitter"), 1)
    .option("--degrade <x>", "scale of noise and blur (0 = clean)", num("--degrade"), 1)
    .option("--out <dir>", "write the dataset here (img/, list/, labels.csv)")
    .option("--no-cache", "do not read or write the dataset cache")
    .option("--cache-dir <dir>", "cache directory (default $MASKAU_CACHE_DIR or node_modules/.cache/maskau)")
    .option("--json", "machine-readable summary")
    .action(generate);
  data
    .command("import")
    .description("import a dataset (ME-GraphAU lists or a CSV), check it and print a summary")
    .addOption(new Option("--format <format>", "input format").choices(["megraphau", "csv"]).makeOptionMandatory())
    .requiredOption("--root <dir>", "folder holding the dataset")
    .option("--dataset <name>", "megraphau: name in the list files (BP4D, DISFA, ...)")
    .option("--list-dir <dir>", "megraphau: folder of the list files, relative to --root", "list")
    .option("--image-dir <dir>", "folder the image paths are relative to (megraphau default img, csv default the CSV's folder)")
    .option("--file <csv>", "csv: the CSV file, relative to --root", "labels.csv")
    .addOption(new Option("--preset <name>", "csv: AU list and occurrence threshold of a preset").choices(["bp4d", "disfa"]))
    .option("--aus <list>", "AU numbers in column order, e.g. 1,2,4,6,12")
    .addOption(new Option("--values <kind>", "csv: how to read AU values").choices(["auto", "occurrence", "intensity"]).default("auto"))
    .option("--threshold <n>", "csv: intensity at which an AU occurs", int("--threshold", 1))
    .option("--folds <n>", "number of subject-exclusive folds", int("--folds", 2), 3)
    .option("--size <px>", "resize images to this side", int("--size", 16), 64)
    .option("--json", "machine-readable summary")
    .action(importData);
  return data;
}
