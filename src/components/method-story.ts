// The index page's story of the method on one held-out face: five linked thumbnails (the
// face, the same face occluded, the MAE's composite, the teacher's and the student's AU
// predictions), then the headline result as a table and the paper's claims checked one by
// one. Plain data in (a HeldOutFace, the models' outputs as a Progress, HeadlineRows), DOM
// out. The face and its occlusion need no model, so they are drawn at once; the other
// three thumbnails are placeholders saying what is being done until the models have run.
import { svg } from "htl";
import type { HeldOutFace } from "../lib/eval/face-predictions.js";
import { headlineClaims, type HeadlineRow } from "../lib/eval/headline.js";
import { occlusionName } from "../lib/eval/table2.js";
import { correctCalls, type TeacherStudentFace } from "../lib/eval/teacher-student-face.js";
import { el } from "./element.js";
import { CONDITION_COLORS } from "./f1-table.js";
import { rgbCanvas } from "./image-strip.js";
import { CURVE_COLORS } from "./occlusion-curve.js";
import { Pending, type Progress } from "./progress.js";

/** The stages the thumbnails link to, in the order of the story. */
export type StoryStage = "data" | "occlusion" | "mae" | "teacher" | "student";

/**
 * Where each thumbnail leads (relative to the site's root): the stage page, opened on the
 * same held-out face and occlusion where the page reads them from its URL. The Occlusion lab
 * shows the same face under the same mask; the Teacher page the same face, with the same
 * random patches or a block of the same area at the centre (its controls place blocks
 * there); the Student & KD page takes the occlusion of the teacher it distils.
 */
export function storyLinks(face: number, occlusion: string): Record<StoryStage, string> {
  const q = (params: Record<string, string | number>) => `?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`;
  return {
    data: "./pages/data",
    occlusion: `./pages/occlusion-lab${q({ face, occlusion })}`,
    mae: "./pages/mae-pretraining",
    teacher: `./pages/teacher${q({ face, occlusion })}`,
    student: `./pages/student-kd${occlusion === "random:0.5" ? "" : q({ occlusion })}`,
  };
}

const PAGE_NAMES: Record<StoryStage, string> = { data: "Data", occlusion: "Occlusion lab", mae: "MAE pretraining", teacher: "Teacher", student: "Student and KD" };

/** Per AU a bar of the probability against the 0.5 threshold, on the label's side shaded (green: on); a wrong call is red. */
export function AuBars(aus: readonly number[], labels: ArrayLike<number>, probs: ArrayLike<number>, { color, title }: { color: string; title: string }): SVGSVGElement {
  const W = 160;
  const rowH = W / aus.length;
  const x0 = 34;
  const x = (p: number) => x0 + Math.max(0, Math.min(1, p)) * (W - x0 - 4);
  const rows = aus.map((a, i) => {
    const y = i * rowH;
    const on = labels[i] > 0;
    const right = probs[i] >= 0.5 === on;
    return svg`<g>
      <rect x="${on ? x(0.5) : x0}" y="${y}" width="${x(on ? 1 : 0.5) - (on ? x(0.5) : x0)}" height="${rowH}" fill="${on ? "#3ca951" : "#888"}" fill-opacity="${on ? 0.16 : 0.08}"/>
      <text x="${x0 - 3}" y="${y + rowH * 0.72}" text-anchor="end" font-size="${rowH * 0.68}" fill="currentColor">AU${a}</text>
      <rect x="${x0}" y="${y + rowH * 0.2}" width="${x(probs[i]) - x0}" height="${rowH * 0.6}" fill="${right ? color : "#d62728"}"><title>AU${a}: ${probs[i].toFixed(2)} (label ${on ? "on" : "off"}, ${right ? "right" : "wrong"})</title></rect>
    </g>`;
  });
  const root = svg`<svg class="maskau-au-bars" viewBox="0 0 ${W} ${W}" role="img" aria-label="${title}">
    ${rows}
    <line x1="${x(0.5)}" x2="${x(0.5)}" y1="0" y2="${W}" stroke="currentColor" stroke-opacity="0.6" stroke-dasharray="3,2"/>
  </svg>` as SVGSVGElement;
  root.dataset.probs = Array.from(probs, (p) => p.toFixed(4)).join(",");
  root.dataset.correct = String(correctCalls(probs, labels));
  return root;
}

