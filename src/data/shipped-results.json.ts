// Framework data loader: the results the shipped stage-2 teachers and students record in
// their checkpoints' metadata (condition, test-fold mean F1, steps, the command that made
// them), read from the safetensors headers in src/checkpoints, so the index page states
// them without loading the weights and without copying numbers into prose. Framework
// caches a loader's output until the loader changes: after replacing a checkpoint,
// `npm run clean` (or a fresh checkout, as in CI) makes the build read it again.
import { closeSync, openSync, readSync, statSync } from "node:fs";
import { checkpointMeta } from "../lib/io/checkpoint.js";
import { inspectSafetensorsHeader, safetensorsHeaderLength } from "../lib/io/safetensors.js";
import { shippedResult } from "../lib/eval/headline.js";

const FILES = [
  "teacher-tiny-mefl-random0.5.safetensors",
  "teacher-tiny-mefl-block0.3.safetensors",
  "student-tiny-random0.5.safetensors",
  "student-tiny-block0.3.safetensors",
];

/** The first 8 + N bytes of a safetensors file: its header, without the tensors. */
function readHeader(path: string): { header: Uint8Array; size: number } {
  const size = statSync(path).size;
  const fd = openSync(path, "r");
  try {
    const prefix = new Uint8Array(8);
    readSync(fd, prefix, 0, 8, 0);
    const header = new Uint8Array(8 + safetensorsHeaderLength(prefix, size, path));
    readSync(fd, header, 0, header.length, 0);
    return { header, size };
  } finally {
    closeSync(fd);
  }
}

const results = FILES.map((file) => {
  const path = new URL(`../checkpoints/${file}`, import.meta.url).pathname;
  const { header, size } = readHeader(path);
  return shippedResult(file, checkpointMeta(inspectSafetensorsHeader(header, size, file).metadata, file));
});

process.stdout.write(JSON.stringify({ source: "src/checkpoints (metadata of each file)", results }, null, 2));
