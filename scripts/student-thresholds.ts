// Beyond F1 at 0.5 (docs/students.md, "Thresholds and ranking"): for the shipped models of
// fold 1 ((b) the clean detector on occluded faces, (c) on MAE composites, (d) the stage-2
// teacher on composites, (e) the student on occluded faces), on the test fold: mean AUC, F1
// at 0.5, F1 at per-AU thresholds chosen on faces of the training subjects, F1 at the test
// fold's own best thresholds (an upper bound, not a result), and per AU the share of faces
// predicted positive against the share labelled. With STUDENT=FILE VAL=K only that student,
// trained with `--val-subjects K`, with its thresholds chosen on those validation subjects.
//   OCC=random:0.5 npx tsx scripts/student-thresholds.ts
//   STUDENT=runs/student-val5.safetensors VAL=5 npx tsx scripts/student-thresholds.ts
import { readFileSync } from "node:fs";
import { foldSplit } from "../src/lib/data/folds.js";
import { gatherLabels } from "../src/lib/data/frames.js";
import { aucRoc, bestThresholds, f1AtThresholds, positiveRates } from "../src/lib/eval/calibration.js";
import type { InputKind } from "../src/lib/eval/conditions.js";
import { evaluateSweep } from "../src/lib/eval/sweep.js";
import { loadCheckpointModel } from "../src/lib/registry.js";
import { splitOf } from "../src/lib/runs/create.js";
import { diskComposites, loadData, loadMaeFile } from "../src/lib/runs/node.js";
import { initNodeBackend } from "../src/lib/tf/node.js";

const occ = process.env.OCC ?? "random:0.5";
const tag = occ.replace(":", "");
const val = Number(process.env.VAL ?? 0);
await initNodeBackend("wasm");
const data = await loadData({ source: "synthetic", seed: 1, size: 64 });
const ds = data.dataset;
const n = ds.aus.length;
const mae = loadMaeFile("src/checkpoints/mae-tiny.safetensors");
const composites = diskComposites(mae, ds, data.description);
const { test } = foldSplit(ds, 0);
// Where thresholds are chosen: the validation subjects of a student trained without them, else every other face of the training subjects.
const choose = val > 0 ? splitOf(ds, { fold: 1, valSubjects: val }).val : foldSplit(ds, 0).train.filter((_, i) => i % 2 === 0);
const models: [string, string, InputKind][] = process.env.STUDENT
  ? [["(e)", process.env.STUDENT, "occluded"]]
  : [
      ["(b)", "src/checkpoints/detector-tiny-clean.safetensors", "occluded"],
      ["(c)", "src/checkpoints/detector-tiny-clean.safetensors", "composite"],
      ["(d)", `src/checkpoints/teacher-tiny-mefl-${tag}.safetensors`, "composite"],
      ["(e)", `src/checkpoints/student-tiny-${tag}.safetensors`, "occluded"],
    ];
const pct = (v: number) => (100 * v).toFixed(1);
const mean = (v: number[]) => v.reduce((a, x) => a + x, 0) / v.length;
for (const [name, path, input] of models) {
  const loaded = loadCheckpointModel(new Uint8Array(readFileSync(path)), { source: path });
  if (loaded.family === "mae") throw new Error(`${path}: an MAE, not a detector or student`);
  const probs = async (frames: Int32Array) =>
    (await evaluateSweep(loaded.detector, ds, frames, [input], [occ], { fill: "gray", patch: mae.mae.config.patchSize, composites: (f, o) => composites(f, o, 0, "") }))[0].evaluation.probs;
  const pTest = await probs(test);
  const yTest = gatherLabels(ds, test);
  const pChoose = await probs(choose);
  const thresholds = bestThresholds(pChoose, gatherLabels(ds, choose), n);
  const auc = ds.aus.map((_, a) => aucRoc(pTest, yTest, n, a));
  const at05 = f1AtThresholds(pTest, yTest, Array(n).fill(0.5));
  const chosen = f1AtThresholds(pTest, yTest, thresholds);
  const bound = f1AtThresholds(pTest, yTest, bestThresholds(pTest, yTest, n));
  const rates = positiveRates(pTest, yTest, n);
  process.stdout.write(
    `${name} ${input} ${occ} (${path}): mean AUC ${pct(mean(auc))}, F1 at 0.5 ${pct(mean(at05))}, at thresholds from ${val > 0 ? `${val} validation subjects` : "training faces"} ${pct(mean(chosen))}, at the test fold's best (bound) ${pct(mean(bound))}\n`,
  );
  for (let a = 0; a < n; a++) {
    process.stdout.write(`  AU${ds.aus[a]}`.padEnd(7) + ` AUC ${pct(auc[a])}  F1 ${pct(at05[a])} -> ${pct(chosen[a])} (t ${thresholds[a].toFixed(2)}), bound ${pct(bound[a])}; predicted positive ${rates.predicted[a].toFixed(2)}, labelled ${rates.labelled[a].toFixed(2)}\n`);
  }
  loaded.detector.dispose();
}
