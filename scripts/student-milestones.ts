// Validation F1 along one student schedule: trains a student (random:0.5, the shipped MAE and
// stage-2 teacher, 5 training subjects of fold 1 held out) and scores the validation subjects
// every EVERY steps, one JSON line each (docs/students.md, "A longer schedule").
//   STEPS=3000 EVERY=500 ALPHA=1 npx tsx scripts/student-milestones.ts > alpha1.jsonl
import { createRun } from "../src/lib/runs/create.js";
import { loadResources } from "../src/lib/runs/node.js";
import { studentSpec } from "../src/lib/runs/spec.js";
import { initNodeBackend } from "../src/lib/tf/node.js";

const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const steps = env("STEPS", 3000);
const every = env("EVERY", 500);
const alpha = env("ALPHA", 1);
await initNodeBackend("wasm");
const spec = studentSpec({
  data: { source: "synthetic", seed: 1, size: 64 },
  fold: 1,
  valSubjects: 5,
  seed: 0,
  occlusion: "random:0.5",
  alpha,
  mae: { path: "src/checkpoints/mae-tiny.safetensors" },
  teacher: { path: "src/checkpoints/teacher-tiny-mefl-random0.5.safetensors" },
  train: { steps },
});
const resources = await loadResources(spec);
// A validation run: nothing is evaluated on the test fold.
const run = await createRun(resources.spec as typeof spec, resources, { createdBy: `scripts/student-milestones.ts STEPS=${steps} ALPHA=${alpha}`, evalFrames: new Int32Array(0) });
const t0 = Date.now();
for (let step = every; step <= steps; step += every) {
  await run.run(step);
  const ev = await run.evaluate(run.valFrames);
  process.stdout.write(JSON.stringify({ step, alpha, valF1: ev.meanF1, f1: ev.f1, minutes: (Date.now() - t0) / 60000 }) + "\n");
}
run.dispose();
