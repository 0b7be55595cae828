// `maskau info`: versions and which compute backends initialise on this machine.
import { Command } from "commander";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { backendLabel, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";

const require = createRequire(import.meta.url);

const PACKAGES = [
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-backend-webgpu",
  "webgpu",
  "@observablehq/framework",
  "@observablehq/plot",
  "arquero",
];

/** Installed version of a package, found by walking up from its entry point (some packages do not export package.json). */
function version(name: string): string {
  let dir: string;
  try {
    dir = dirname(require.resolve(`${name}/package.json`));
  } catch {
    // a package whose exports hide package.json: start from its entry point
  }
  try {
    dir ??= dirname(require.resolve(name));
  } catch {
    return "not installed";
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    const file = join(dir, "package.json");
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
    if (pkg.name === name && pkg.version) return pkg.version;
  }
  return "unknown";
}

export interface BackendProbe {
  name: BackendName;
  ok: boolean;
  detail: string;
}

/** Tries each Node backend in turn; a failure is reported, not thrown. */
export async function probeBackends(names: BackendName[] = ["wasm", "cpu", "webgpu"]): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const name of names) {
    try {
      const info = await initNodeBackend(name);
      out.push({ name, ok: true, detail: backendLabel(info) });
    } catch (e) {
      out.push({ name, ok: false, detail: e instanceof Error ? e.message : String(e) });
    }
  }
  return out;
}

export function infoCommand(): Command {
  return new Command("info")
    .description("print versions and which compute backends initialise here")
    .option("--json", "machine-readable output")
    .action(async (opts: { json?: boolean }) => {
      const versions: Record<string, string> = {
        maskau: (require("../../package.json") as { version: string }).version,
        node: process.versions.node,
      };
      for (const p of PACKAGES) versions[p] = version(p);
      const backends = await probeBackends();
      if (opts.json) {
        process.stdout.write(JSON.stringify({ versions, backends }, null, 2) + "\n");
        return;
      }
      const width = Math.max(...Object.keys(versions).map((k) => k.length));
      process.stdout.write("versions\n");
      for (const [k, v] of Object.entries(versions)) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
      process.stdout.write("backends\n");
      for (const b of backends) process.stdout.write(`  ${b.name.padEnd(7)} ${b.ok ? "ok  " : "FAIL"}  ${b.detail}\n`);
      if (backends.some((b) => b.name === "webgpu" && !b.ok) && process.env.MASKAU_WEBGPU !== "swiftshader") {
        process.stdout.write("  (no GPU adapter: MASKAU_WEBGPU=swiftshader runs WebGPU on the SwiftShader software device)\n");
      }
    });
}
