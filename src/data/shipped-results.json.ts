// Framework data loader: the results the shipped stage-2 teachers and students record in
// their checkpoints' metadata (condition, test-fold mean F1, steps, the command that made
// them), read from the safetensors headers in src/checkpoints, so the index page states
// them without loading the weights and without copying numbers into prose. Its cached
// output is dropped before every build (scripts/prebundle.mjs), so a replaced checkpoint is read.
import { readCheckpointMeta } from "../lib/io/atomic-node.js";
import { shippedResult } from "../lib/eval/headline.js";

const FILES = [
  "teacher-tiny-mefl-random0.5.safetensors",
  "teacher-tiny-mefl-block0.3.safetensors",
  "student-tiny-random0.5.safetensors",
  "student-tiny-block0.3.safetensors",
];

const results = FILES.map((file) => {
  const path = new URL(`../checkpoints/${file}`, import.meta.url).pathname;
  return shippedResult(file, readCheckpointMeta(path));
});

process.stdout.write(JSON.stringify({ source: "src/checkpoints (metadata of each file)", results }, null, 2));
