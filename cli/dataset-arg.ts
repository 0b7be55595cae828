// The `--data` argument shared by training commands: the built-in synthetic dataset
// ("synthetic", "synthetic:bp4d", "synthetic:disfa"; generated once and cached), or a
// folder in the ME-GraphAU list format (what `maskau data generate --out` writes).
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { cachedFaceDataset } from "../src/lib/data/cache.js";
import { defaultCacheDir, nodeDatasetCache } from "../src/lib/data/cache-node.js";
import type { AUDataset } from "../src/lib/data/dataset.js";
import { nodeFileSource } from "../src/lib/data/files-node.js";
import { faceDatasetConfig } from "../src/lib/data/generate.js";
import { importMeGraphAU } from "../src/lib/data/import-megraphau.js";
import { progressBar } from "./progress.js";

export interface DataArgOptions {
  /** Seed of the synthetic generator. */
  dataSeed?: number;
  /** Image side in pixels. */
  size?: number;
}

export interface LoadedData {
  dataset: AUDataset;
  /** What goes into checkpoint metadata. */
  description: Record<string, unknown>;
}

export async function loadDataArg(spec: string, { dataSeed = 1, size = 64 }: DataArgOptions = {}): Promise<LoadedData> {
  const synthetic = /^synthetic(?::(bp4d|disfa))?$/.exec(spec);
  if (synthetic) {
    const config = faceDatasetConfig({ preset: (synthetic[1] ?? "bp4d") as "bp4d" | "disfa", seed: dataSeed, size });
    let bar: ReturnType<typeof progressBar> | undefined;
    const { dataset, key } = await cachedFaceDataset(config, nodeDatasetCache(defaultCacheDir()), {
      onProgress: (done, total) => {
        bar ??= progressBar("faces ", total);
        bar.update(done);
      },
    });
    bar?.stop();
    return { dataset, description: { name: dataset.name, kind: "synthetic", key, config, frames: dataset.subject.length } };
  }
  if (!existsSync(spec)) throw new Error(`--data ${spec}: not "synthetic[:bp4d|disfa]" and no such folder`);
  const listDir = join(spec, "list");
  const lists = existsSync(listDir) ? readdirSync(listDir).filter((f) => /_train_img_path_fold1\.txt$/.test(f)) : [];
  if (lists.length !== 1) {
    throw new Error(`--data ${spec}: expected one <DATASET>_train_img_path_fold1.txt in ${listDir} (ME-GraphAU list format, as written by "maskau data generate --out"), found ${lists.length}`);
  }
  const name = lists[0].replace(/_train_img_path_fold1\.txt$/, "");
  let bar: ReturnType<typeof progressBar> | undefined;
  const dataset = await importMeGraphAU(nodeFileSource(spec), {
    dataset: name,
    size,
    onProgress: (done, total) => {
      bar ??= progressBar("images", total);
      bar.update(done);
    },
  });
  bar?.stop();
  return { dataset, description: { name, kind: "megraphau", path: spec, frames: dataset.subject.length } };
}
