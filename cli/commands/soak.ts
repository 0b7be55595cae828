// `maskau soak` (npm run soak): 1,000 training steps of each run kind through the run
// layer, with tfjs's live tensors and bytes after the warm-up and at the end; exits 1
// if anything grew. The runs and the check are src/lib/runs/soak.ts.
import { Command, InvalidArgumentError, Option } from "commander";
import { formatSoakTable, grew, soak, soakKinds } from "../../src/lib/runs/soak.js";
import type { RunKind } from "../../src/lib/runs/spec.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { progressBar } from "../progress.js";
import { addBackendOption, num } from "../options.js";

interface SoakOpts {
  kind: RunKind[];
  steps: number;
  warmup: number;
  backend: BackendName;
}

function kindArg(v: string): RunKind[] {
  const kinds = soakKinds();
  if (v === "all") return kinds;
  if (!kinds.includes(v as RunKind)) throw new InvalidArgumentError(`choose ${kinds.join(", ")} or all`);
  return [v as RunKind];
}

export function soakCommand(): Command {
  const cmd = new Command("soak")
    .description("train each run kind for many steps and check that live tensors and bytes stay flat after the warm-up (exit 1 if not)")
    .addOption(new Option("--kind <kind>", `${soakKinds().join(" | ")} | all`).argParser(kindArg).default(soakKinds(), "all"))
    .option("--steps <n>", "training steps of each run", num("--steps", { int: true, min: 2 }), 1000)
    .option("--warmup <n>", "step after which memory is first sampled", num("--warmup", { int: true, min: 1 }), 20);
  addBackendOption(cmd);
  return cmd.action(async (opts: SoakOpts) => {
    if (opts.warmup >= opts.steps) throw new Error(`--warmup ${opts.warmup} must be below --steps ${opts.steps}`);
    const info = await initNodeBackend(opts.backend);
    process.stderr.write(`${backendLabel(info)}\n`);
    let bar: ReturnType<typeof progressBar> | undefined;
    const rows = await soak(opts.kind, {
      steps: opts.steps,
      warmup: opts.warmup,
      onCase: (_, c) => {
        bar?.stop();
        bar = progressBar(c.label, opts.steps);
      },
      onStep: (step) => bar?.update(step),
    }).finally(() => bar?.stop());
    process.stdout.write(formatSoakTable(rows) + "\n");
    const grown = rows.filter(grew);
    if (grown.length) {
      process.stderr.write(`maskau soak: memory grew after step ${opts.warmup} in ${grown.map((r) => r.label).join(", ")}\n`);
      process.exitCode = 1;
    }
  });
}
