// The AU relation graph as a node-link diagram: AUs on a circle, undirected edges whose
// width and opacity follow their weight, nodes shaded by an optional per-AU value
// (e.g. the base rate). Plain SVG from plain data.
import type { GraphEdge } from "../lib/eval/relation-graph.js";

const SVG = "http://www.w3.org/2000/svg";

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  return e;
}

export interface RelationDiagramOptions {
  /** Side in CSS pixels. Default 320. */
  size?: number;
  /** Edge colour. Default a blue. */
  color?: string;
  /** Weight drawn at full width (default: the largest edge weight). */
  maxWeight?: number;
  /** Per-AU value in [0, 1] shading the nodes (e.g. the base rate). */
  nodeValues?: ArrayLike<number>;
  /** What an edge's weight means, for its tooltip. */
  weightLabel?: (w: number) => string;
  /** Caption under the diagram. */
  caption?: string;
}

/** AUs on a circle (AU names inside the nodes), edges weighted; `edges` index into `aus`. */
export function RelationDiagram(aus: number[], edges: GraphEdge[], options: RelationDiagramOptions = {}): HTMLElement {
  const { size = 320, color = "#4269d0", nodeValues, weightLabel = (w) => w.toFixed(2), caption } = options;
  const n = aus.length;
  const maxWeight = options.maxWeight ?? Math.max(1e-9, ...edges.map((e) => e.weight));
  const c = size / 2;
  const nodeR = Math.max(12, Math.min(20, (Math.PI * size) / (2.6 * Math.max(1, n))));
  const ring = c - nodeR - 4;
  const pos = aus.map((_, i) => {
    const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
    return [c + ring * Math.cos(a), c + ring * Math.sin(a)] as const;
  });
  const root = svg("svg", { viewBox: `0 0 ${size} ${size}`, width: size, height: size, class: "maskau-relation-diagram", role: "img" });
  root.setAttribute("aria-label", `AU relation graph: ${edges.length} edges among ${n} AUs`);
  root.dataset.edges = String(edges.length);
  const g = svg("g", { fill: "none", "stroke-linecap": "round" });
  // Light edges first so heavy ones sit on top.
  for (const e of [...edges].sort((a, b) => a.weight - b.weight)) {
    const t = Math.max(0, Math.min(1, e.weight / maxWeight));
    const [x1, y1] = pos[e.source];
    const [x2, y2] = pos[e.target];
    // A slight bow towards the centre keeps chords across the circle apart.
    const mx = (x1 + x2) / 2, my = (y1 + y2) / 2;
    const qx = mx + (c - mx) * 0.25, qy = my + (c - my) * 0.25;
    const path = svg("path", { d: `M${x1.toFixed(1)},${y1.toFixed(1)} Q${qx.toFixed(1)},${qy.toFixed(1)} ${x2.toFixed(1)},${y2.toFixed(1)}`, stroke: color, "stroke-width": (0.6 + 5.4 * t).toFixed(2), "stroke-opacity": (0.15 + 0.8 * t).toFixed(2) });
    const title = svg("title", {});
    title.textContent = `AU${aus[e.source]} – AU${aus[e.target]}: ${weightLabel(e.weight)}`;
    path.append(title);
    g.append(path);
  }
  root.append(g);
  aus.forEach((au, i) => {
    const [x, y] = pos[i];
    const v = nodeValues ? Math.max(0, Math.min(1, nodeValues[i])) : 0.15;
    const light = Math.round(96 - 50 * v);
    const node = svg("g", { transform: `translate(${x.toFixed(1)},${y.toFixed(1)})` });
    node.append(svg("circle", { r: nodeR, fill: `hsl(220 45% ${light}%)`, stroke: "white", "stroke-width": 1.5 }));
    const label = svg("text", { "text-anchor": "middle", dy: "0.35em", "font-size": Math.round(nodeR * 0.72), "font-weight": 600, fill: light < 65 ? "white" : "#223" });
    label.textContent = String(au);
    const title = svg("title", {});
    title.textContent = nodeValues ? `AU${au}: ${(100 * nodeValues[i]).toFixed(0)}% of frames` : `AU${au}`;
    node.append(label, title);
    root.append(node);
  });
  const figure = document.createElement("figure");
  figure.className = "maskau-relation-figure";
  figure.append(root);
  if (caption) {
    const cap = document.createElement("figcaption");
    cap.textContent = caption;
    figure.append(cap);
  }
  return figure;
}
