// `maskau reproduce table2`: the four conditions of the paper's Table 2 on one fold.
//   (a) a detector trained and tested on clean faces
//   (b) (a) tested on occluded faces (each occlusion, removed patches painted with --fill)
//   (c) (a) tested on the MAE composites of those occluded faces
//   (d) the teacher: a detector trained and tested on MAE composites (one per occlusion);
//       by default it starts from (a)'s weights (our stand-in for the pretrained backbone
//       ME-GraphAU starts from) and sees several cached occlusions of each training face
// Each training run is a detector spec of the run layer, the same as a `maskau train
// detector` command (printed, and recorded in each checkpoint's createdBy); the table is
// printed as markdown and written as JSON. Existing checkpoints in --out-dir are reused
// unless --retrain.
import { Command } from "commander";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Evaluation } from "../../src/lib/eval/evaluate.js";
import type { Table2Row } from "../../src/lib/eval/table2.js";
import type { Fill } from "../../src/lib/masks/fill.js";
import { DETECTOR_DEFAULTS, resolveDetector, TEACHER_FINETUNE_DEFAULTS } from "../../src/lib/registry.js";
import { nodeEnvironment, recordOfCheckpointFile, recordPathFor, writeRecordFile } from "../../src/lib/records/node.js";
import { describeFold, loadData, loadMaeFile } from "../../src/lib/runs/node.js";
import { detectorSpec } from "../../src/lib/runs/spec.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { addBackendOption, commandLine, fillArg, num, phaseBars } from "../options.js";
import { evaluateFile } from "./eval.js";
import { fig3Command } from "./reproduce-fig3.js";
import { paperCommand } from "./reproduce-paper.js";
import { trainDetectorFile, type PhaseTimes } from "./train.js";

interface ReproduceOpts {
  data: string;
  dataSeed: number;
  fold: number;
  mae: string;
  occlusions: string;
  fill: Fill;
  preset: string;
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  seed: number;
  teacherInit: "clean" | "scratch";
  teacherSteps: number;
  teacherLr: number;
  compositeVariants: number;
  outDir: string;
  retrain: boolean;
  json?: string;
  backend: BackendName;
}

/** Markdown table of per-AU F1 (%) rows. */
export function table2Markdown(rows: Table2Row[], aus: number[]): string {
  const head = `| condition | trained on | tested on | ${aus.map((a) => `AU${a}`).join(" | ")} | mean F1 |`;
  const sep = `|---|---|---|${aus.map(() => "---:").join("|")}|---:|`;
  const body = rows.map((r) => `| ${r.condition} | ${r.train} | ${r.test} | ${r.f1.map((v) => (100 * v).toFixed(1)).join(" | ")} | **${(100 * r.meanF1).toFixed(1)}** |`);
  return [head, sep, ...body].join("\n");
}

