// A small anti-aliased rasteriser for the synthetic faces: filled ellipses,
// lens shapes and curved strokes bounded by quadratic-like curves, composited
// "over" into a float RGB buffer, then lit, blurred, noised and quantised.
//
// Shapes are given in face coordinates (the aligned crop spans [-1, 1], y down);
// a pose (roll, scale, shift) maps them to pixels. Each pixel centre is mapped
// back to face coordinates and every shape returns an approximate signed
// distance d to its outline there; coverage = clamp(0.5 - d / pixel, 0, 1) is
// the analytic box-filter estimate, so edges are smooth without supersampling.
// Only +, *, sqrt and comparisons are used per pixel.
import type { RGB } from "./identity.js";
import type { Rng } from "./prng.js";

export interface Pose {
  /** Roll in radians (positive turns the face clockwise on screen). */
  angle: number;
  /** Scale of the face in the crop (1 = nominal). */
  scale: number;
  /** Shift in normalised image units ([-1, 1] spans the image). */
  tx: number;
  ty: number;
}

export interface ShapeOptions {
  /** Extra edge softness in face units (0 = crisp, pixel-wide edge). */
  soft?: number;
}

export interface EllipseOptions extends ShapeOptions {
  /** Rotation of the ellipse axes in radians. */
  angle?: number;
  /** Draw an outline of this width instead of filling. */
  ring?: number;
  /** Keep only the part above (v <= y0 + k u^2) or below a parabola. */
  clip?: { y0: number; k: number; keep: "above" | "below" };
}

export interface ChordOptions extends ShapeOptions {
  /** Flattens the curve profile towards a box: profile (1 - t^2)(1 + box t^2). */
  box?: number;
  /** Moves the curve's peak towards the second point (positive) or the first. */
  skew?: number;
}

function clamp01(x: number): number {
  return x < 0 ? 0 : x > 1 ? 1 : x;
}

/** Profile of chord curves at t in [-1, 1] and its derivative. */
function profile(t: number, box: number, skew: number): number {
  return (1 - t * t) * (1 + box * t * t) * (1 + skew * t);
}
function profileSlope(t: number, box: number, skew: number): number {
  const a = 1 - t * t;
  const b = 1 + box * t * t;
  const c = 1 + skew * t;
  return -2 * t * b * c + a * 2 * box * t * c + a * b * skew;
}

