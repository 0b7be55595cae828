// A feature map as the Evaluation page draws it: the 2-D points of one model's features,
// coloured by AU state, identity or occlusion ratio, with the picked face ringed; a click
// picks the nearest point (within 12 px) and reports it, so every map and the face view
// follow the same face. Beside it, the map's silhouette scores: by identity, and by the
// state of each AU (the AU the colours show in bold). Plain data in, DOM out.
import * as Plot from "@observablehq/plot";
import { nearestPoint, type MapColouring, type MapScores } from "../lib/project/feature-map.js";
import { el } from "./element.js";

export interface FeatureMapData {
  /** Whose features: "teacher (d)", "student (e)", ... */
  title: string;
  /** [n, 2] row-major. */
  points: Float32Array;
  colouring: MapColouring;
  scores: MapScores;
  aus: number[];
  /** What the map shows, e.g. "AU12 node features, t-SNE, seed 1". */
  note: string;
}

export interface FeatureMapOptions {
  width?: number;
  /** The AU the colours show (index), bold in the scores. */
  au?: number;
  /** The picked face (-1: none). */
  selected?: number;
  /** Called with the index of the point clicked. */
  onSelect?: (index: number) => void;
}

const PICK_RADIUS_PX = 12;
const fmt = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "–");

export function FeatureMap(data: FeatureMapData, { width = 400, au = -1, selected = -1, onSelect }: FeatureMapOptions = {}): HTMLElement {
  const n = data.points.length / 2;
  const rows = Array.from({ length: n }, (_, i) => ({ i, x: data.points[2 * i], y: data.points[2 * i + 1], c: data.colouring.values[i] }));
  const c = data.colouring;
  const mapWidth = Math.max(200, width);
  const chart = Plot.plot({
    width: mapWidth,
    height: Math.round(mapWidth * 0.8),
    inset: 8,
    x: { axis: null },
    y: { axis: null },
    color: c.kind === "categorical" ? { type: "categorical", domain: c.domain, legend: c.domain.length <= 14, label: c.label } : { type: "linear", domain: c.domain, scheme: "viridis", legend: true, label: c.label },
    marks: [
      Plot.frame({ stroke: "#ddd" }),
      Plot.dot(rows, { x: "x", y: "y", fill: "c", r: 3, fillOpacity: 0.85, title: (d) => `face ${d.i}: ${d.c}` }),
      Plot.dot(rows.filter((d) => d.i === selected), { x: "x", y: "y", r: 7, stroke: "black", strokeWidth: 2, fill: "none" }),
    ],
  });
  // The chart itself (with a legend, Plot wraps it in a figure beside the legend's swatches).
  const svg = (chart instanceof SVGSVGElement ? chart : [...chart.children].find((c) => c instanceof SVGSVGElement)) as SVGSVGElement | undefined;
  svg?.classList.add("maskau-map-plot");
  // Pixel positions of the points in the chart's own coordinates, for picking.
  const sx = (chart as unknown as Plot.Plot).scale("x")!;
  const sy = (chart as unknown as Plot.Plot).scale("y")!;
  const pixels = new Float32Array(n * 2);
  for (let i = 0; i < n; i++) {
    pixels[2 * i] = sx.apply!(data.points[2 * i]) as number;
    pixels[2 * i + 1] = sy.apply!(data.points[2 * i + 1]) as number;
  }
  if (svg && onSelect) {
    svg.style.cursor = "crosshair";
    svg.addEventListener("click", (event) => {
      const r = svg.getBoundingClientRect();
      const scale = r.width > 0 ? mapWidth / r.width : 1;
      const i = nearestPoint(pixels, (event.clientX - r.left) * scale, (event.clientY - r.top) * scale, PICK_RADIUS_PX * scale);
      if (i >= 0) onSelect(i);
    });
  }
  const scoreRows = data.aus.map((a, k) => ({ au: `AU${a}`, s: data.scores.byAu[k], picked: k === au }));
  const scores = el(
    "div",
    { className: "maskau-map-scores" },
    el("p", {}, "Silhouette by identity: ", el("b", { className: "maskau-map-identity", textContent: fmt(data.scores.identity) })),
    el("p", {}, "By AU state (on / off):"),
    el(
      "table",
      { className: "maskau-map-au-scores" },
      el("tbody", {}, ...scoreRows.map((r) => el("tr", { className: r.picked ? "maskau-picked" : "" }, el("td", { textContent: r.au }), el("td", { textContent: fmt(r.s) })))),
    ),
  );
  const figure = el("figure", { className: "maskau-feature-map" }, el("figcaption", {}, el("b", { textContent: data.title }), el("br"), el("small", { className: "muted", textContent: data.note })), chart);
  // As wide as the chart (not as its caption), so the scores fit beside it when there is room.
  figure.style.width = `${mapWidth}px`;
  const root = el("div", { className: "maskau-feature-map-card" }, figure, scores);
  root.dataset.model = data.title;
  root.dataset.points = String(n);
  root.dataset.selected = String(selected);
  // The pixel positions, for tests and tools that pick a point.
  root.dataset.pixels = JSON.stringify(Array.from(pixels, (v) => Math.round(v * 10) / 10));
  return root;
}