function thumb(stage: StoryStage, href: string, picture: Element, title: string, note: string): HTMLElement {
  const link = el("a", { className: "maskau-story-thumb", href, title: `Open the ${PAGE_NAMES[stage]} page` });
  link.dataset.stage = stage;
  link.append(
    el("figure", {}, picture, el("figcaption", {}, el("b", { textContent: title }), el("small", { textContent: note }), el("span", { className: "maskau-story-page", textContent: `${PAGE_NAMES[stage]} →` }))),
  );
  return link;
}

function image(rgb: Uint8Array, size: number, label: string): HTMLCanvasElement {
  const canvas = rgbCanvas(rgb, size);
  canvas.setAttribute("aria-label", label);
  return canvas;
}

export interface StoryThumbnailsOptions {
  /** The held-out face's index (for the links) and the occlusion's text (e.g. "random:0.5"). */
  face: number;
  occlusion: string;
  /** The checkpoints the teacher and the student come from, for their captions. */
  teacherFile?: string;
  studentFile?: string;
}

/**
 * 1 the face (its labels), 2 the face occluded, 3 the MAE's composite, 4 the teacher's
 * AU probabilities on the composite, 5 the student's on the occluded face; each a link to
 * its stage page. Until `result` is ready, 3-5 are placeholders with its progress.
 */
export function StoryThumbnails(shown: HeldOutFace, result: Progress<TeacherStudentFace>, { face, occlusion, teacherFile, studentFile }: StoryThumbnailsOptions): HTMLElement {
  const links = storyLinks(face, occlusion);
  const on = shown.aus.filter((_, i) => shown.labels[i]).map((a) => `AU${a}`).join(" ") || "no AU";
  const ready = result.state === "ready" ? result.value : null;
  // What the models' work is doing (or its error), in each of the three pictures it will fill.
  const waiting = () => Pending(result as Exclude<typeof result, { state: "ready" }>, { className: "maskau-panel-pending maskau-story-pending" });
  const N = shown.aus.length;
  const grid = el(
    "div",
    { className: "maskau-story-grid" },
    thumb("data", links.data, image(shown.face, shown.size, "held-out face"), "1 · A held-out face", `${shown.subject}; labels: ${on}`),
    thumb("occlusion", links.occlusion, image(shown.occluded, shown.size, "occluded face"), "2 · Occluded", `${occlusionName(occlusion)}: ${shown.masks.removed} of ${shown.masks.patchMask.length} patches removed`),
    thumb(
      "mae",
      links.mae,
      ready ? image(ready.composite, shown.size, "MAE composite") : waiting(),
      "3 · MAE composite",
      ready ? `visible pixels + the MAE's fill; error on removed patches ${ready.removedError.toFixed(3)}` : "visible pixels + the MAE's fill",
    ),
    thumb(
      "teacher",
      links.teacher,
      ready ? AuBars(shown.aus, shown.labels, ready.teacher, { color: CONDITION_COLORS["(d)"], title: "teacher's AU probabilities" }) : waiting(),
      "4 · Teacher, reading 3",
      ready ? `${correctCalls(ready.teacher, shown.labels)} / ${N} AUs right${teacherFile ? ` · ${teacherFile}` : ""}` : "AU probabilities on the composite",
    ),
    thumb(
      "student",
      links.student,
      ready ? AuBars(shown.aus, shown.labels, ready.student, { color: CURVE_COLORS["(e)"], title: "student's AU probabilities" }) : waiting(),
      "5 · Student, reading 2",
      ready ? `${correctCalls(ready.student, shown.labels)} / ${N} AUs right${studentFile ? ` · ${studentFile}` : ""}` : "AU probabilities on the occluded face",
    ),
  );
  const legend = el("p", {
    className: "muted maskau-story-legend",
    textContent: "4 and 5: each AU's probability as a bar against the 0.5 threshold (dashed); the shaded side is the label's (green: the AU is on); a red bar is a wrong call.",
  });
  const root = el("div", { className: "maskau-story" }, grid, legend);
  root.dataset.face = String(face);
  root.dataset.occlusion = occlusion;
  root.dataset.state = result.state;
  return root;
}

const pct = (x: number | null) => (x === null ? "–" : (100 * x).toFixed(1));