export class Raster {
  readonly size: number;
  /** [H, W, 3] linear colour in 0..1. */
  readonly rgb: Float32Array;
  /** One pixel in face units under the current pose. */
  pixel = 1;
  // pixel -> face: u = iuX px + iuY py + iu0, v = ivX px + ivY py + iv0
  private iuX = 1;
  private iuY = 0;
  private iu0 = 0;
  private ivX = 0;
  private ivY = 1;
  private iv0 = 0;
  // face -> pixel
  private fxU = 1;
  private fxV = 0;
  private fx0 = 0;
  private fyU = 0;
  private fyV = 1;
  private fy0 = 0;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 8) throw new Error(`Raster: size must be an integer >= 8, got ${size}`);
    this.size = size;
    this.rgb = new Float32Array(size * size * 3);
    this.setPose({ angle: 0, scale: 1, tx: 0, ty: 0 });
  }

  setPose(pose: Pose): void {
    const S = this.size;
    const c = Math.cos(pose.angle);
    const s = Math.sin(pose.angle);
    const k = 2 / S;
    const sc = pose.scale;
    // image x = sc (c u - s v) + tx, y = sc (s u + c v) + ty; px = (x + 1) / k - 0.5
    this.fxU = (sc * c) / k;
    this.fxV = (-sc * s) / k;
    this.fx0 = (pose.tx + 1) / k - 0.5;
    this.fyU = (sc * s) / k;
    this.fyV = (sc * c) / k;
    this.fy0 = (pose.ty + 1) / k - 0.5;
    // inverse: x = (px + 0.5) k - 1
    const ox = 0.5 * k - 1 - pose.tx;
    const oy = 0.5 * k - 1 - pose.ty;
    this.iuX = (c * k) / sc;
    this.iuY = (s * k) / sc;
    this.iu0 = (c * ox + s * oy) / sc;
    this.ivX = (-s * k) / sc;
    this.ivY = (c * k) / sc;
    this.iv0 = (-s * ox + c * oy) / sc;
    this.pixel = k / sc;
  }

  fill(color: RGB): void {
    const d = this.rgb;
    for (let i = 0; i < d.length; i += 3) {
      d[i] = color[0];
      d[i + 1] = color[1];
      d[i + 2] = color[2];
    }
  }

  /** Pixel rectangle [x0, x1) x [y0, y1) covering a face-space box, or null if off-image. */
  private box(u0: number, v0: number, u1: number, v1: number): [number, number, number, number] | null {
    const S = this.size;
    let xmin = Infinity;
    let xmax = -Infinity;
    let ymin = Infinity;
    let ymax = -Infinity;
    for (let i = 0; i < 4; i++) {
      const u = i & 1 ? u1 : u0;
      const v = i & 2 ? v1 : v0;
      const x = this.fxU * u + this.fxV * v + this.fx0;
      const y = this.fyU * u + this.fyV * v + this.fy0;
      if (x < xmin) xmin = x;
      if (x > xmax) xmax = x;
      if (y < ymin) ymin = y;
      if (y > ymax) ymax = y;
    }
    const x0 = Math.max(0, Math.floor(xmin) - 1);
    const x1 = Math.min(S, Math.ceil(xmax) + 2);
    const y0 = Math.max(0, Math.floor(ymin) - 1);
    const y1 = Math.min(S, Math.ceil(ymax) + 2);
    if (x0 >= x1 || y0 >= y1) return null;
    return [x0, y0, x1, y1];
  }

  private blend(i: number, color: RGB, a: number): void {
    const d = this.rgb;
    d[i] += (color[0] - d[i]) * a;
    d[i + 1] += (color[1] - d[i + 1]) * a;
    d[i + 2] += (color[2] - d[i + 2]) * a;
  }

  /** Filled (or outlined) ellipse centred at (cx, cy) with radii rx, ry. */
  ellipse(cx: number, cy: number, rx: number, ry: number, color: RGB, alpha: number, opts: EllipseOptions = {}): void {
    if (alpha <= 0 || rx <= 0 || ry <= 0) return;
    const soft = opts.soft ?? 0;
    const ring = opts.ring ?? 0;
    const width = this.pixel + soft;
    const pad = Math.max(rx, ry) + ring + soft + this.pixel;
    const b = this.box(cx - pad, cy - pad, cx + pad, cy + pad);
    if (!b) return;
    const ca = Math.cos(opts.angle ?? 0);
    const sa = Math.sin(opts.angle ?? 0);
    const irx2 = 1 / (rx * rx);
    const iry2 = 1 / (ry * ry);
    const clip = opts.clip;
    const S = this.size;
    for (let py = b[1]; py < b[3]; py++) {
      for (let px = b[0]; px < b[2]; px++) {
        const u = this.iuX * px + this.iuY * py + this.iu0 - cx;
        const v = this.ivX * px + this.ivY * py + this.iv0 - cy;
        const lu = ca * u + sa * v;
        const lv = -sa * u + ca * v;
        const f = lu * lu * irx2 + lv * lv * iry2 - 1;
        const g = 2 * Math.sqrt(lu * lu * irx2 * irx2 + lv * lv * iry2 * iry2) + 1e-9;
        let d = f / g;
        if (ring > 0) d = Math.abs(d) - ring / 2;
        if (clip) {
          const uu = u + cx;
          const curve = clip.y0 + clip.k * uu * uu;
          const dc = clip.keep === "above" ? v + cy - curve : curve - (v + cy);
          if (dc > d) d = dc;
        }
        const cov = clamp01(0.5 - d / width);
        if (cov > 0) this.blend((py * S + px) * 3, color, cov * alpha);
      }
    }
  }

  /**
   * Head outline: an ellipse above the centre line and a jaw below it whose
   * half-width narrows as (1 - taper w^2) towards the chin.
   */
  face(cx: number, cy: number, rx: number, top: number, bottom: number, taper: number, color: RGB): void {
    const pad = Math.max(rx, top, bottom) + this.pixel;
    const b = this.box(cx - pad, cy - top - this.pixel, cx + pad, cy + bottom + this.pixel);
    if (!b) return;
    const S = this.size;
    const width = this.pixel;
    for (let py = b[1]; py < b[3]; py++) {
      for (let px = b[0]; px < b[2]; px++) {
        const u = this.iuX * px + this.iuY * py + this.iu0 - cx;
        const v = this.ivX * px + this.ivY * py + this.iv0 - cy;
        let rxv = rx;
        let ry = top;
        if (v > 0) {
          ry = bottom;
          const w = v / bottom;
          rxv = rx * (1 - taper * w * w);
          if (rxv < 0.05) rxv = 0.05;
        }
        const irx2 = 1 / (rxv * rxv);
        const iry2 = 1 / (ry * ry);
        const f = u * u * irx2 + v * v * iry2 - 1;
        const g = 2 * Math.sqrt(u * u * irx2 * irx2 + v * v * iry2 * iry2) + 1e-9;
        const cov = clamp01(0.5 - f / g / width);
        if (cov > 0) this.blend((py * S + px) * 3, color, cov);
      }
    }
  }

  /**
   * Lens between two curves spanning the chord p0 -> p1: the top curve rises
   * `bulgeTop` above the chord at its middle, the bottom one `bulgeBottom`
   * (negative = below). Eyes, lips and the open mouth are lenses.
   */
  lens(
    x0: number, y0: number, x1: number, y1: number,
    bulgeTop: number, bulgeBottom: number,
    color: RGB, alpha: number, opts: ChordOptions = {},
  ): void {
    if (alpha <= 0 || bulgeTop <= bulgeBottom) return;
    const box = opts.box ?? 0;
    const skew = opts.skew ?? 0;
    const width = this.pixel + (opts.soft ?? 0);
    const mx = (x0 + x1) / 2;
    const my = (y0 + y1) / 2;
    const len = Math.hypot(x1 - x0, y1 - y0) / 2;
    if (len <= 0) return;
    const ex = (x1 - x0) / (2 * len);
    const ey = (y1 - y0) / (2 * len);
    const reach = Math.max(Math.abs(bulgeTop), Math.abs(bulgeBottom)) * (1 + Math.abs(box)) * (1 + Math.abs(skew)) + width;
    const b = this.box(Math.min(x0, x1) - reach, Math.min(y0, y1) - reach, Math.max(x0, x1) + reach, Math.max(y0, y1) + reach);
    if (!b) return;
    const S = this.size;
    for (let py = b[1]; py < b[3]; py++) {
      for (let px = b[0]; px < b[2]; px++) {
        const u = this.iuX * px + this.iuY * py + this.iu0 - mx;
        const v = this.ivX * px + this.ivY * py + this.iv0 - my;
        const s = u * ex + v * ey;
        const n = -u * ey + v * ex; // along the downward normal
        const t = s / len;
        const dEnd = (Math.abs(t) - 1) * len;
        let d = dEnd;
        if (t > -1.0001 && t < 1.0001) {
          const p = profile(t, box, skew);
          const sl = profileSlope(t, box, skew) / len;
          const dTop = (-bulgeTop * p - n) / Math.sqrt(1 + bulgeTop * bulgeTop * sl * sl);
          const dBot = (n + bulgeBottom * p) / Math.sqrt(1 + bulgeBottom * bulgeBottom * sl * sl);
          if (dTop > d) d = dTop;
          if (dBot > d) d = dBot;
        }
        const cov = clamp01(0.5 - d / width);
        if (cov > 0) this.blend((py * S + px) * 3, color, cov * alpha);
      }
    }
  }

  /**
   * Stroke along a curve spanning p0 -> p1 that rises `bulge` above the chord
   * at its middle; the width goes linearly from w0 at p0 to w1 at p1, ends round.
   */
  curve(
    x0: number, y0: number, x1: number, y1: number,
    bulge: number, w0: number, w1: number,
    color: RGB, alpha: number, opts: ChordOptions = {},
  ): void {
    if (alpha <= 0) return;
    const box = opts.box ?? 0;
    const skew = opts.skew ?? 0;
    const width = this.pixel + (opts.soft ?? 0);
    const mx = (x0 + x1) / 2;
    const my = (y0 + y1) / 2;
    const len = Math.max(1e-6, Math.hypot(x1 - x0, y1 - y0) / 2);
    const ex = (x1 - x0) / (2 * len);
    const ey = (y1 - y0) / (2 * len);
    const reach = Math.abs(bulge) * (1 + Math.abs(box)) * (1 + Math.abs(skew)) + Math.max(w0, w1) + width;
    const b = this.box(Math.min(x0, x1) - reach, Math.min(y0, y1) - reach, Math.max(x0, x1) + reach, Math.max(y0, y1) + reach);
    if (!b) return;
    const S = this.size;
    for (let py = b[1]; py < b[3]; py++) {
      for (let px = b[0]; px < b[2]; px++) {
        const u = this.iuX * px + this.iuY * py + this.iu0 - mx;
        const v = this.ivX * px + this.ivY * py + this.iv0 - my;
        const s = u * ex + v * ey;
        const n = -u * ey + v * ex;
        const t = s / len;
        let d: number;
        if (t <= -1) {
          d = Math.sqrt((t + 1) * (t + 1) * len * len + n * n) - w0 / 2;
        } else if (t >= 1) {
          d = Math.sqrt((t - 1) * (t - 1) * len * len + n * n) - w1 / 2;
        } else {
          const c = -bulge * profile(t, box, skew);
          const sl = (bulge * profileSlope(t, box, skew)) / len;
          const w = w0 + (w1 - w0) * (t + 1) * 0.5;
          d = Math.abs(n - c) / Math.sqrt(1 + sl * sl) - w / 2;
        }
        const cov = clamp01(0.5 - d / width);
        if (cov > 0) this.blend((py * S + px) * 3, color, cov * alpha);
      }
    }
  }

  /**
   * An eye: sclera lens with an iris and pupil clipped to it, and a soft lid
   * shadow along the top curve.
   */
  eye(
    x0: number, y0: number, x1: number, y1: number,
    bulgeTop: number, bulgeBottom: number,
    irisX: number, irisY: number, irisR: number,
    sclera: RGB, iris: RGB, pupil: RGB,
  ): void {
    if (bulgeTop <= bulgeBottom) return;
    const width = this.pixel;
    const mx = (x0 + x1) / 2;
    const my = (y0 + y1) / 2;
    const len = Math.hypot(x1 - x0, y1 - y0) / 2;
    const ex = (x1 - x0) / (2 * len);
    const ey = (y1 - y0) / (2 * len);
    const reach = Math.max(Math.abs(bulgeTop), Math.abs(bulgeBottom)) + width;
    const b = this.box(Math.min(x0, x1) - reach, Math.min(y0, y1) - reach, Math.max(x0, x1) + reach, Math.max(y0, y1) + reach);
    if (!b) return;
    const S = this.size;
    const pupilR = irisR * 0.45;
    const opening = bulgeTop - bulgeBottom;
    const c: RGB = [0, 0, 0];
    for (let py = b[1]; py < b[3]; py++) {
      for (let px = b[0]; px < b[2]; px++) {
        const fu = this.iuX * px + this.iuY * py + this.iu0;
        const fv = this.ivX * px + this.ivY * py + this.iv0;
        const u = fu - mx;
        const v = fv - my;
        const s = u * ex + v * ey;
        const n = -u * ey + v * ex;
        const t = s / len;
        if (t <= -1.0001 || t >= 1.0001) continue;
        const p = 1 - t * t;
        const sl = (-2 * t) / len;
        const dTop = (-bulgeTop * p - n) / Math.sqrt(1 + bulgeTop * bulgeTop * sl * sl);
        const dBot = (n + bulgeBottom * p) / Math.sqrt(1 + bulgeBottom * bulgeBottom * sl * sl);
        let d = (Math.abs(t) - 1) * len;
        if (dTop > d) d = dTop;
        if (dBot > d) d = dBot;
        const cov = clamp01(0.5 - d / width);
        if (cov <= 0) continue;
        const du = fu - irisX;
        const dv = fv - irisY;
        const r = Math.sqrt(du * du + dv * dv);
        const ci = clamp01(0.5 - (r - irisR) / width);
        const cp = clamp01(0.5 - (r - pupilR) / width);
        // Upper lid shadow: darker near the top curve.
        const shade = 1 - 0.35 * clamp01(1 - -dTop / (0.45 * opening + 1e-6));
        for (let k = 0; k < 3; k++) {
          let col = sclera[k] + (iris[k] - sclera[k]) * ci;
          col += (pupil[k] - col) * cp;
          c[k] = col * shade;
        }
        this.blend((py * S + px) * 3, c, cov);
      }
    }
  }

  /**
   * Soft directional lighting on an ellipsoidal head at (cx, cy) with radii
   * (rx, ry): light from direction (lx, ly, lz) (unit, z towards the camera).
   * Outside the ellipse the shade continues as a gradient on the backdrop.
   */
  light(cx: number, cy: number, rx: number, ry: number, lx: number, ly: number, ambient: number, diffuse: number): void {
    const S = this.size;
    const lz = Math.sqrt(Math.max(0, 1 - lx * lx - ly * ly));
    const d = this.rgb;
    for (let py = 0; py < S; py++) {
      for (let px = 0; px < S; px++) {
        const q = (this.iuX * px + this.iuY * py + this.iu0 - cx) / rx;
        const w = (this.ivX * px + this.ivY * py + this.iv0 - cy) / ry;
        const r2 = q * q + w * w;
        let ndotl: number;
        if (r2 < 1) {
          ndotl = q * lx + w * ly + Math.sqrt(1 - r2) * lz;
        } else {
          // The backdrop: the limb's value at r = 1, fading with distance.
          const r = Math.sqrt(r2);
          ndotl = (q * lx + w * ly) / (r * r2);
        }
        const shade = ambient + diffuse * (ndotl > 0 ? ndotl : 0);
        const i = (py * S + px) * 3;
        d[i] *= shade;
        d[i + 1] *= shade;
        d[i + 2] *= shade;
      }
    }
  }

  /** Mixes the image with its 3x3 binomial blur by `amount` in [0, 1]. */
  blur(amount: number): void {
    if (amount <= 0) return;
    const S = this.size;
    const src = this.rgb;
    const tmp = new Float32Array(src.length);
    // Horizontal pass (edges clamp).
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const l = x > 0 ? x - 1 : x;
        const r = x < S - 1 ? x + 1 : x;
        for (let k = 0; k < 3; k++) {
          tmp[(y * S + x) * 3 + k] = 0.25 * src[(y * S + l) * 3 + k] + 0.5 * src[(y * S + x) * 3 + k] + 0.25 * src[(y * S + r) * 3 + k];
        }
      }
    }
    for (let y = 0; y < S; y++) {
      const u = y > 0 ? y - 1 : y;
      const dn = y < S - 1 ? y + 1 : y;
      for (let x = 0; x < S; x++) {
        for (let k = 0; k < 3; k++) {
          const i = (y * S + x) * 3 + k;
          const b = 0.25 * tmp[(u * S + x) * 3 + k] + 0.5 * tmp[i] + 0.25 * tmp[(dn * S + x) * 3 + k];
          src[i] += (b - src[i]) * amount;
        }
      }
    }
  }

  /**
   * Writes the image as uint8 RGB into `out` at `offset`, adding zero-mean noise
   * of standard deviation `noise` (0..1 units) drawn from `rng`.
   */
  toUint8(out: Uint8Array, offset: number, noise: number, rng: Rng): void {
    const d = this.rgb;
    // Sum of three uniforms, rescaled to unit variance: cheap and close to normal.
    const scale = noise * 2 * 255;
    for (let i = 0; i < d.length; i++) {
      const n = noise > 0 ? (rng.next() + rng.next() + rng.next() - 1.5) * scale : 0;
      const v = Math.round(d[i] * 255 + n);
      out[offset + i] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
}
