// The paper's protocol as a plan of runs: for each test fold one MAE (pretrained without
// that fold's subjects), and for each fold and seed the clean detector (a), and for each
// occlusion a stage-1 teacher on composites, the stage-2 (MEFL) teacher (d) from it, the
// student (e) distilled from (d) and its alpha = 0 control. Each run is a spec of the run
// layer with a fixed output path, so a plan can be completed piece by piece: what exists
// is reused, what is missing is trained. With ablations, per fold, seed and chosen occlusion
// also the students of ABLATIONS and the control detector trained on occluded faces. Pure
// data, no I/O.
import type { Fill } from "../masks/fill.js";
import { DETECTOR_DEFAULTS, STUDENT_DEFAULTS, TEACHER_FINETUNE_DEFAULTS, type TrainSettings } from "../registry.js";
import { detectorSpec, pretrainSpec, studentSpec, type DataSpec, type RunSpec, type StudentSpec } from "../runs/spec.js";

/** What a planned run is in the protocol. */
export type ProtocolRole = "mae" | "clean" | "teacher1" | "teacher" | "student" | "student-a0" | "ablation" | "control1" | "control";
export const PROTOCOL_ROLES: readonly ProtocolRole[] = ["mae", "clean", "teacher1", "teacher", "student", "student-a0", "ablation", "control1", "control"];

/**
 * The distillation ablations (MaskAU's additions; the paper has none): each changes one
 * setting of the student (e) (both KD terms, alpha 1, beta 0.1, T 2, encoder fine-tuned,
 * head from the teacher); alpha = 0 is the student-a0 control of the main protocol. One
 * with `sameAs` is by construction the same model as that ablation (beta = 0 weighs the edge
 * term by nothing: node KD only, the same weights bit for bit): its checkpoint is a copy.
 */
export const ABLATIONS: readonly { name: string; what: string; spec: Partial<StudentSpec>; args: string; sameAs?: string }[] = [
  { name: "node", what: "node KD only", spec: { kd: "node" }, args: "--kd node" },
  { name: "edge", what: "edge KD only", spec: { kd: "edge" }, args: "--kd edge" },
  { name: "a0.5", what: "alpha = 0.5", spec: { alpha: 0.5 }, args: "--alpha 0.5" },
  { name: "a2", what: "alpha = 2", spec: { alpha: 2 }, args: "--alpha 2" },
  { name: "b0", what: "beta = 0", spec: { beta: 0 }, args: "--beta 0", sameAs: "node" },
  { name: "b1", what: "beta = 1", spec: { beta: 1 }, args: "--beta 1" },
  { name: "t1", what: "T = 1", spec: { temperature: 1 }, args: "--temperature 1" },
  { name: "t4", what: "T = 4", spec: { temperature: 4 }, args: "--temperature 4" },
  { name: "frozen", what: "encoder frozen", spec: { encoder: "frozen" }, args: "--encoder frozen" },
  { name: "fresh-head", what: "head initialised fresh, not from the teacher", spec: { headInit: "fresh" }, args: "--head-init fresh" },
];

/** One curve of Fig. 3 in the protocol (curves.ts): models trained at `trainedOn`, scored at each of `occlusions`. */
export interface CurveSpec {
  /** "random" (the paper's figure) or "block" (MaskAU's extension). */
  name: string;
  /** The occlusion the teacher and student of the curve were trained at. */
  trainedOn: string;
  occlusions: string[];
}

/** The paper's figure (random patches 10-70%) and one block over 10-50% of the face. */
export const PROTOCOL_CURVES: readonly CurveSpec[] = [
  { name: "random", trainedOn: "random:0.5", occlusions: [1, 2, 3, 4, 5, 6, 7].map((k) => `random:0.${k}`) },
  { name: "block", trainedOn: "block:0.3", occlusions: [1, 2, 3, 4, 5].map((k) => `block:0.${k}`) },
];

