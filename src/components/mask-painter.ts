// Paint an occlusion with the mouse (or a finger) over a face. An Observable view:
// `.value` is the list of strokes in image pixel coordinates, and an "input"
// event fires when a stroke ends, so `view(MaskPainter(...))` drives the page.

import type { Stroke } from "../lib/masks/paint.js";

export interface MaskPainterOptions {
  /** Patch mask implied by the strokes (outlined), if the page computed it. */
  patchMask?: ArrayLike<number>;
  scale?: number;
  radius?: number;
  /** Strokes to start from (e.g. restored from the URL). */
  value?: Stroke[];
}

export function MaskPainter(rgb: Uint8Array, size: number, { scale = 4, radius = 5, value = [], patchMask }: MaskPainterOptions = {}): HTMLElement & { value: Stroke[] } {
  const root = document.createElement("div") as unknown as HTMLElement & { value: Stroke[] };
  root.className = "maskau-mask-painter";
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size * scale;
  canvas.style.touchAction = "none";
  canvas.style.cursor = "crosshair";
  canvas.setAttribute("aria-label", "paint an occlusion");
  const ctx = canvas.getContext("2d")!;
  const face = document.createElement("canvas");
  face.width = face.height = size;
  const img = face.getContext("2d")!.createImageData(size, size);
  for (let p = 0; p < size * size; p++) img.data.set([rgb[p * 3], rgb[p * 3 + 1], rgb[p * 3 + 2], 255], p * 4);
  face.getContext("2d")!.putImageData(img, 0, 0);

  const clear = document.createElement("button");
  clear.type = "button";
  clear.textContent = "clear";
  const hint = document.createElement("small");
  hint.textContent = " drag on the face to paint; the painted area is removed";
  let strokes: Stroke[] = value.map((s) => ({ points: s.points.map((p) => ({ x: p.x, y: p.y })), radius: s.radius }));
  let current: { points: { x: number; y: number }[]; radius: number } | null = null;

  function draw(): void {
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(face, 0, 0, canvas.width, canvas.height);
    ctx.fillStyle = "rgba(230, 60, 60, 0.65)";
    for (const s of current ? [...strokes, current] : strokes) {
      for (const { x, y } of s.points) {
        ctx.beginPath();
        ctx.arc(x * scale, y * scale, s.radius * scale, 0, 2 * Math.PI);
        ctx.fill();
      }
    }
    // The patches that the strokes remove (what the MAE will reconstruct).
    if (patchMask) {
      const g = Math.sqrt(patchMask.length);
      const cell = (size / g) * scale;
      ctx.strokeStyle = "rgba(255, 255, 255, 0.9)";
      ctx.lineWidth = 1;
      for (let i = 0; i < patchMask.length; i++) if (patchMask[i]) ctx.strokeRect((i % g) * cell + 0.5, Math.floor(i / g) * cell + 0.5, cell - 1, cell - 1);
    }
  }
  const at = (e: PointerEvent): { x: number; y: number } => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * size, y: ((e.clientY - r.top) / r.height) * size };
  };
  const emit = () => {
    root.value = strokes;
    root.dispatchEvent(new Event("input", { bubbles: true }));
  };
  canvas.addEventListener("pointerdown", (e) => {
    canvas.setPointerCapture(e.pointerId);
    current = { points: [at(e)], radius };
    draw();
  });
  canvas.addEventListener("pointermove", (e) => {
    if (!current) return;
    const { x, y } = at(e);
    const { x: px, y: py } = current.points[current.points.length - 1];
    // Fill gaps so that fast strokes stay continuous.
    const steps = Math.max(1, Math.ceil(Math.hypot(x - px, y - py) / (radius / 2)));
    for (let i = 1; i <= steps; i++) current.points.push({ x: px + ((x - px) * i) / steps, y: py + ((y - py) * i) / steps });
    draw();
  });
  const end = () => {
    if (!current) return;
    strokes = [...strokes, current];
    current = null;
    draw();
    emit();
  };
  canvas.addEventListener("pointerup", end);
  canvas.addEventListener("pointercancel", end);
  clear.addEventListener("click", () => {
    strokes = [];
    draw();
    emit();
  });
  root.value = strokes;
  draw();
  const bar = document.createElement("div");
  bar.append(clear, hint);
  root.append(canvas, bar);
  return root;
}
