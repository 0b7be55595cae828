// Node file-system cache of generated datasets: one file per config key under a
// directory (default node_modules/.cache/maskau, or $MASKAU_CACHE_DIR). Never
// imported by browser code.
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { DatasetCache } from "./cache.js";

export function defaultCacheDir(): string {
  return resolve(process.env.MASKAU_CACHE_DIR ?? join("node_modules", ".cache", "maskau"));
}

function fileName(key: string): string {
  if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new Error(`cache key "${key}" has characters that are not safe in a file name`);
  return `${key}.maskau`;
}

export function nodeDatasetCache(dir: string = defaultCacheDir()): DatasetCache & { dir: string } {
  return {
    dir,
    async get(key) {
      try {
        return new Uint8Array(await readFile(join(dir, fileName(key))));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
        throw e;
      }
    },
    async put(key, bytes) {
      await mkdir(dir, { recursive: true });
      const path = join(dir, fileName(key));
      // Write then rename, so a reader never sees half a file.
      const tmp = `${path}.${process.pid}.tmp`;
      await writeFile(tmp, bytes);
      await rename(tmp, path);
    },
    async delete(key) {
      await rm(join(dir, fileName(key)), { force: true });
    },
  };
}