/** `--quick`: two points of the random curve, to check the chain. */
export const QUICK_CURVES: readonly CurveSpec[] = [{ name: "random", trainedOn: "random:0.5", occlusions: ["random:0.2", "random:0.5"] }];

export interface ProtocolSchedule {
  mae: Partial<TrainSettings>;
  clean: Partial<TrainSettings>;
  teacher1: Partial<TrainSettings>;
  teacher: Partial<TrainSettings>;
  student: Partial<TrainSettings>;
}

export interface ProtocolConfig {
  /** Name of the protocol's dataset in paths and tables ("bp4d", "disfa"). */
  dataset: string;
  data: DataSpec;
  folds: number[];
  seeds: number[];
  occlusions: string[];
  fill: Fill;
  /** Cached occlusions per training face for teachers and students. */
  compositeVariants: number;
  schedule: ProtocolSchedule;
  /** Seed of every MAE (one per fold, shared by the seeds of the detectors). */
  maeSeed: number;
  /**
   * Occlusions to run the ablations on (ABLATIONS, and the control: the teacher's two stages
   * on occluded faces instead of MAE composites); none by default.
   */
  ablations: string[];
  /** Fig. 3's curves scored in each fold and seed's evaluation (those whose teacher and student the plan trains). */
  curves: CurveSpec[];
}

/** The schedules the shipped fold-1 checkpoints were trained with (their createdBy commands). */
export const PAPER_SCHEDULE: ProtocolSchedule = {
  mae: { steps: 2000, warmup: 100, lr: 1e-3 },
  clean: { steps: DETECTOR_DEFAULTS.steps },
  teacher1: { steps: TEACHER_FINETUNE_DEFAULTS.steps, lr: TEACHER_FINETUNE_DEFAULTS.lr, warmup: TEACHER_FINETUNE_DEFAULTS.warmup },
  teacher: { steps: TEACHER_FINETUNE_DEFAULTS.steps, lr: TEACHER_FINETUNE_DEFAULTS.lr, warmup: TEACHER_FINETUNE_DEFAULTS.warmup },
  student: { steps: STUDENT_DEFAULTS.steps },
};

/** `--quick`: a few steps of everything on a small synthetic set, to check the chain end to end in minutes. */
export const QUICK_SCHEDULE: ProtocolSchedule = {
  mae: { steps: 4, warmup: 1, batch: 8, checkpointEvery: 1000 },
  clean: { steps: 4, warmup: 1, batch: 8, checkpointEvery: 1000 },
  teacher1: { steps: 3, warmup: 1, batch: 8, lr: 3e-4, checkpointEvery: 1000 },
  teacher: { steps: 3, warmup: 1, batch: 8, lr: 3e-4, checkpointEvery: 1000 },
  student: { steps: 3, warmup: 1, batch: 8, checkpointEvery: 1000 },
};

/** The small synthetic set of `--quick` (9 subjects, 3 per fold, 36 frames each). */
export const QUICK_GENERATOR = { subjects: 9, sequencesPerSubject: 2, framesPerSequence: 18 } as const;

export const DATASET_SOURCES: Record<string, string> = { bp4d: "synthetic:bp4d", disfa: "synthetic:disfa" };

