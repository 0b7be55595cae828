// The method as a picture: occlusion -> MAE reconstruction -> teacher, and the
// student reading the MAE latent of the occluded face, distilled from the teacher.
// Boxes link to the stage pages.
import { svg } from "htl";

interface Box {
  id: string;
  x: number;
  y: number;
  w: number;
  label: string;
  sub: string;
  href?: string;
  tone: "data" | "mae" | "teacher" | "student";
}

const BOXES: Box[] = [
  { id: "face", x: 10, y: 95, w: 110, label: "Face", sub: "default dataset", href: "pages/data", tone: "data" },
  { id: "occ", x: 150, y: 95, w: 130, label: "Occlusion", sub: "patches · block", href: "pages/occlusion-lab", tone: "data" },
  { id: "mae", x: 320, y: 20, w: 150, label: "MAE", sub: "encoder + decoder", href: "pages/mae-pretraining", tone: "mae" },
  { id: "comp", x: 510, y: 20, w: 130, label: "Composite", sub: "visible + recon.", href: "pages/occlusion-lab", tone: "mae" },
  { id: "teacher", x: 680, y: 20, w: 150, label: "Teacher", sub: "ME-GraphAU", href: "pages/teacher", tone: "teacher" },
  { id: "enc", x: 320, y: 170, w: 150, label: "MAE encoder", sub: "all patches", href: "pages/student-kd", tone: "mae" },
  { id: "align", x: 510, y: 170, w: 130, label: "Alignment", sub: "latent → nodes", href: "pages/student-kd", tone: "student" },
  { id: "student", x: 680, y: 170, w: 150, label: "Student", sub: "AU graph head", href: "pages/student-kd", tone: "student" },
];

const EDGES: [string, string][] = [
  ["face", "occ"],
  ["occ", "mae"],
  ["mae", "comp"],
  ["comp", "teacher"],
  ["occ", "enc"],
  ["enc", "align"],
  ["align", "student"],
];

const TONES = { data: "#e8eef7", mae: "#fdf0dc", teacher: "#e3f2e1", student: "#f3e6f5" };
const H = 50;

export function MethodDiagram({ width = 840 }: { width?: number } = {}): SVGSVGElement {
  const byId = new Map(BOXES.map((b) => [b.id, b]));
  const arrow = ([from, to]: [string, string]) => {
    const a = byId.get(from)!;
    const b = byId.get(to)!;
    const x1 = a.x + a.w;
    const y1 = a.y + H / 2;
    const x2 = b.x - 4;
    const y2 = b.y + H / 2;
    const mx = (x1 + x2) / 2;
    return svg`<path d="M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}" fill="none" stroke="currentColor" stroke-opacity="0.6" marker-end="url(#maskau-arrow)"/>`;
  };
  const box = (b: Box) => {
    const body = svg`<g transform="translate(${b.x},${b.y})">
      <rect width="${b.w}" height="${H}" rx="8" fill="${TONES[b.tone]}" stroke="currentColor" stroke-opacity="0.35"/>
      <text x="${b.w / 2}" y="21" text-anchor="middle" font-weight="600">${b.label}</text>
      <text x="${b.w / 2}" y="38" text-anchor="middle" font-size="11" fill-opacity="0.7">${b.sub}</text>
    </g>`;
    return b.href ? svg`<a href="${b.href}">${body}</a>` : body;
  };
  const t = byId.get("teacher")!;
  const s = byId.get("student")!;
  const kdX = t.x + t.w / 2;
  return svg`<svg class="maskau-method-diagram" viewBox="0 0 840 235" width="${width}" role="img" aria-label="MaskAU method diagram">
    <defs><marker id="maskau-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="currentColor" fill-opacity="0.6"/></marker></defs>
    ${EDGES.map(arrow)}
    <path d="M${kdX},${t.y + H} L${kdX},${s.y - 4}" stroke="#9467bd" stroke-width="2" stroke-dasharray="5 3" marker-end="url(#maskau-arrow)"/>
    <text x="${kdX - 8}" y="${(t.y + H + s.y) / 2 + 4}" text-anchor="end" font-size="11" fill="#9467bd">KD: nodes + edges</text>
    ${BOXES.map(box)}
  </svg>` as SVGSVGElement;
}
