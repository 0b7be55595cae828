// The student's distillation losses (occlusion paper §3.3, eq. 11-14). The paper's code is
// not public; these are the conventions the `kd_losses` reference fixture fixes:
//
//   Node KD (eq. 11), KL(teacher || student) per AU as a Bernoulli pair:
//     s = clamp(p_s, eps, 1 - eps)                      (eps = 1e-6; float32, so for p_s = 1,
//                                                        1 - s = 1 - float32(1 - 1e-6) = 1.0133e-6)
//     L_node = mean_{b,i} [ t (log t - log s) + (1 - t) (log(1 - t) - log(1 - s)) ]
//   with the teacher probability t used as given (no clamp) and 0 log 0 = 0 at t = 0 or 1.
//   The clamp passes no gradient where it clamps (d L / d p_s = 0 at p_s <= eps or >= 1 - eps).
//
//   Edge KD (eq. 12), over the 4 co-occurrence classes of each ordered AU pair:
//     q = softmax(z / T) (T divides both the teacher's and the student's logits)
//     L_edge = T^2 * mean_{b,e} sum_c q_t (log q_t - log q_s)
//   The mean runs over all B * N*N edges (self-pairs included, e = i*N + j as the MEFL edge
//   head emits them): not a sum, not torch's "batchmean", which fixes how much beta weighs.
//
//   L_kd = L_node + beta * L_edge (eq. 13); the KD part of the total loss (eq. 14) is
//   alpha * L_kd. The teacher is frozen: no gradient flows into p_t or z_t.
//
// Defaults are the paper's: alpha 1, beta 0.1, T 2. Everything runs in float32 on any
// backend, differentiably; no size is assumed (AUs and edge classes come from the shapes).
import * as tf from "@tensorflow/tfjs-core";

export interface KdOptions {
  /** Weight of L_kd in the student's total loss (eq. 14; paper 1). */
  alpha?: number;
  /** Weight of the edge term in L_kd (eq. 13; paper 0.1). */
  beta?: number;
  /** Temperature T of the edge softmax (eq. 12; paper 2); the edge term is scaled by T^2. */
  temperature?: number;
  /** Clamp of the student's AU probabilities to [eps, 1 - eps] (default 1e-6). */
  eps?: number;
}

export const KD_DEFAULTS: Required<KdOptions> = { alpha: 1, beta: 0.1, temperature: 2, eps: 1e-6 };

/** One side of the distillation: AU probabilities [B, N] and edge logits [B, N*N, C]. */
export interface KdSide {
  prob: tf.Tensor;
  edgeLogits: tf.Tensor;
}

/** The terms of the distillation loss, each a scalar. */
export interface KdTerms {
  /** L_kd^AU (eq. 11). */
  node: tf.Scalar;
  /** L_kd^edge (eq. 12), T^2 included. */
  edge: tf.Scalar;
  /** L_kd = node + beta * edge (eq. 13). */
  kd: tf.Scalar;
  /** alpha * L_kd, the KD part of the total loss (eq. 14). */
  weighted: tf.Scalar;
}

function resolve(options: KdOptions): Required<KdOptions> {
  const o = { ...KD_DEFAULTS, ...options };
  for (const key of ["alpha", "beta"] as const) {
    if (!Number.isFinite(o[key])) throw new Error(`KD option ${key} must be a finite number, got ${o[key]}`);
  }
  if (!(o.temperature > 0) || !Number.isFinite(o.temperature)) throw new Error(`KD option temperature must be positive, got ${o.temperature}`);
  if (!(o.eps > 0 && o.eps < 0.5)) throw new Error(`KD option eps must be in (0, 0.5), got ${o.eps}`);
  return o;
}

function sameShape(what: string, student: tf.Tensor, teacher: tf.Tensor): void {
  if (student.shape.join() !== teacher.shape.join()) {
    throw new Error(`${what}: student [${student.shape}] and teacher [${teacher.shape}] differ in shape`);
  }
}

/** x with no gradient: the teacher's inputs are targets, never trained through this loss. */
function frozen(x: tf.Tensor): tf.Tensor {
  const op = tf.customGrad((...args: unknown[]) => {
    const input = args[0] as tf.Tensor;
    return { value: tf.clone(input), gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.zerosLike(dy as tf.Tensor) };
  });
  return (op as unknown as (t: tf.Tensor) => tf.Tensor)(x);
}

/** The smallest normal float32: log of it is finite (-87.3), and 0 times it is 0. */
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;

/**
 * x log x with 0 log 0 = 0 (x in [0, 1]): x * log(max(x, tiny)), which is exact for x = 0 and
 * for every normal x, and is built from differentiable ops only (a comparison on the path
 * would stop tfjs from taking any gradient through it, even a zero one).
 */