/** The columns of the headline table: what reads what, and where its number comes from. */
const COLUMNS: { key: "clean" | "occluded" | "composite" | "teacher" | "student"; head: string; what: string; color: string }[] = [
  { key: "clean", head: "(a)", what: "clean detector, clean faces", color: CONDITION_COLORS["(a)"] },
  { key: "occluded", head: "(b)", what: "clean detector, occluded faces", color: CONDITION_COLORS["(b)"] },
  { key: "composite", head: "(c)", what: "clean detector, MAE composites", color: CONDITION_COLORS["(c)"] },
  { key: "teacher", head: "(d)", what: "teacher, MAE composites", color: CONDITION_COLORS["(d)"] },
  { key: "student", head: "(e)", what: "student, occluded faces", color: CURVE_COLORS["(e)"] },
];

/**
 * Mean F1 (%) on the held-out fold: a row per occlusion, a column per condition, the
 * paper's BP4D figure under each. Each cell carries its full value and its source file
 * (data-value, data-source).
 */
export function HeadlineTable(rows: readonly HeadlineRow[]): HTMLElement {
  const table = el("table", { className: "maskau-headline-table" });
  table.append(
    el(
      "thead",
      {},
      el(
        "tr",
        {},
        el("th", { textContent: "occlusion" }),
        ...COLUMNS.map((c) => {
          const swatch = el("span", { className: "maskau-swatch" });
          swatch.style.background = c.color;
          const th = el("th", {}, swatch, el("b", { textContent: c.head }), el("br"), el("span", { className: "maskau-cond-name", textContent: c.what }));
          th.dataset.column = c.key;
          return th;
        }),
      ),
    ),
  );
  const body = el("tbody");
  for (const r of rows) {
    const tr = el("tr", {}, el("th", { textContent: occlusionName(r.occlusion) }));
    tr.dataset.occlusion = r.occlusion;
    for (const c of COLUMNS) {
      const value = r[c.key];
      const source = c.key === "teacher" ? r.teacherFile : c.key === "student" ? r.studentFile : "table2.json";
      const paper = r.paper[c.key];
      const td = el("td", {}, el("span", { className: "maskau-headline-value", textContent: pct(value) }), el("small", { textContent: paper === null ? "paper –" : `paper ${paper.toFixed(2)}` }));
      td.dataset.column = c.key;
      if (value !== null) td.dataset.value = String(value);
      if (source) {
        td.dataset.source = source;
        td.title = `from ${source === "table2.json" ? "src/data/table2.json" : `the metadata of src/checkpoints/${source}`}`;
      }
      tr.append(td);
    }
    body.append(tr);
  }
  table.append(body);
  return el("div", { className: "maskau-table-scroll" }, table);
}

/** The paper's claims checked on each occlusion: a row per claim, per occlusion ✓ or ✗ with the difference here and the paper's. */
export function HeadlineClaims(rows: readonly HeadlineRow[]): HTMLElement {
  const claims = rows.map((r) => headlineClaims(r));
  const table = el("table", { className: "maskau-claims" });
  table.append(el("thead", {}, el("tr", {}, el("th", { textContent: "the paper's claim" }), ...rows.map((r) => el("th", { textContent: occlusionName(r.occlusion) })))));
  const body = el("tbody");
  (claims[0] ?? []).forEach((first, k) => {
    const tr = el("tr", {}, el("th", { textContent: first.claim }));
    tr.dataset.claim = first.id;
    rows.forEach((r, j) => {
      const c = claims[j][k];
      const mark = c.holds === null ? "?" : c.holds ? "✓" : "✗";
      const td = el(
        "td",
        { className: c.holds === null ? "" : c.holds ? "maskau-holds" : "maskau-fails" },
        el("b", { textContent: `${mark} ${c.holds === null ? "not shipped" : c.holds ? "holds" : "does not hold"}` }),
        el("br"),
        `here ${c.here}`,
        el("br"),
        el("small", { textContent: `paper ${c.paper}` }),
      );
      td.dataset.occlusion = r.occlusion;
      td.dataset.holds = String(c.holds);
      tr.append(td);
    });
    body.append(tr);
  });
  table.append(body);
  return el("div", { className: "maskau-table-scroll" }, table);
}