/** The protocol of the paper-results work for a dataset; `quick` shrinks data and schedules. */
export function protocolConfig(p: { dataset?: string; folds?: number[]; seeds?: number[]; occlusions?: string[]; fill?: Fill; quick?: boolean; ablations?: string[] } = {}): ProtocolConfig {
  const dataset = p.dataset ?? "bp4d";
  const source = DATASET_SOURCES[dataset];
  if (!source) throw new Error(`--dataset ${dataset}: choose ${Object.keys(DATASET_SOURCES).join(" or ")}`);
  const quick = p.quick ?? false;
  const occlusions = p.occlusions ?? ["random:0.5", "block:0.3"];
  return {
    dataset,
    data: { source, seed: 1, size: 64, ...(quick ? { generator: { ...QUICK_GENERATOR } } : {}) },
    folds: p.folds ?? (quick ? [1] : [1, 2, 3]),
    seeds: p.seeds ?? (quick ? [0] : [0, 1, 2]),
    occlusions,
    fill: p.fill ?? "gray",
    compositeVariants: quick ? 1 : TEACHER_FINETUNE_DEFAULTS.compositeVariants,
    schedule: quick ? QUICK_SCHEDULE : PAPER_SCHEDULE,
    maeSeed: 0,
    ablations: p.ablations ?? [],
    curves: (quick ? QUICK_CURVES : PROTOCOL_CURVES).filter((c) => occlusions.includes(c.trainedOn)).map((c) => ({ ...c, occlusions: [...c.occlusions] })),
  };
}

export interface PlannedRun {
  /** Unique and stable: e.g. "fold1/seed0/teacher-random0.5". */
  id: string;
  role: ProtocolRole;
  fold: number;
  /** The detectors' seed (the MAE's runs carry the MAE seed). */
  seed: number;
  occlusion: string | null;
  /** Output checkpoint, relative to the protocol's folder. */
  out: string;
  /** Ids of the runs whose checkpoints this one reads. */
  needs: string[];
  /** The run's spec, with model paths relative to the protocol's folder (resolved when run). */
  spec: RunSpec;
  /** The equivalent CLI command (paths relative to the protocol's folder). */
  command: string;
  /** Ablation runs: the name of the one of ABLATIONS this is. */
  ablation?: string;
  /** A run that is the same model as another (ABLATIONS' sameAs): the id whose checkpoint is copied instead of training. */
  copyOf?: string;
  /**
   * "cache": a student of a teacher that ablations also distil from, so the teacher's
   * outputs are precomputed once for all of them (teacher-targets.ts).
   */
  teacherTargets?: "cache";
}

/** Short tag of an occlusion for file names: random:0.5 -> random0.5. */
export function occlusionTag(occlusion: string): string {
  return occlusion.replace(/[^A-Za-z0-9.]+/g, "");
}

// The CLI has no flags for the generator's size: a --quick plan's commands name the full set.
function dataArgs(data: DataSpec, fold: number): string {
  return `--data ${data.source} --data-seed ${data.seed} --fold ${fold}`;
}

function trainArgs(t: Partial<TrainSettings>): string {
  const flag: Record<string, string> = { steps: "--steps", batch: "--batch", lr: "--lr", warmup: "--warmup", minLr: "--min-lr", weightDecay: "--weight-decay", checkpointEvery: "--checkpoint-every" };
  return Object.entries(t)
    .map(([k, v]) => ` ${flag[k]} ${v}`)
    .join("");
}

