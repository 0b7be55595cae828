// Beside the Teacher page's one-face predictions: each detector's agreement with the labels
// over all the held-out faces under the same occlusion (lib/eval/held-out-agreement.ts),
// so that one face neither makes nor breaks the comparison, with the face shown in its
// own column. A placeholder with progress while the faces are scored. Takes plain data.
import type { HeldOutAgreement } from "../lib/eval/held-out-agreement.js";
import { PREDICTION_LABELS } from "../lib/eval/face-predictions.js";
import { CONDITIONS, type Condition } from "../lib/eval/table2.js";
import { el } from "./element.js";
import { CONDITION_COLORS } from "./f1-table.js";
import { Pending, type Progress } from "./progress.js";

/** The face the one-face view shows: its labels and each condition's probabilities. */
export interface ShownFace {
  labels: ArrayLike<number>;
  probs: Record<Condition, ArrayLike<number>>;
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/** A table (class maskau-agreement): a row per condition (data-condition, data-mean-f1, data-mean-acc, data-right-per-face). */
export function AgreementView(agreement: Progress<HeldOutAgreement>, face: ShownFace | null = null): HTMLElement {
  const root = el("div", { className: "maskau-agreement" });
  if (agreement.state !== "ready") {
    root.append(Pending(agreement));
    return root;
  }
  const a = agreement.value;
  const N = a.aus.length;
  root.dataset.faces = String(a.faces);
  root.dataset.occlusion = a.occlusion;
  const head = el(
    "tr",
    {},
    el("th", { textContent: "detector" }),
    el("th", { textContent: "mean F1", title: "per-AU F1 from the confusion counts summed over the faces, then the mean over AUs (as Table 2)" }),
    el("th", { textContent: "accuracy", title: "share of (face, AU) calls on the right side of 0.5" }),
    el("th", { textContent: `AUs right per face (of ${N})` }),
    el("th", { textContent: "faces all right" }),
    ...(face ? [el("th", { textContent: "this face" })] : []),
  );
  const body = el("tbody");
  for (const c of CONDITIONS) {
    const s = a.conditions[c];
    const swatch = el("span", { className: "maskau-swatch" });
    swatch.style.background = CONDITION_COLORS[c];
    const tr = el(
      "tr",
      {},
      el("th", {}, swatch, PREDICTION_LABELS[c]),
      el("td", { textContent: pct(s.meanF1) }),
      el("td", { textContent: pct(s.meanAcc) }),
      el("td", { textContent: s.rightPerFace.toFixed(1) }),
      el("td", { textContent: `${s.allRight} / ${a.faces}` }),
    );
    if (face) {
      let right = 0;
      for (let k = 0; k < N; k++) if (face.probs[c][k] >= 0.5 === face.labels[k] > 0) right++;
      tr.append(el("td", { textContent: `${right} / ${N}`, className: "maskau-agreement-face" }));
    }
    Object.assign(tr.dataset, { condition: c, meanF1: String(s.meanF1), meanAcc: String(s.meanAcc), rightPerFace: String(s.rightPerFace) });
    body.append(tr);
  }
  root.append(
    el("p", { className: "maskau-agreement-title" }, el("b", { textContent: `All ${a.faces} held-out faces` }), ` under ${a.occlusion}: how often each detector agrees with the labels`),
    el("div", { className: "maskau-table-scroll" }, el("table", { className: "maskau-agreement-table" }, el("thead", {}, head), body)),
    el("p", {
      className: "muted",
      textContent: `Each face masked, reconstructed and read as the face above; counted as Table 2 counts (threshold 0.5, counts summed over the faces), on 3 frames of each held-out subject, so the figures differ from Table 2's whole fold.`,
    }),
  );
  return root;
}
