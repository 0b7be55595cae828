// `maskau reproduce fig3`: mean F1 against occlusion (the paper's Fig. 3: random patches,
// 10-70%) for the models of Table 2 on one test fold, on the same faces and masks:
//   (b) the clean detector on occluded faces
//   (c) the clean detector on the MAE composites of those faces
//   (d) the stage-2 teacher on the composites
//   (e) the student on the occluded faces
// A test face's mask is a function of its frame index and the occlusion, so every model
// sees the same occlusion of each face at each level. Other occlusions (block areas,
// regions) and fills are MaskAU's extensions: pass them with --occlusions and --fill.
// --fill takes a comma list: (b) and (e) are then scored under each fill, and the record
// lists the fills and names each occluded point's. (c) and (d) are scored once, under the
// first fill, and name none: the MAE reads the visible patches alone, so the composites are
// the same bytes under every fill (tests/lib/eval/held-out-sweep.test.ts) and so are their
// scores (tests/cli/student.test.ts compares them with a one-fill run of another fill).
// The result is printed as a markdown table and written as JSON (src/data/fig3.json by
// default, which the pages read).
import { Command } from "commander";
import { writeFileSync } from "node:fs";
import type { InputKind } from "../../src/lib/eval/conditions.js";
import { fillKey, PAPER_FIG3, type Fig3File, type Fig3Point } from "../../src/lib/eval/fig3.js";
import { parseOcclusion } from "../../src/lib/masks/spec.js";
import type { Fill } from "../../src/lib/masks/fill.js";
import { loadData, loadMaeFile, describeFold, type LoadedData } from "../../src/lib/runs/node.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { addBackendOption, fillsArg, listOf, num, OCCLUSION_HELP } from "../options.js";
import { evaluateFile } from "./eval.js";

/**
 * Mean F1 (%) per condition (rows) and occlusion (columns), as markdown; with points of
 * several fills, one row per condition and fill, the fill in a column of its own ("any" for
 * the composites, the same under every fill).
 */
export function fig3Markdown(points: Fig3Point[], occlusions: string[]): string {
  const several = new Set(points.flatMap((p) => (p.fill === undefined ? [] : [fillKey(p.fill)]))).size > 1;
  const model = (p: Fig3Point) => `${p.condition} ${p.model}`;
  const rowOf = (p: Fig3Point) => (several ? `${model(p)} | ${p.fill === undefined ? "any" : fillKey(p.fill)}` : model(p));
  const rows = [...new Set(points.map(rowOf))];
  const head = `| model |${several ? " fill |" : ""} ${occlusions.join(" | ")} |`;
  const sep = `|---|${several ? "---|" : ""}${occlusions.map(() => "---:").join("|")}|`;
  const body = rows.map((r) => {
    const cells = occlusions.map((o) => {
      const p = points.find((q) => rowOf(q) === r && q.occlusion === o);
      return p ? (100 * p.meanF1).toFixed(1) : "";
    });
    return `| ${r} | ${cells.join(" | ")} |`;
  });
  return [head, sep, ...body].join("\n");
}

interface Fig3Opts {
  data: string;
  dataSeed: number;
  fold: number;
  mae: string;
  clean: string;
  teacher: string;
  student: string;
  occlusions: string;
  fill: Fill[];
  json: string;
  backend: BackendName;
}