/** Every run of the protocol, each after the runs it needs. */
export function planProtocol(cfg: ProtocolConfig): PlannedRun[] {
  const runs: PlannedRun[] = [];
  const s = cfg.schedule;
  for (const fold of cfg.folds) {
    const maeId = `fold${fold}/mae`;
    const maeOut = `fold${fold}/mae.safetensors`;
    runs.push({
      id: maeId,
      role: "mae",
      fold,
      seed: cfg.maeSeed,
      occlusion: null,
      out: maeOut,
      needs: [],
      spec: pretrainSpec({ data: cfg.data, fold, seed: cfg.maeSeed, train: s.mae }),
      command: `maskau pretrain --preset mae/tiny ${dataArgs(cfg.data, fold)}${trainArgs(s.mae)} --seed ${cfg.maeSeed} --no-optimizer-state --out ${maeOut}`,
    });
    for (const seed of cfg.seeds) {
      const dir = `fold${fold}/seed${seed}`;
      const cleanId = `${dir}/clean`;
      const cleanOut = `${dir}/clean.safetensors`;
      runs.push({
        id: cleanId,
        role: "clean",
        fold,
        seed,
        occlusion: null,
        out: cleanOut,
        needs: [],
        spec: detectorSpec({ data: cfg.data, fold, seed, stage: 1, input: "clean", train: s.clean }),
        command: `maskau train detector ${dataArgs(cfg.data, fold)} --input clean --stage 1${trainArgs(s.clean)} --seed ${seed} --out ${cleanOut}`,
      });
      for (const occlusion of cfg.occlusions) {
        const tag = occlusionTag(occlusion);
        const t1 = { id: `${dir}/teacher1-${tag}`, out: `${dir}/teacher1-${tag}.safetensors` };
        const t2 = { id: `${dir}/teacher-${tag}`, out: `${dir}/teacher-${tag}.safetensors` };
        const composite = `--input composite --occlusion ${occlusion} --mae ${maeOut} --composite-variants ${cfg.compositeVariants}`;
        runs.push({
          id: t1.id,
          role: "teacher1",
          fold,
          seed,
          occlusion,
          out: t1.out,
          needs: [maeId, cleanId],
          spec: detectorSpec({ data: cfg.data, fold, seed, stage: 1, input: "composite", occlusion, fill: cfg.fill, mae: { path: maeOut }, compositeVariants: cfg.compositeVariants, init: { path: cleanOut }, train: s.teacher1 }),
          command: `maskau train detector ${dataArgs(cfg.data, fold)} ${composite} --stage 1 --init ${cleanOut}${trainArgs(s.teacher1)} --seed ${seed} --out ${t1.out}`,
        });
        runs.push({
          id: t2.id,
          role: "teacher",
          fold,
          seed,
          occlusion,
          out: t2.out,
          needs: [maeId, t1.id],
          spec: detectorSpec({
            data: cfg.data,
            fold,
            seed,
            stage: 2,
            input: "composite",
            occlusion,
            fill: cfg.fill,
            mae: { path: maeOut },
            compositeVariants: cfg.compositeVariants,
            init: { path: t1.out },
            lambda: DETECTOR_DEFAULTS.lambda,
            train: s.teacher,
          }),
          command: `maskau train detector ${dataArgs(cfg.data, fold)} ${composite} --stage 2 --lambda ${DETECTOR_DEFAULTS.lambda} --init ${t1.out}${trainArgs(s.teacher)} --seed ${seed} --out ${t2.out}`,
        });
        const shared = cfg.ablations.includes(occlusion) ? { teacherTargets: "cache" as const } : {};
        for (const alpha of [1, 0]) {
          const role: ProtocolRole = alpha === 1 ? "student" : "student-a0";
          const id = `${dir}/${role}-${tag}`;
          const out = `${id}.safetensors`;
          runs.push({
            id,
            role,
            fold,
            seed,
            occlusion,
            out,
            needs: [maeId, t2.id],
            spec: studentSpec({ data: cfg.data, fold, seed, occlusion, fill: cfg.fill, mae: { path: maeOut }, teacher: { path: t2.out }, compositeVariants: cfg.compositeVariants, alpha, train: s.student }),
            command: `maskau train student ${dataArgs(cfg.data, fold)} --occlusion ${occlusion} --mae ${maeOut} --teacher ${t2.out} --composite-variants ${cfg.compositeVariants} --alpha ${alpha}${trainArgs(s.student)} --seed ${seed} --out ${out}`,
            ...shared,
          });
        }
        if (!cfg.ablations.includes(occlusion)) continue;
        const ablationId = (name: string) => `${dir}/ablation-${name}-${tag}`;
        for (const a of ABLATIONS) {
          const id = ablationId(a.name);
          const out = `${id}.safetensors`;
          const copy = a.sameAs ? { copyOf: ablationId(a.sameAs) } : {};
          runs.push({
            id,
            role: "ablation",
            fold,
            seed,
            occlusion,
            out,
            needs: a.sameAs ? [maeId, t2.id, ablationId(a.sameAs)] : [maeId, t2.id],
            spec: studentSpec({ data: cfg.data, fold, seed, occlusion, fill: cfg.fill, mae: { path: maeOut }, teacher: { path: t2.out }, compositeVariants: cfg.compositeVariants, ...a.spec, train: s.student }),
            command: `maskau train student ${dataArgs(cfg.data, fold)} --occlusion ${occlusion} --mae ${maeOut} --teacher ${t2.out} --composite-variants ${cfg.compositeVariants} ${a.args}${trainArgs(s.student)} --seed ${seed} --out ${out}`,
            ablation: a.name,
            ...copy,
            ...shared,
          });
        }
        // The control: the teacher's two stages from the same clean detector, on occluded faces instead of composites.
        const c1 = { id: `${dir}/control1-${tag}`, out: `${dir}/control1-${tag}.safetensors` };
        const c2 = { id: `${dir}/control-${tag}`, out: `${dir}/control-${tag}.safetensors` };
        const occluded = `--input occluded --occlusion ${occlusion}`;
        runs.push({
          id: c1.id,
          role: "control1",
          fold,
          seed,
          occlusion,
          out: c1.out,
          needs: [cleanId],
          spec: detectorSpec({ data: cfg.data, fold, seed, stage: 1, input: "occluded", occlusion, fill: cfg.fill, init: { path: cleanOut }, train: s.teacher1 }),
          command: `maskau train detector ${dataArgs(cfg.data, fold)} ${occluded} --stage 1 --init ${cleanOut}${trainArgs(s.teacher1)} --seed ${seed} --out ${c1.out}`,
        });
        runs.push({
          id: c2.id,
          role: "control",
          fold,
          seed,
          occlusion,
          out: c2.out,
          needs: [c1.id],
          spec: detectorSpec({ data: cfg.data, fold, seed, stage: 2, input: "occluded", occlusion, fill: cfg.fill, init: { path: c1.out }, lambda: DETECTOR_DEFAULTS.lambda, train: s.teacher }),
          command: `maskau train detector ${dataArgs(cfg.data, fold)} ${occluded} --stage 2 --lambda ${DETECTOR_DEFAULTS.lambda} --init ${c1.out}${trainArgs(s.teacher)} --seed ${seed} --out ${c2.out}`,
        });
      }
    }
  }
  return runs;
}