function xlogx(x: tf.Tensor): tf.Tensor {
  return tf.mul(x, tf.log(tf.maximum(x, FLOAT32_MIN_NORMAL)));
}

/**
 * The binary KL(teacher || student) of every (face, AU) pair, before any mean: the terms
 * that node KD (eq. 11) averages. pStudent, pTeacher [B, N] probabilities -> [B, N].
 */
export function binaryKl(pStudent: tf.Tensor, pTeacher: tf.Tensor, { eps = KD_DEFAULTS.eps }: Pick<KdOptions, "eps"> = {}): tf.Tensor {
  sameShape("binaryKl", pStudent, pTeacher);
  resolve({ eps });
  return tf.tidy(() => {
    const t = frozen(tf.cast(pTeacher, "float32"));
    const s = tf.clipByValue(pStudent, eps, 1 - eps); // float32 bounds: 1 - eps rounds to float32
    const oneMinusT = tf.sub(1, t);
    const teacherTerm = tf.add(xlogx(t), xlogx(oneMinusT)); // t log t + (1-t) log(1-t)
    const crossTerm = tf.add(tf.mul(t, tf.log(s)), tf.mul(oneMinusT, tf.log(tf.sub(1, s)))); // t log s + (1-t) log(1-s)
    return tf.sub(teacherTerm, crossTerm);
  });
}

/**
 * Node KD (eq. 11): binary KL(teacher || student) per AU, mean over batch and AUs.
 * pStudent, pTeacher [B, N] probabilities -> scalar.
 */
export function nodeKd(pStudent: tf.Tensor, pTeacher: tf.Tensor, options: Pick<KdOptions, "eps"> = {}): tf.Scalar {
  return tf.tidy(() => tf.mean(binaryKl(pStudent, pTeacher, options)) as tf.Scalar);
}

/**
 * Node KD of each AU: the binary KL averaged over the batch only (what the KD dynamics
 * show per AU); its mean over the AUs is nodeKd. pStudent, pTeacher [B, N] -> [N].
 */
export function nodeKdPerAu(pStudent: tf.Tensor, pTeacher: tf.Tensor, options: Pick<KdOptions, "eps"> = {}): tf.Tensor1D {
  if (pStudent.rank !== 2) throw new Error(`nodeKdPerAu: probabilities must be [B, N], got [${pStudent.shape}]`);
  return tf.tidy(() => tf.mean(binaryKl(pStudent, pTeacher, options), 0) as tf.Tensor1D);
}

/**
 * Edge KD (eq. 12): T^2 * KL(softmax(z_t / T) || softmax(z_s / T)) summed over the classes
 * (last axis), mean over every other position (all B * N*N edges).
 * zStudent, zTeacher [B, N*N, C] logits -> scalar.
 */
export function edgeKd(zStudent: tf.Tensor, zTeacher: tf.Tensor, { temperature = KD_DEFAULTS.temperature }: Pick<KdOptions, "temperature"> = {}): tf.Scalar {
  sameShape("edgeKd", zStudent, zTeacher);
  resolve({ temperature });
  return tf.tidy(() => {
    const logQt = tf.logSoftmax(tf.div(frozen(tf.cast(zTeacher, "float32")), temperature)); // [..., C]
    const logQs = tf.logSoftmax(tf.div(zStudent, temperature)); // [..., C]
    // exp(log q_t) * (...) rather than q_t from softmax: a class whose teacher probability
    // underflows to 0 contributes 0 (log q_t stays finite), never 0 * -inf.
    const perEdge = tf.sum(tf.mul(tf.exp(logQt), tf.sub(logQt, logQs)), -1); // [...]
    return tf.mul(tf.mean(perEdge), temperature * temperature) as tf.Scalar;
  });
}

/** Every term of the distillation loss (eq. 11-14) for a student and its frozen teacher. */
export function kdTerms(student: KdSide, teacher: KdSide, options: KdOptions = {}): KdTerms {
  const { alpha, beta, temperature, eps } = resolve(options);
  return tf.tidy(() => {
    const node = nodeKd(student.prob, teacher.prob, { eps });
    const edge = edgeKd(student.edgeLogits, teacher.edgeLogits, { temperature });
    const kd = tf.add(node, tf.mul(edge, beta)) as tf.Scalar;
    const weighted = tf.mul(kd, alpha) as tf.Scalar;
    return { node, edge, kd, weighted };
  });
}

/** alpha * L_kd (the KD part of eq. 14): what the student's training adds to L_AU + lambda L_E. */
export function weightedKdLoss(student: KdSide, teacher: KdSide, options: KdOptions = {}): tf.Scalar {
  return tf.tidy(() => kdTerms(student, teacher, options).weighted);
}
