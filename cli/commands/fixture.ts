// `maskau fixture check FILE.safetensors`: runs a reference fixture (weights, inputs
// and outputs of the official PyTorch code) through MaskAU and prints, per tensor,
// the max abs and rel error against the recorded value; exits 1 if any tensor is
// outside the sidecar's tolerance.
import { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { basename } from "node:path";
import { parseFixture, type Comparison } from "../../src/lib/io/fixture.js";
import { checkFixture } from "../../src/lib/fixtures/index.js";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";

/** The sidecar of `x.safetensors` is `x.json` beside it. */
export function sidecarPathFor(file: string): string {
  return file.replace(/\.safetensors$/, "") + ".json";
}

function fmt(x: number): string {
  if (Number.isNaN(x)) return "-";
  if (x === 0) return "0";
  return x.toExponential(2);
}

export function formatRows(rows: Comparison[]): string {
  const width = Math.max(6, ...rows.map((r) => r.name.length));
  const lines = [
    `${"tensor".padEnd(width)}  ${"role".padEnd(14)} ${"rule".padEnd(8)} ${"max abs".padStart(9)} ${"max rel".padStart(9)} ${"atol".padStart(9)}  result`,
  ];
  for (const r of rows) {
    const result = r.ok ? "ok" : `FAIL${r.problem ? ` (${r.problem})` : ` (${r.failures} elements)`}`;
    lines.push(
      `${r.name.padEnd(width)}  ${r.role.padEnd(14)} ${r.compare.padEnd(8)} ${fmt(r.maxAbs).padStart(9)} ${fmt(r.maxRel).padStart(9)} ${fmt(r.atol).padStart(9)}  ${result}`,
    );
  }
  return lines.join("\n");
}

export function fixtureCommand(): Command {
  const fixture = new Command("fixture").description("reference fixtures computed by the official PyTorch code");
  fixture
    .command("check")
    .description("run a fixture through MaskAU and compare every recorded output (exit 1 on any mismatch)")
    .argument("<files...>", "fixture .safetensors files (each with its .json sidecar beside it)")
    .option("--backend <name>", "wasm | cpu | webgpu", "wasm")
    .option("--sidecar <file>", "sidecar JSON (default: FILE.json beside FILE.safetensors; only with one file)")
    .option("--json", "print one JSON object per fixture instead of tables")
    .action(async (files: string[], opts: { backend: BackendName; sidecar?: string; json?: boolean }) => {
      if (opts.sidecar && files.length > 1) throw new Error("--sidecar can only be used with a single fixture file");
      const info = await initNodeBackend(opts.backend);
      if (!opts.json) process.stdout.write(`backend: ${backendLabel(info)}\n`);
      let failed = 0;
      for (const file of files) {
        const sidecar = opts.sidecar ?? sidecarPathFor(file);
        if (!existsSync(file)) throw new Error(`${file}: no such file`);
        if (!existsSync(sidecar)) throw new Error(`${file}: its sidecar ${sidecar} is missing (pass --sidecar FILE.json)`);
        const parsed = parseFixture(new Uint8Array(readFileSync(file)), readFileSync(sidecar, "utf8"), basename(file));
        const check = await checkFixture(parsed);
        if (!check.ok) failed++;
        if (opts.json) {
          process.stdout.write(JSON.stringify({ file, ...check, backend: info.name }) + "\n");
        } else {
          process.stdout.write(`\n${basename(file)} (kind ${check.kind}): ${check.ok ? "PASS" : "FAIL"}\n${formatRows(check.rows)}\n`);
        }
      }
      if (!opts.json) process.stdout.write(`\n${files.length - failed}/${files.length} fixtures pass\n`);
      if (failed) process.exitCode = 1;
    });
  return fixture;
}