export function reproduceCommand(): Command {
  const reproduce = new Command("reproduce").description("reproduce the paper's tables on the default dataset");
  const D = DETECTOR_DEFAULTS;
  const T = TEACHER_FINETUNE_DEFAULTS;
  const cmd = reproduce
    .command("table2")
    .description("Table 2: (a) clean detector, (b) on occluded faces, (c) on MAE composites, (d) teacher trained on composites")
    .option("--data <spec>", "dataset", "synthetic")
    .option("--data-seed <n>", "seed of the synthetic generator", num("--data-seed", { int: true }), 1)
    .option("--fold <k>", "test fold (1-based); the MAE must have been pretrained without it", num("--fold", { int: true, min: 1 }), 1)
    .option("--mae <file>", "pretrained MAE (tiny preset, same held-out fold)", "src/checkpoints/mae-tiny.safetensors")
    .option("--occlusions <list>", "comma list of occlusions", "random:0.5,block:0.3")
    .option("--fill <kind>", "paint of removed patches in (b)", fillArg, "gray")
    .option("--preset <name>", "detector model", "detector/resnet-tiny")
    .option("--steps <n>", "steps of the clean detector's run", num("--steps", { int: true, min: 1 }), D.steps)
    .option("--batch <n>", "images per step", num("--batch", { int: true, min: 2 }), D.batch)
    .option("--lr <x>", "peak learning rate of the clean detector", num("--lr"), D.lr)
    .option("--warmup <n>", "warmup steps", num("--warmup", { int: true }), D.warmup)
    .option("--seed <n>", "seed of every training run", num("--seed", { int: true }), 0)
    .option("--teacher-init <from>", 'teachers start from the clean detector (a) ("clean", our stand-in for a pretrained backbone) or from scratch', "clean")
    .option("--teacher-steps <n>", "steps of each teacher run", num("--teacher-steps", { int: true, min: 1 }), T.steps)
    .option("--teacher-lr <x>", "peak learning rate of the teacher runs", num("--teacher-lr"), T.lr)
    .option("--composite-variants <k>", "occlusions per training face for the teachers (cached composites)", num("--composite-variants", { int: true, min: 1 }), T.compositeVariants)
    .option("--out-dir <dir>", "where the checkpoints go", "runs/table2")
    .option("--retrain", "train again even where a checkpoint exists", false)
    .option("--json <file>", "write the table as JSON (default <out-dir>/table2.json)");
  addBackendOption(cmd);
  cmd.action(async (opts: ReproduceOpts) => {
    const started = performance.now();
    /** Wall seconds per part of the run, for the breakdown printed at the end. */
    const timings: { part: string; seconds: number }[] = [];
    const timed = async <T>(part: string, work: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const result = await work();
      timings.push({ part, seconds: (performance.now() - t0) / 1000 });
      return result;
    };
    if (opts.teacherInit !== "clean" && opts.teacherInit !== "scratch") throw new Error('--teacher-init must be "clean" or "scratch"');
    const model = resolveDetector(opts.preset);
    const info = await initNodeBackend(opts.backend);
    const phases = phaseBars();
    const dataSpec = { source: opts.data, seed: opts.dataSeed, size: model.config({ head: "anfl", numClasses: 1 }).imgSize };
    const data = await timed("data", () => loadData(dataSpec, phases));
    const mae = loadMaeFile(opts.mae);
    const occlusions = opts.occlusions.split(",").map((s) => s.trim()).filter(Boolean);
    mkdirSync(opts.outDir, { recursive: true });
    process.stderr.write(`Table 2 on ${describeFold(data.dataset, opts.fold)}; MAE ${opts.mae}; ${backendLabel(info)}\n`);
    const dataArgs = `--data ${opts.data} --data-seed ${opts.dataSeed} --fold ${opts.fold}`;
    const cleanOut = join(opts.outDir, "a-clean.safetensors");
    const train = async (name: string, input: "clean" | "composite", occlusion: string): Promise<string> => {
      const out = join(opts.outDir, `${name}.safetensors`);
      const teacher = input === "composite";
      const init = teacher && opts.teacherInit === "clean" ? cleanOut : undefined;
      const steps = teacher ? opts.teacherSteps : opts.steps;
      const lr = teacher ? opts.teacherLr : opts.lr;
      const warmup = teacher && init ? Math.min(opts.warmup, T.warmup) : opts.warmup;
      const variants = teacher ? opts.compositeVariants : 1;
      const command =
        `maskau train detector ${dataArgs} --occlusion ${occlusion} --input ${input}` +
        (teacher ? ` --mae ${opts.mae} --composite-variants ${variants}` : "") +
        ` --stage 1 --preset ${model.name} --steps ${steps} --batch ${opts.batch} --lr ${lr} --warmup ${warmup} --seed ${opts.seed}` +
        (init ? ` --init ${init}` : "") +
        ` --out ${out}`;
      if (existsSync(out) && !opts.retrain) {
        process.stderr.write(`reusing ${out}\n`);
        // A checkpoint trained before runs left records gets one now (its environment: this process's).
        const record = recordPathFor(out);
        if (!existsSync(record)) {
          await writeRecordFile(record, recordOfCheckpointFile(out, { recordCommand: commandLine(), environment: nodeEnvironment("record", backendLabel(info)) }));
          process.stderr.write(`wrote ${record}\n`);
        }
        return out;
      }
      process.stderr.write(`$ ${command}\n`);
      const spec = detectorSpec({
        model: model.name,
        data: dataSpec,
        fold: opts.fold,
        seed: opts.seed,
        stage: 1,
        input,
        occlusion,
        fill: opts.fill,
        mae: teacher ? { path: opts.mae } : null,
        compositeVariants: variants,
        init: init ? { path: init } : null,
        train: { steps, batch: opts.batch, lr, warmup, minLr: D.minLr, weightDecay: D.weightDecay, checkpointEvery: D.checkpointEvery },
      });
      const times: PhaseTimes = {};
      const run = await trainDetectorFile(spec, out, { createdBy: command, preloaded: { data, mae: teacher ? mae : undefined }, phaseTimes: times });
      run.dispose();
      timings.push(
        { part: `${name}: ${teacher ? "composites and " : ""}setup`, seconds: times.prepare ?? 0 },
        { part: `${name}: ${steps} training steps`, seconds: times.train ?? 0 },
        { part: `${name}: test-fold evaluation and checkpoint`, seconds: times.finish ?? 0 },
      );
      return out;
    };
    const rows: Table2Row[] = [];
    const push = (condition: string, trainedOn: string, test: string, ckpt: string, ev: Evaluation) =>
      rows.push({ condition, label: `${condition} ${test}`, train: trainedOn, test, ckpt, f1: ev.f1, meanF1: ev.meanF1 });

    const clean = await train("a-clean", "clean", "none");
    const evA = await timed("(a), (b), (c) evaluated", () => evaluateFile(clean, ["clean", "occluded", "composite"], occlusions, { fill: opts.fill, mae, data, fold: opts.fold }));
    for (const r of evA.rows) push(r.input === "clean" ? "(a)" : r.input === "occluded" ? "(b)" : "(c)", "clean", r.label, clean, r.evaluation);
    for (const occ of occlusions) {
      const teacher = await train(`d-teacher-${occ.replace(/[^A-Za-z0-9.]+/g, "-")}`, "composite", occ);
      const [r] = (await timed(`(d) ${occ} evaluated`, () => evaluateFile(teacher, ["composite"], [occ], { fill: opts.fill, mae, data, fold: opts.fold }))).rows;
      push("(d)", `composite ${occ}`, r.label, teacher, r.evaluation);
    }
    const order = ["(a)", "(b)", "(c)", "(d)"];
    rows.sort((x, y) => order.indexOf(x.condition) - order.indexOf(y.condition));
    const aus = data.dataset.aus;
    process.stdout.write(table2Markdown(rows, aus) + "\n");
    const jsonPath = opts.json ?? join(opts.outDir, "table2.json");
    const wallSeconds = (performance.now() - started) / 1000;
    const backend = backendLabel(info);
    writeFileSync(jsonPath, JSON.stringify({ dataset: data.description, fold: opts.fold, mae: mae.ref, aus, rows, backend, wallSeconds, timings }, null, 2) + "\n");
    process.stderr.write(`wrote ${jsonPath}\n`);
    process.stderr.write(timingsTable(timings, wallSeconds, backend));
    mae.mae.dispose();
  });
  reproduce.addCommand(fig3Command());
  reproduce.addCommand(paperCommand());
  return reproduce;
}

/** The run's wall time per part, as a Markdown table (parts under a second are summed in "other"). */
export function timingsTable(timings: readonly { part: string; seconds: number }[], wallSeconds: number, backend: string): string {
  const shown = timings.filter((t) => t.seconds >= 1);
  const other = wallSeconds - shown.reduce((a, t) => a + t.seconds, 0);
  const rows = [...shown, { part: "other (loading, small parts)", seconds: Math.max(0, other) }];
  const fmt = (s: number) => (s >= 60 ? `${Math.floor(s / 60)} min ${Math.round(s % 60)} s` : `${s.toFixed(1)} s`);
  return (
    `\nWall time ${fmt(wallSeconds)} on ${backend}:\n\n| part | time | share |\n|---|---:|---:|\n` +
    rows.map((t) => `| ${t.part} | ${fmt(t.seconds)} | ${((100 * t.seconds) / wallSeconds).toFixed(0)}% |`).join("\n") +
    "\n"
  );
}
