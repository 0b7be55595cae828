// `maskau reproduce paper`: the paper's protocol over folds and seeds (src/lib/protocol).
// Trains what is missing (resuming a run that was interrupted), reuses what is there,
// evaluates each fold and seed as soon as its runs are done (evaluate-node.ts: per-subject
// confusion counts for the tables and Fig. 3's curves) and adds it to the committed ledger,
// then aggregates the ledger into mean +- SD over runs, paired subject-bootstrap intervals of
// the differences that carry the paper's claims, and the curves with their intervals.
// Everything it did goes to protocol.json in the output folder: per run its command, whether
// it was trained or reused, its wall time and the SHA-256 of its checkpoint.
import { Command } from "commander";
import { spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { aggregateProtocol, PAPER_RESULTS, resultsMarkdown, type ProtocolEvalFile } from "../../src/lib/protocol/aggregate.js";
import { aggregateCurves, curvesMarkdown } from "../../src/lib/protocol/curves.js";
import { evaluateFoldSeed } from "../../src/lib/protocol/evaluate-node.js";
import { LEDGER_ROOT, readLedgerEvals, readLedgerRuns, writeLedger, type LedgerRun } from "../../src/lib/protocol/ledger-node.js";
import { planProtocol, protocolConfig, selectRuns, type PlannedRun } from "../../src/lib/protocol/plan.js";
import { PAPER_FIG3_DATASET } from "../../src/lib/eval/fig3.js";
import { ledgerCoverage, planGroups, planReport, roleTimes, runsCoveredByLedger, type LocalState } from "../../src/lib/protocol/status.js";
import { readCheckpointMeta, underLock, writeFileAtomic } from "../../src/lib/io/atomic-node.js";
import { loadData, loadMaeFile, loadResources, trainToFile, type LoadedData } from "../../src/lib/runs/node.js";
import type { RunSpec } from "../../src/lib/runs/spec.js";
import { nodeEnvironment, recordOfCheckpointFile, recordPathFor, sha256File, writeRecordFile, writeTrainingRecord } from "../../src/lib/records/node.js";
import { backendLabel, currentBackend, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { addBackendOption, num, phaseBars } from "../options.js";
import { trainFile } from "./train.js";

interface PaperOpts {
  dataset: string;
  folds?: string;
  seeds?: string;
  only?: string;
  quick: boolean;
  outDir?: string;
  resamples: number;
  margin: number;
  json?: string;
  markdown?: string;
  shipped: boolean;
  jobs: number;
  run?: string;
  docs?: string;
  records?: string;
  aggregateOnly: boolean;
  plan: boolean;
  rerun: boolean;
  ablations?: string | boolean;
  backend: BackendName;
}

/** The shipped fold-1, seed-0 checkpoints, trained by the plan's own commands: copied in rather than trained again. */
const SHIPPED: Record<string, string> = {
  "fold1/mae": "src/checkpoints/mae-tiny.safetensors",
  "fold1/seed0/clean": "src/checkpoints/detector-tiny-clean.safetensors",
  "fold1/seed0/teacher1-random0.5": "src/checkpoints/teacher-tiny-random0.5.safetensors",
  "fold1/seed0/teacher1-block0.3": "src/checkpoints/teacher-tiny-block0.3.safetensors",
  "fold1/seed0/teacher-random0.5": "src/checkpoints/teacher-tiny-mefl-random0.5.safetensors",
  "fold1/seed0/teacher-block0.3": "src/checkpoints/teacher-tiny-mefl-block0.3.safetensors",
  "fold1/seed0/student-random0.5": "src/checkpoints/student-tiny-random0.5.safetensors",
  "fold1/seed0/student-block0.3": "src/checkpoints/student-tiny-block0.3.safetensors",
};

const ints = (flag: string, s: string) =>
  s.split(",").map((x) => {
    const v = Number(x.trim());
    if (!Number.isInteger(v) || v < 0) throw new Error(`${flag} ${s}: expected a comma list of integers`);
    return v;
  });


/** The occlusions of --ablations: none without the flag, the protocol's first (random:0.5) with it alone. */
export function ablationsArg(value: string | boolean | undefined): string[] {
  if (!value) return [];
  if (value === true) return ["random:0.5"];
  const list = value.split(",").map((s) => s.trim()).filter(Boolean);
  if (list.length === 0) throw new Error(`--ablations ${value}: expected a comma list of occlusions such as random:0.5`);
  return list;
}

/** Step count and whether the file is a finished run (weights only at the last step) or one to resume. */
function checkpointState(path: string, steps: number): "finished" | "partial" {
  const meta = readCheckpointMeta(path);
  return (meta?.step ?? 0) >= steps && !meta?.trainer ? "finished" : "partial";
}

/** Where a run's checkpoint stands in the protocol's folder (a shipped one counts as there: it is copied in). */
function localState(run: PlannedRun, dir: string, useShipped: boolean): LocalState {
  const out = join(dir, run.out);
  if (existsSync(out)) return checkpointState(out, run.spec.train.steps) === "finished" ? { kind: "finished" } : { kind: "partial", step: readCheckpointMeta(out)?.step ?? 0 };
  return useShipped && SHIPPED[run.id] && existsSync(SHIPPED[run.id]) ? { kind: "shipped" } : { kind: "missing" };
}

/** Whether fold 1, seed 0 comes from the shipped checkpoints (BP4D's full protocol unless --no-shipped). */
const usesShipped = (opts: PaperOpts, source: string) => opts.shipped && !opts.quick && source === "synthetic:bp4d";

/** The spec with its model paths (relative to the protocol folder) resolved. */
function resolvePaths(spec: RunSpec, dir: string): RunSpec {
  const at = (ref: { path: string } | null | undefined) => (ref ? { ...ref, path: join(dir, ref.path) } : ref);
  if (spec.kind === "student") return { ...spec, mae: at(spec.mae)!, teacher: at(spec.teacher)! };
  if (spec.kind === "detector") return { ...spec, mae: at(spec.mae) ?? null, init: at(spec.init) ?? null };
  return spec;
}

type RunLog = LedgerRun;

export function paperCommand(): Command {
  const cmd = new Command("paper")
    .description("the paper's protocol: per fold an MAE, per fold and seed the clean detector, teachers, students and alpha = 0 controls; evaluation with subject-bootstrap intervals")
    .option("--dataset <name>", "bp4d | disfa (the synthetic presets)", "bp4d")
    .option("--folds <list>", "test folds (default 1,2,3; --quick: 1)")
    .option("--seeds <list>", "seeds (default 0,1,2; --quick: 0)")
    .option("--only <roles>", "comma list of roles to bring up to date (mae, clean, teacher1, teacher, student, student-a0, ablation, control1, control), or single ablations (ablation-node, ablation-t4, ...), and what they need")
    .option("--ablations [occlusions]", "also the distillation ablations and the control detector on occluded faces, for these occlusions (default: the first, random:0.5)")
    .option("--quick", "a few steps of everything on a small synthetic set: checks the chain end to end in minutes", false)
    .option("--out-dir <dir>", "where checkpoints, evaluations and protocol.json go (default runs/paper/<dataset>, --quick: runs/paper-quick/<dataset>)")
    .option("--resamples <n>", "bootstrap resamples", num("--resamples", { int: true, min: 10 }), 2000)
    .option("--margin <points>", "equivalence margin of student vs teacher, F1 points (fixed before running)", num("--margin"), 2)
    .option("--json <file>", "write the aggregated results (default <out-dir>/results.json)")
    .option("--markdown <file>", "write the results tables as markdown (default <out-dir>/results.md)")
    .option("--no-shipped", "train fold 1, seed 0 too instead of copying the shipped checkpoints")
    .option("--jobs <n>", "training runs at once, each in its own process with cores / n wasm threads (runs whose inputs are ready go first)", num("--jobs", { int: true, min: 1 }), 1)
    .option("--docs <file>", "also replace the results block of this markdown file (between <!-- results:DATASET --> and <!-- /results:DATASET -->), e.g. docs/results.md")
    .option("--records <dir>", `the ledger committed with the docs: each evaluation, run record and the run log are added to it, and the results are aggregated from every evaluation in it (default ${LEDGER_ROOT}/<dataset>; --quick: <out-dir>/ledger)`)
    .option("--aggregate-only", "no training or evaluation: rebuild the results (and --docs) from the ledger alone, no checkpoint needed", false)
    .option("--plan", "no training: print what the ledger has of each fold and seed, what is left to train here, and the ledger's logged time per kind of run", false)
    .option("--rerun", "also train (or reuse) and evaluate the runs the ledger already scored (by default they are skipped)", false)
    .option("--run <id>", "train this one run of the plan (its inputs must exist) and stop: what each process of --jobs does");
  addBackendOption(cmd);
  return cmd.action(async (opts: PaperOpts) => {
    const started = Date.now();
    const cfg = protocolConfig({
      dataset: opts.dataset,
      folds: opts.folds ? ints("--folds", opts.folds) : undefined,
      seeds: opts.seeds ? ints("--seeds", opts.seeds) : undefined,
      quick: opts.quick,
      ablations: ablationsArg(opts.ablations),
    });
    const only = opts.only ? opts.only.split(",").map((s) => s.trim()) : undefined;
    const plan = selectRuns(planProtocol(cfg), only);
    const dir = opts.outDir ?? join(opts.quick ? "runs/paper-quick" : "runs/paper", cfg.dataset);
    const ledger = opts.records ?? (opts.quick ? join(dir, "ledger") : join(LEDGER_ROOT, cfg.dataset));
    if (opts.aggregateOnly) {
      report(cfg.dataset, ledger, dir, opts, started, null);
      return;
    }
    // What the ledger already scored (with every curve point of its fold and seed) is not
    // trained again, so the protocol can be completed piece by piece on different machines.
    // (A --run child trains one run and reads no ledger.)
    const groups = planGroups(plan, cfg);
    const coverage = opts.run ? [] : ledgerCoverage(groups, existsSync(join(ledger, "evals")) ? readLedgerEvals(ledger) : [], cfg);
    const skipped = opts.rerun || opts.run ? new Set<string>() : runsCoveredByLedger(plan, coverage);
    if (opts.plan) {
      const local = new Map(plan.map((r) => [r.id, localState(r, dir, usesShipped(opts, cfg.data.source))]));
      const times = roleTimes(plan, skipped, local, readLedgerRuns(ledger));
      process.stdout.write(`protocol ${cfg.dataset}${opts.quick ? " (quick)" : ""}: folds ${cfg.folds.join(",")}, seeds ${cfg.seeds.join(",")}, ${plan.length} runs\n`);
      process.stdout.write(planReport(groups, coverage, skipped, local, times, { dir, ledger, rerun: opts.rerun }) + "\n");
      return;
    }
    const todo = plan.filter((r) => !skipped.has(r.id));
    mkdirSync(dir, { recursive: true });
    const info = await initNodeBackend(opts.backend);
    const phases = phaseBars();
    const data = await loadData(cfg.data, phases);
    phases.stop();
    if (!opts.run) {
      process.stderr.write(`protocol ${cfg.dataset}${opts.quick ? " (quick)" : ""}: folds ${cfg.folds.join(",")}, seeds ${cfg.seeds.join(",")}, ${todo.length} runs in ${dir}; ${backendLabel(info)}\n`);
      if (skipped.size > 0) process.stderr.write(`${skipped.size} runs already scored in the ledger are skipped (--rerun trains and evaluates them again): ${[...skipped].join(", ")}\n`);
    }

    if (opts.run) {
      const run = plan.find((r) => r.id === opts.run);
      if (!run) throw new Error(`--run ${opts.run}: no such run in this plan (ids look like fold1/seed0/teacher-random0.5)`);
      const out = join(dir, run.out);
      mkdirSync(dirname(out), { recursive: true });
      const trained = await trainOnce(run, dir, out, data);
      process.stderr.write(trained ? `wrote ${out} (${run.id})\n` : `${out} was finished by another process (${run.id})\n`);
      return;
    }
    // Evaluation: one file per fold and seed, as soon as that fold and seed's runs are done
    // (with --jobs, while the lanes train on), each added to the ledger at once, so that an
    // invocation cut short keeps every fold and seed it finished.
    // A fold and seed is evaluated once its runs that are not skipped are done; the rows of the skipped ones come from the ledger.
    const toEvaluate = groups.map((g) => ({ ...g, runs: g.runs.filter((r) => !skipped.has(r.id)) })).filter((g) => g.runs.length > 0);
    const evalFiles: ProtocolEvalFile[] = [];
    const begun = new Set<(typeof toEvaluate)[number]>();
    let evaluations = Promise.resolve();
    let evalError: Error | undefined;
    // Each writeLedger call names every run trained again; say each note once per invocation.
    const said = new Set<string>();
    const say = (notes: string[]) => notes.filter((n) => !said.has(n)).forEach((n) => (said.add(n), process.stderr.write(n + "\n")));
    const evaluateFinished = (done: Map<string, RunLog>) => {
      for (const g of toEvaluate) {
        if (begun.has(g) || ![g.maeRun, ...g.runs].every((r) => done.has(r.id))) continue;
        begun.add(g);
        const groupLogs = [g.maeRun, ...g.runs].map((r) => done.get(r.id)!);
        evaluations = evaluations
          .then(async () => {
            const t0 = Date.now();
            const file = await evaluateFoldSeed({ cfg, fold: g.fold, seed: g.seed, maeRun: g.maeRun, runs: g.runs, dir, ledger, data, logs: groupLogs, progress: phaseBars() });
            evalFiles.push(file);
            say(await writeLedger(ledger, dir, groupLogs, [file]));
            process.stderr.write(`evaluated fold ${g.fold}, seed ${g.seed} (${file.rows.length} rows, ${(file.curves ?? []).length} curve points, ${((Date.now() - t0) / 1000).toFixed(0)} s${file.reused ? ", reused" : ""}); added to the ledger\n`);
          })
          .catch((e: Error) => void (evalError ??= e));
      }
      return evaluations;
    };
    // A failed run stops the invocation, after the evaluations of what finished are in the ledger.
    const logs = await bringUpToDate(todo, dir, data, opts, evaluateFinished).catch(async (e: Error) => {
      await evaluations;
      throw e;
    });
    await evaluations;
    if (evalError) throw evalError;
    say(await writeLedger(ledger, dir, logs, []));
    const wall = (Date.now() - started) / 1000;
    writeFileSync(join(dir, "protocol.json"), JSON.stringify({ config: cfg, command: commandOf(opts), backend: backendLabel(info), wallSeconds: wall, runs: logs }, null, 1) + "\n");
    process.stderr.write(`added ${logs.length} runs and ${evalFiles.length} evaluations to the ledger in ${ledger}; wrote ${join(dir, "protocol.json")} (${(wall / 60).toFixed(1)} min)\n`);
    report(cfg.dataset, ledger, dir, opts, started, backendLabel(info));
  });
}

/** Aggregates every evaluation in the ledger and writes the results (JSON, markdown, --docs blocks: the tables and Fig. 3's curves). */
function report(dataset: string, ledger: string, dir: string, opts: PaperOpts, started: number, backend: string | null): void {
  const files = readLedgerEvals(ledger);
  const results = aggregateProtocol(files, { resamples: opts.resamples, margin: opts.margin / 100, seed: 0 });
  const curves = aggregateCurves(files, { resamples: opts.resamples, seed: 0 });
  const rebuild = `maskau reproduce paper --dataset ${dataset}${opts.records || opts.quick ? ` --records ${ledger}` : ""} --aggregate-only`;
  const markdown = resultsMarkdown(results, { command: rebuild, ledger, paper: PAPER_RESULTS[dataset], paperName: dataset.toUpperCase() });
  const curvesMd = curves ? curvesMarkdown(curves, { command: rebuild, paperPoint: dataset === PAPER_FIG3_DATASET }) : null;
  const jsonPath = opts.json ?? join(dir, "results.json");
  const mdPath = opts.markdown ?? join(dir, "results.md");
  mkdirSync(dirname(jsonPath), { recursive: true });
  mkdirSync(dirname(mdPath), { recursive: true });
  writeFileSync(jsonPath, JSON.stringify({ ...results, curves, command: rebuild, ledger, ...(backend ? { backend } : {}) }, null, 1) + "\n");
  const full = curvesMd ? `${markdown}\n\n${curvesMd}` : markdown;
  writeFileSync(mdPath, full + "\n");
  if (opts.docs) {
    let text = replaceBlock(readFileSync(opts.docs, "utf8"), `results:${dataset}`, markdown, opts.docs);
    if (curvesMd) text = replaceBlock(text, `fig3:${dataset}`, curvesMd, opts.docs);
    writeFileSync(opts.docs, text);
    process.stderr.write(`updated the results:${dataset}${curvesMd ? ` and fig3:${dataset}` : ""} blocks of ${opts.docs}\n`);
  }
  process.stdout.write(full + "\n");
  process.stderr.write(`aggregated ${files.length} evaluation${files.length === 1 ? "" : "s"} of ${ledger} into ${jsonPath} and ${mdPath} in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
}

/** What is to be done for a run: nothing (finished, shipped or copied) or training (fresh or resumed). Copies are written atomically. */
export async function prepare(run: PlannedRun, dir: string, useShipped: boolean): Promise<{ out: string; status: RunLog["status"]; note: string }> {
  const out = join(dir, run.out);
  mkdirSync(dirname(out), { recursive: true });
  const copy = async (from: string) => writeFileAtomic(out, readFileSync(from));
  if (!existsSync(out) && useShipped && SHIPPED[run.id] && existsSync(SHIPPED[run.id])) {
    await copy(SHIPPED[run.id]);
    return { out, status: "shipped", note: `copied the shipped ${SHIPPED[run.id]}` };
  }
  if (existsSync(out) && checkpointState(out, run.spec.train.steps) === "finished") return { out, status: "reused", note: `reusing ${out}` };
  if (run.copyOf) {
    // The same model as another run of the plan (ABLATIONS' sameAs), which is done (it is in `needs`).
    const from = join(dir, `${run.copyOf}.safetensors`);
    await copy(from);
    return { out, status: "copied", note: `copied ${from}: the same model as ${run.copyOf}` };
  }
  const resume = existsSync(out);
  return { out, status: resume ? "resumed" : "trained", note: `$ ${run.command}` };
}

/**
 * Trains every run of the plan that is not finished, in order (--jobs 1, in this process)
 * or up to --jobs at once in child processes (`--run ID`), each starting when the runs it
 * needs are done. A failed run stops new starts; the others finish and the error names its log.
 * After each run, `onDone` gets the runs done so far (one process: awaited before the next run).
 */
async function bringUpToDate(plan: PlannedRun[], dir: string, data: LoadedData, opts: PaperOpts, onDone: (done: Map<string, RunLog>) => Promise<void>): Promise<RunLog[]> {
  const useShipped = plan.length > 0 && usesShipped(opts, plan[0].spec.data.source);
  const logs = new Map<string, RunLog>();
  const finish = async (run: PlannedRun, status: RunLog["status"], t0: number) => {
    const out = join(dir, run.out);
    // Every checkpoint of the protocol has its run record beside it (training writes one; a copied or older file gets one here).
    if (!existsSync(recordPathFor(out))) await writeRecordFile(recordPathFor(out), recordOfCheckpointFile(out, { environment: nodeEnvironment("record", backendLabel(currentBackend())) }));
    logs.set(run.id, { id: run.id, role: run.role, command: run.command, status, seconds: (Date.now() - t0) / 1000, sha256: sha256File(out), backend: backendLabel(currentBackend()) });
  };
  const total = plan.length;
  const head = (run: PlannedRun) => `[${plan.indexOf(run) + 1}/${total}] ${run.id}`;
  if (opts.jobs === 1) {
    for (const run of plan) {
      const t0 = Date.now();
      const { out, status, note } = await prepare(run, dir, useShipped);
      process.stderr.write(`${head(run)}: ${note}\n`);
      if (status === "trained" || status === "resumed") await trainOnce(run, dir, out, data);
      await finish(run, status, t0);
      // One process: the evaluation of a finished fold and seed runs before the next training.
      await onDone(logs);
    }
    return plan.map((r) => logs.get(r.id)!);
  }
  const threads = Math.max(1, Math.floor(availableParallelism() / opts.jobs));
  const pending = [...plan];
  const running = new Map<string, Promise<void>>();
  let failure: Error | undefined;
  const childArgs = (id: string) => [
    "cli/maskau.mjs", "reproduce", "paper", "--dataset", opts.dataset, "--out-dir", dir, "--backend", opts.backend, "--run", id,
    ...(opts.folds ? ["--folds", opts.folds] : []), ...(opts.seeds ? ["--seeds", opts.seeds] : []), ...(opts.quick ? ["--quick"] : []),
    ...(opts.ablations ? ["--ablations", ...(typeof opts.ablations === "string" ? [opts.ablations] : [])] : []),
  ];
  while ((pending.length > 0 && !failure) || running.size > 0) {
    const ready = failure ? -1 : pending.findIndex((r) => r.needs.every((n) => logs.has(n)));
    if (ready >= 0 && running.size < opts.jobs) {
      const [run] = pending.splice(ready, 1);
      const t0 = Date.now();
      const { status, note } = await prepare(run, dir, useShipped);
      process.stderr.write(`${head(run)}: ${note}\n`);
      if (status !== "trained" && status !== "resumed") {
        await finish(run, status, t0);
        void onDone(logs);
        continue;
      }
      const logPath = join(dir, "logs", `${run.id.replace(/\//g, "-")}.log`);
      mkdirSync(dirname(logPath), { recursive: true });
      const job = new Promise<void>((resolve) => {
        const child = spawn(process.execPath, childArgs(run.id), { env: { ...process.env, MASKAU_WASM_THREADS: String(threads) }, stdio: ["ignore", "pipe", "pipe"] });
        const log = createWriteStream(logPath);
        child.stdout.pipe(log);
        child.stderr.pipe(log);
        child.on("close", async (code) => {
          if (code === 0) {
            await finish(run, status, t0).catch((e: Error) => (failure ??= e));
            process.stderr.write(`${head(run)}: done in ${((Date.now() - t0) / 60000).toFixed(1)} min\n`);
            // The lanes train on while this process evaluates a fold and seed they finished.
            void onDone(logs);
          } else failure ??= new Error(`${run.id} failed (exit ${code}); its output is in ${logPath}`);
          running.delete(run.id);
          resolve();
        });
      });
      running.set(run.id, job);
      continue;
    }
    if (running.size === 0) break;
    await Promise.race(running.values());
  }
  if (failure) throw failure;
  return plan.map((r) => logs.get(r.id)!);
}

/** `text` with the lines between <!-- NAME --> and <!-- /NAME --> replaced by `body`. */
export function replaceBlock(text: string, name: string, body: string, file: string): string {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const a = text.indexOf(open);
  const b = text.indexOf(close);
  if (a < 0 || b < a) throw new Error(`--docs ${file}: no "${open}" ... "${close}" block to replace; add the two markers where the tables go`);
  return `${text.slice(0, a + open.length)}\n${body}\n${text.slice(b)}`;
}

function commandOf(opts: PaperOpts): string {
  const ablations = opts.ablations ? `--ablations${typeof opts.ablations === "string" ? ` ${opts.ablations}` : ""}` : "";
  return ["maskau reproduce paper", `--dataset ${opts.dataset}`, opts.folds ? `--folds ${opts.folds}` : "", opts.seeds ? `--seeds ${opts.seeds}` : "", opts.only ? `--only ${opts.only}` : "", ablations, opts.quick ? "--quick" : ""]
    .filter(Boolean)
    .join(" ");
}

/**
 * Trains a run unless another process is training it: invocations side by side that plan
 * the same run train it once (the lock beside its checkpoint), the others wait for it to
 * finish. One whose holder died is resumed from the last checkpoint it wrote. Returns
 * whether this process trained it.
 */
async function trainOnce(run: PlannedRun, dir: string, out: string, data: LoadedData): Promise<boolean> {
  const finished = async () => (existsSync(out) && checkpointState(out, run.spec.train.steps) === "finished" ? false : undefined);
  const wait = () => process.stderr.write(`${run.id}: another process is training it (${out}.lock); waiting for it to finish\n`);
  return underLock(`${out}.lock`, finished, async () => (await trainPlanned(run, dir, out, data, existsSync(out)), true), { onWait: wait });
}

/** Trains one planned run (students of a teacher the ablations share read its outputs precomputed: run.teacherTargets). */
async function trainPlanned(run: PlannedRun, dir: string, out: string, data: LoadedData, resume: boolean): Promise<void> {
  const spec = resolvePaths(run.spec, dir);
  if (spec.kind === "pretrain") {
    const resources = await loadResources(spec, undefined, { data });
    const trained = await trainToFile(resources.spec, resources, { out, resume, optimizerState: false, createdBy: run.command });
    trained.dispose();
    await writeTrainingRecord(out, backendLabel(currentBackend()));
    return;
  }
  const maePath = spec.kind === "student" ? spec.mae.path : spec.mae?.path;
  const maeFile = maePath ? loadMaeFile(maePath) : undefined;
  try {
    const trained = await trainFile(spec, out, { resume, createdBy: run.command, preloaded: { data, mae: maeFile, teacherTargets: run.teacherTargets } });
    trained.dispose();
  } finally {
    maeFile?.mae.dispose();
  }
}
