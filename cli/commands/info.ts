// `maskau info`: versions and which compute backends initialise on this machine, one
// line per backend; what a backend prints while it is tried (tfjs warnings, Dawn's
// Vulkan messages) is kept for --json and summarised, not passed on to stderr.
import { Command, Option } from "commander";
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { backendLabel, isBackendName, type BackendName } from "../../src/lib/tf/backend.js";
import { initNodeBackend } from "../../src/lib/tf/node.js";
import { installedVersion } from "../../src/lib/records/node.js";

const require = createRequire(import.meta.url);
const run = promisify(execFile);

const PACKAGES = [
  "@tensorflow/tfjs-core",
  "@tensorflow/tfjs-backend-wasm",
  "@tensorflow/tfjs-backend-webgpu",
  "webgpu",
  "@observablehq/framework",
  "@observablehq/plot",
  "arquero",
];

export interface BackendProbe {
  name: BackendName;
  ok: boolean;
  /** One line: what runs, or why it does not. */
  detail: string;
  /** What the backend printed while it was tried (tfjs warnings, Dawn's Vulkan messages), for --json. */
  log?: string[];
}

/**
 * Tries one backend in this process; a failure is reported, not thrown. tfjs reports a
 * failed initialisation with console.warn (a line and the error's stack): that is kept
 * in `log`, and the error's first line becomes the detail.
 */
async function probeHere(name: BackendName): Promise<BackendProbe> {
  const log: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void log.push(args.map((a) => (a instanceof Error ? (a.stack ?? a.message) : String(a))).join(" "));
  try {
    const info = await initNodeBackend(name);
    return { name, ok: true, detail: backendLabel(info), log };
  } catch (e) {
    const cause = log.flatMap((l) => l.split("\n")).find((l) => /^\w*Error: /.test(l.trim()));
    const detail = cause ? cause.trim().replace(/^\w*Error: /, "") : e instanceof Error ? e.message : String(e);
    return { name, ok: false, detail, log };
  } finally {
    console.warn = warn;
  }
}

/** What Dawn's Vulkan messages on stderr say, in a few words (null when they say nothing known). */
export function summariseDawnLog(stderr: string): string | null {
  if (/vkCreateInstance: Found no drivers|VK_ERROR_INCOMPATIBLE_DRIVER/.test(stderr)) return "Vulkan found no GPU driver";
  if (/vkEnumeratePhysicalDevices|no physical devices/i.test(stderr)) return "Vulkan found no GPU";
  return null;
}

/**
 * Tries WebGPU in a child process: Dawn writes its Vulkan warnings straight to the
 * process's stderr, where this process cannot catch them, so the child's stderr is
 * captured and summarised instead.
 */
async function probeInChild(name: BackendName): Promise<BackendProbe> {
  const entry = fileURLToPath(new URL("../maskau.mjs", import.meta.url));
  try {
    const { stdout, stderr } = await run(process.execPath, [...process.execArgv, entry, "info", "--probe", name], { timeout: 120_000, maxBuffer: 4 << 20 });
    const probe = JSON.parse(stdout) as BackendProbe;
    const log = [...(probe.log ?? []), ...stderr.split("\n").map((l) => l.trimEnd()).filter(Boolean)];
    const dawn = probe.ok ? null : summariseDawnLog(stderr);
    return { ...probe, detail: dawn ? `${probe.detail} (${dawn})` : probe.detail, log };
  } catch (e) {
    const err = e as { stderr?: string; message?: string };
    return { name, ok: false, detail: `the probe failed: ${(err.message ?? String(e)).split("\n")[0]}`, log: (err.stderr ?? "").split("\n").filter(Boolean) };
  }
}

/** Tries each Node backend: wasm and cpu here, webgpu in a child process (see probeInChild). */
export async function probeBackends(names: BackendName[] = ["wasm", "cpu", "webgpu"]): Promise<BackendProbe[]> {
  const out: BackendProbe[] = [];
  for (const name of names) out.push(name === "webgpu" ? await probeInChild(name) : await probeHere(name));
  return out;
}

export function infoCommand(): Command {
  return new Command("info")
    .description("print versions and which compute backends initialise here")
    .option("--json", "machine-readable output")
    .addOption(new Option("--probe <backend>", "try one backend and print the result as JSON (what info runs in a child process)").hideHelp())
    .action(async (opts: { json?: boolean; probe?: string }) => {
      if (opts.probe !== undefined) {
        if (!isBackendName(opts.probe)) throw new Error(`unknown backend "${opts.probe}"`);
        process.stdout.write(JSON.stringify(await probeHere(opts.probe)) + "\n");
        return;
      }
      const versions: Record<string, string> = {
        maskau: (require("../../package.json") as { version: string }).version,
        node: process.versions.node,
      };
      for (const p of PACKAGES) versions[p] = installedVersion(p);
      const backends = await probeBackends();
      if (opts.json) {
        process.stdout.write(JSON.stringify({ versions, backends }, null, 2) + "\n");
        return;
      }
      const width = Math.max(...Object.keys(versions).map((k) => k.length));
      process.stdout.write("versions\n");
      for (const [k, v] of Object.entries(versions)) process.stdout.write(`  ${k.padEnd(width)}  ${v}\n`);
      process.stdout.write("backends\n");
      for (const b of backends) {
        const hint = b.name === "webgpu" && !b.ok && process.env.MASKAU_WEBGPU !== "swiftshader" ? "; MASKAU_WEBGPU=swiftshader runs it on the SwiftShader software device" : "";
        process.stdout.write(`  ${b.name.padEnd(7)} ${b.ok ? "ok  " : "FAIL"}  ${b.detail}${hint}\n`);
      }
    });
}
