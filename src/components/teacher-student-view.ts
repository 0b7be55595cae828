// Teacher and student side by side on held-out faces (the Student & KD page): one face,
// what each reads (occluded face → student, MAE composite → teacher), their per-AU
// probabilities against the labels, their edge-class probability matrices; and a gallery
// of the faces where they disagree most. Plain data in (eval/teacher-student.ts), DOM out.
import { EDGE_CLASSES } from "../lib/eval/relation-graph.js";
import { disagreementOrder, edgeClassMatrix, faceImage, faceRow, type KdComparison, type KdHeldOutSet } from "../lib/eval/teacher-student.js";
import { el } from "./element.js";
import { ImageStrip, rgbCanvas } from "./image-strip.js";
import { PredictionPlot, PredictionTable } from "./prediction-plot.js";
import { RelationMatrix } from "./relation-matrix.js";

export const TEACHER_COLOR = "#3ca951";
export const STUDENT_COLOR = "#4269d0";

export interface FaceComparisonOptions {
  width?: number;
  /** Edge class shown as the matrices (index into EDGE_CLASSES; 3 = both active). */
  edgeClass?: number;
}

/**
 * Held-out face `face` of the set: the two inputs, each model's per-AU probability (plot and
 * table, with the labels) and each model's P(edge class) for every ordered AU pair. The
 * root (class maskau-kd-face) carries data-face and data-step.
 */
export function FaceComparison(set: KdHeldOutSet, latest: KdComparison, face: number, { width = 900, edgeClass = 3 }: FaceComparisonOptions = {}): HTMLElement {
  const N = set.aus.length;
  const labels = faceRow(set.labels, face, N);
  const on = set.aus.filter((_, i) => labels[i]).map((a) => `AU${a}`).join(" ") || "none";
  const kl = latest.klPerFace[face];
  const strip = ImageStrip(
    [
      { title: `occluded → student (step ${latest.step})`, size: set.size, rgb: faceImage(set.occluded, face, set.size), note: `${set.subjects[face]} · labels: ${on}` },
      { title: "MAE composite → teacher", size: set.size, rgb: faceImage(set.composites, face, set.size), note: `KL(teacher ‖ student) ${kl.toFixed(3)} per AU` },
    ],
    { scale: 2.2 },
  );
  const series = [
    { name: "student", color: STUDENT_COLOR, probs: faceRow(latest.student.prob, face, N) },
    { name: "teacher", color: TEACHER_COLOR, probs: faceRow(set.teacher.prob, face, N) },
  ];
  const wide = width >= 900;
  const plotWidth = wide ? Math.floor(((width - 24) * 3) / 5) : width;
  const matrixWidth = Math.floor((width - 72) / 2); // two side by side
  const cls = EDGE_CLASSES[edgeClass];
  const matrix = (who: string, edgeProb: Float32Array) =>
    el(
      "figure",
      { className: "maskau-relation-figure" },
      RelationMatrix(set.aus, edgeClassMatrix(edgeProb, face, N, edgeClass), {
        width: Math.min(380, matrixWidth),
        label: `${who}: p(${cls})`,
        legendFormat: "%",
        cellSize: 28,
        title: (i, j, v) => `${who}, AU${set.aus[i]} → AU${set.aus[j]}: p(${cls}) = ${v === null ? "–" : v.toFixed(3)}`,
      }),
      el("figcaption", { textContent: `${who}: probability that the pair (AU i, AU j) is “${cls}”, from its edge head` }),
    );
  const root = el(
    "div",
    { className: "maskau-kd-face" },
    strip,
    el(
      "div",
      { className: wide ? "maskau-pred-grid" : "maskau-pred-grid maskau-stacked" },
      el("div", {}, PredictionPlot(set.aus, labels, series, { width: plotWidth })),
      el("div", { className: "maskau-predictions" }, PredictionTable(set.aus, labels, series), el("p", { className: "muted", textContent: "Bold: right side of 0.5; red: wrong." })),
    ),
    el("div", { className: "maskau-kd-edges" }, matrix("student", latest.student.edgeProb), matrix("teacher", set.teacher.edgeProb)),
  );
  root.dataset.face = String(face);
  root.dataset.step = String(latest.step);
  return root;
}

/**
 * The `count` held-out faces where the student's AU probabilities are furthest from the
 * teacher's (per-face KL), each with both inputs; clicking one calls `pick(face)`.
 */
export function DisagreementGallery(set: KdHeldOutSet, latest: KdComparison, { count = 8, pick }: { count?: number; pick?: (face: number) => void } = {}): HTMLElement {
  const root = el("div", { className: "maskau-kd-gallery" });
  for (const face of disagreementOrder(latest.klPerFace).slice(0, count)) {
    const pair = el("span", { className: "maskau-kd-pair" }, rgbCanvas(faceImage(set.occluded, face, set.size), set.size), rgbCanvas(faceImage(set.composites, face, set.size), set.size));
    const button = el("button", { type: "button", title: `held-out face ${face} (${set.subjects[face]}): occluded | composite` }, pair, el("span", { textContent: `#${face} · KL ${latest.klPerFace[face].toFixed(3)}` }));
    button.dataset.face = String(face);
    if (pick) button.addEventListener("click", () => pick(face));
    root.append(button);
  }
  return root;
}