/** Ids of the runs of `plan` in `roots` and of every run they need (transitively). */
export function withNeeds(plan: PlannedRun[], roots: Iterable<PlannedRun>): Set<string> {
  const byId = new Map(plan.map((r) => [r.id, r]));
  const keep = new Set<string>();
  const visit = (id: string) => {
    if (keep.has(id) || !byId.has(id)) return;
    keep.add(id);
    for (const n of byId.get(id)!.needs) visit(n);
  };
  for (const r of roots) visit(r.id);
  return keep;
}

/** The runs of `plan` that `only` asks for (roles, or single ablations as `ablation-NAME`), with every run they need (transitively). */
export function selectRuns(plan: PlannedRun[], only?: readonly string[]): PlannedRun[] {
  if (!only || only.length === 0) return plan;
  const ablations = ABLATIONS.map((a) => `ablation-${a.name}`);
  for (const r of only) {
    if (!PROTOCOL_ROLES.includes(r as ProtocolRole) && !ablations.includes(r)) throw new Error(`--only ${r}: choose from ${PROTOCOL_ROLES.join(", ")}, or one ablation: ${ablations.join(", ")}`);
  }
  const picked = (r: PlannedRun) => only.includes(r.role) || (r.ablation !== undefined && only.includes(`ablation-${r.ablation}`));
  const keep = withNeeds(plan, plan.filter(picked));
  return plan.filter((r) => keep.has(r.id));
}