export function fig3Command(): Command {
  const cmd = new Command("fig3")
    .description("Fig. 3: mean F1 against occlusion for (b) occluded, (c) composites, (d) the teacher and (e) the student on one test fold")
    .option("--data <spec>", "dataset", "synthetic")
    .option("--data-seed <n>", "seed of the synthetic generator", num("--data-seed", { int: true }), 1)
    .option("--fold <k>", "test fold (1-based); every model must have been trained without it", num("--fold", { int: true, min: 1 }), 1)
    .option("--mae <file>", "the MAE that makes the composites (and the teacher's)", "src/checkpoints/mae-tiny.safetensors")
    .option("--clean <file>", "the clean detector, for (b) and (c)", "src/checkpoints/detector-tiny-clean.safetensors")
    .option("--teacher <file>", "the teacher, for (d) (on composites)", "src/checkpoints/teacher-tiny-mefl-random0.5.safetensors")
    .option("--student <file>", "the student, for (e) (on occluded faces)", "src/checkpoints/student-tiny-random0.5.safetensors")
    .option("--occlusions <list>", `comma list of occlusions: ${OCCLUSION_HELP}`, [1, 2, 3, 4, 5, 6, 7].map((k) => `random:0.${k}`).join(","))
    .option("--fill <list>", "paint of the removed patches in (b) and (e); a comma list scores every model under each", fillsArg, ["gray"])
    .option("--json <file>", "where the points go", "src/data/fig3.json");
  addBackendOption(cmd);
  cmd.action(async (opts: Fig3Opts) => {
    const occlusions = listOf(opts.occlusions);
    for (const o of occlusions) parseOcclusion(o);
    const info = await initNodeBackend(opts.backend);
    const data: LoadedData = await loadData({ source: opts.data, seed: opts.dataSeed, size: 64 });
    const mae = loadMaeFile(opts.mae);
    process.stderr.write(`Fig. 3 on ${describeFold(data.dataset, opts.fold)}; ${backendLabel(info)}\n`);
    const points: Fig3Point[] = [];
    const fills = opts.fill;
    const several = fills.length > 1;
    const models: [string, string, InputKind[], Record<string, string>][] = [
      ["clean detector", opts.clean, ["occluded", "composite"], { occluded: "(b)", composite: "(c)" }],
      ["teacher", opts.teacher, ["composite"], { composite: "(d)" }],
      ["student", opts.student, ["occluded"], { occluded: "(e)" }],
    ];
    try {
      for (const [k, fill] of fills.entries()) {
        for (const [model, ckpt, all, conditions] of models) {
          const inputs = k === 0 ? all : all.filter((i) => i === "occluded");
          if (inputs.length === 0) continue;
          process.stderr.write(`${model}${several ? `, fill ${fillKey(fill)}` : ""}: ${ckpt}\n`);
          const { rows } = await evaluateFile(ckpt, inputs, occlusions, { fill, mae, data, fold: opts.fold });
          for (const r of rows) {
            // A one-fill record keeps its fill once, at the top (the shape of the records before fills were swept).
            const own = several && r.input === "occluded" ? { fill } : {};
            points.push({ condition: conditions[r.input], model, ckpt, input: r.input, occlusion: r.occlusion, ...own, f1: r.evaluation.f1, meanF1: r.evaluation.meanF1 });
          }
        }
      }
    } finally {
      mae.mae.dispose();
    }
    const order = ["(b)", "(c)", "(d)", "(e)"];
    const fillIndex = (p: Fig3Point) => (p.fill === undefined ? -1 : fills.indexOf(p.fill));
    points.sort((x, y) => order.indexOf(x.condition) - order.indexOf(y.condition) || fillIndex(x) - fillIndex(y) || occlusions.indexOf(x.occlusion) - occlusions.indexOf(y.occlusion));
    process.stdout.write(`mean F1 (%), test fold ${opts.fold}\n` + fig3Markdown(points, occlusions) + "\n");
    const command = `maskau reproduce fig3 ${process.argv.slice(4).join(" ")}`.trim();
    const file: Fig3File = { command, dataset: data.description, fold: opts.fold, fill: fills[0], ...(several ? { fills } : {}), aus: data.dataset.aus, occlusions, points, paper: PAPER_FIG3 };
    writeFileSync(opts.json, JSON.stringify(file, null, 2) + "\n");
    process.stderr.write(`wrote ${opts.json}\n`);
  });
  return cmd;
}
