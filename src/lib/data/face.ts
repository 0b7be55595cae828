// Draws one aligned, frontal cartoon face: an identity's geometry deformed by AU
// intensities following FACS appearance changes, under one frame's pose,
// lighting and camera settings.
//
// Each AU changes only its own region, on both sides of the face:
//   brows  AU1 raises the inner brow ends (oblique brows, central forehead lines);
//          AU2 raises the outer ends (arched brows, lateral forehead lines);
//          AU4 lowers and knits the brows (vertical glabella furrows, lids lowered).
//   eyes   AU6 lifts the cheeks and the lower lids (crow's feet, under-eye furrow);
//          AU7 tightens the lids (lower lid raised and straightened, no crow's feet).
//   nose   AU9 wrinkles the nose bridge and lifts the nostrils.
//   upper lip AU10 lifts the upper lip (deeper upper nasolabial furrow, teeth show).
//   mouth corners AU12 pulls them up and out; AU14 tucks them in with dimples;
//          AU15 pulls them down (marionette lines).
//   chin   AU17 pushes the chin boss and lower lip up (chin dimpling, deeper sulcus).
//   lips   AU23 narrows and thins the lips; AU24 presses them flat (bulges above
//          and below); AU25 parts them.
//   jaw    AU26 drops the jaw (longer lower face, chin down, mouth open).
import { ALL_AUS } from "./aus.js";
import type { Identity, RGB } from "./identity.js";
import { Raster, type Pose } from "./raster.js";

/** Per-frame camera and scene settings. */
export interface FrameParams {
  pose: Pose;
  /** Small head turn: features shift sideways in proportion to their depth. */
  yaw: number;
  /** Light direction in the image plane (unit-ish; z is derived) and its strength. */
  light: { x: number; y: number; ambient: number; diffuse: number };
  /** Gaze offset of the irises, -1..1 on each axis. */
  gaze: { x: number; y: number };
  /** 0 open .. 1 closed. */
  blink: number;
  /** Pixel noise standard deviation, 0..1 units. */
  noise: number;
  /** 3x3 blur mix, 0..1. */
  blur: number;
}

export const NEUTRAL_FRAME: FrameParams = {
  pose: { angle: 0, scale: 1, tx: 0, ty: 0 },
  yaw: 0,
  light: { x: -0.3, y: -0.4, ambient: 0.62, diffuse: 0.42 },
  gaze: { x: 0, y: 0 },
  blink: 0,
  noise: 0,
  blur: 0,
};

const AU_INDEX: Record<number, number> = Object.fromEntries(ALL_AUS.map((au, i) => [au, i]));

/**
 * Visual amount 0..1 for a continuous intensity 0..5: concave, so that A and B
 * levels (1, 2) already show clearly (about 0.39 and 0.69 of the full change)
 * while D and E (4, 5) differ little, as FACS intensity scoring describes.
 */
export function appearance(intensity: number): number {
  const x = intensity <= 0 ? 0 : intensity >= 5 ? 1 : intensity / 5;
  const e = x * (2.2 - 1.2 * x);
  return e > 1 ? 1 : e;
}

function scale(c: RGB, f: number): RGB {
  return [c[0] * f, c[1] * f, c[2] * f];
}
function mixRGB(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}
function clamp(x: number, lo: number, hi: number): number {
  return x < lo ? lo : x > hi ? hi : x;
}

const SCLERA: RGB = [0.93, 0.92, 0.9];
const PUPIL: RGB = [0.05, 0.04, 0.04];
const LASH: RGB = [0.12, 0.08, 0.07];
const MOUTH_INSIDE: RGB = [0.28, 0.08, 0.09];
const TEETH: RGB = [0.93, 0.91, 0.86];

/**
 * Renders a face into `r` (which must be sized already). `intensities` holds a
 * continuous intensity 0..5 per AU, indexed like ALL_AUS.
 */
export function drawFace(r: Raster, id: Identity, intensities: ArrayLike<number>, frame: FrameParams): void {
  const amt = (au: number): number => appearance(intensities[AU_INDEX[au]] + (id.rest[au as keyof typeof id.rest] ?? 0));
  const e1 = amt(1), e2 = amt(2), e4 = amt(4), e6 = amt(6), e7 = amt(7), e9 = amt(9), e10 = amt(10);
  const e12 = amt(12), e14 = amt(14), e15 = amt(15), e17 = amt(17), e23 = amt(23), e24 = amt(24), e25 = amt(25), e26 = amt(26);

  const skin = id.skin;
  const dark = (f: number): RGB => scale(skin, f);
  const yaw = frame.yaw;
  const cy = id.faceCy;
  const jawDrop = 0.1 * e26;
  const side = (s: number): number => 1 + id.asymmetry * s * 0.35;

  r.setPose(frame.pose);
  // Backdrop with a gentle vertical gradient.
  r.fill(id.background);
  r.ellipse(0, 1.4, 1.6, 1.0, scale(id.background, 0.85), 0.6, { soft: 0.6 });

  // Hair behind the head.
  const hx = yaw * -0.05;
  if (id.hairStyle === "long") r.ellipse(hx, cy + 0.15, id.faceRx + 0.22, id.faceTop + 0.5, id.hairColor, 1);
  if (id.hairStyle === "medium") r.ellipse(hx, cy - 0.02, id.faceRx + 0.13, id.faceTop + 0.12, id.hairColor, 1);
  if (id.hairStyle === "bun") r.ellipse(hx, cy - id.faceTop - 0.1, 0.2, 0.17, id.hairColor, 1);

  // Neck and ears.
  const chinY = cy + id.faceBottom + jawDrop;
  r.ellipse(0, chinY + 0.25, id.faceRx * 0.55, 0.5, dark(0.82), 1);
  for (const s of [-1, 1]) {
    const ex = s * (id.faceRx - 0.015) - yaw * 0.25;
    r.ellipse(ex, id.eyeY + 0.1, 0.06, 0.12, dark(0.95), 1);
    r.ellipse(ex + s * 0.008, id.eyeY + 0.1, 0.028, 0.07, dark(0.8), 0.45, { soft: 0.02 });
  }

  // Head.
  r.face(yaw * 0.04, cy, id.faceRx, id.faceTop, id.faceBottom + jawDrop, id.jawTaper, skin);
  // Shadow under the chin onto the neck is implied by the neck tone; add jaw shading.
  r.ellipse(yaw * 0.04, chinY - 0.05, id.faceRx * 0.5, 0.08, dark(0.9), 0.35, { soft: 0.08 });

  // Cheeks: raised and rounder with AU6, a little with AU12.
  const cheekLift = 0.09 * e6 + 0.025 * e12;
  const blush = mixRGB(skin, [0.85, 0.45, 0.45], 0.35);
  for (const s of [-1, 1]) {
    const cxk = s * 0.33 + yaw * 0.1;
    r.ellipse(cxk, 0.17 - cheekLift * side(s), 0.13, 0.085 + 0.03 * e6, blush, 0.12 + 0.3 * e6, { soft: 0.07 });
    r.ellipse(cxk, 0.13 - cheekLift * side(s), 0.08, 0.05, scale(skin, 1.12), 0.1 + 0.35 * e6, { soft: 0.05 });
  }

  // Forehead lines: central with AU1, lateral with AU2, faint constant lines with age.
  const line = dark(0.68);
  for (let i = 0; i < 3; i++) {
    const y = id.browY - 0.1 - i * 0.055 - 0.03 * Math.max(e1, e2);
    const central = clamp(0.85 * e1 + 0.35 * id.wrinkles - 0.05, 0, 1);
    r.curve(-0.17 + yaw * 0.1, y + 0.01, 0.17 + yaw * 0.1, y + 0.01, 0.02, 0.016, 0.016, line, central);
    for (const s of [-1, 1]) {
      const lateral = clamp(0.85 * e2 * side(s) + 0.25 * id.wrinkles - 0.05, 0, 1);
      const x0 = s * 0.16 + yaw * 0.1;
      const x1 = s * 0.42 + yaw * 0.1;
      r.curve(Math.min(x0, x1), y + (s < 0 ? 0.03 : 0), Math.max(x0, x1), y + (s < 0 ? 0 : 0.03), 0.02, 0.015, 0.015, line, lateral);
    }
  }

  // Glabella furrows (AU4) and a transverse line at the nose root (AU4, AU9).
  const glab = clamp(0.95 * e4, 0, 1);
  for (const s of [-1, 1]) {
    const gx = s * 0.035 + yaw * 0.15;
    r.curve(gx, id.browY - 0.02, gx + s * 0.01, id.browY + 0.09, 0.01 * s, 0.014, 0.018, dark(0.62), glab);
  }
  r.curve(-0.06 + yaw * 0.2, id.eyeY + 0.0, 0.06 + yaw * 0.2, id.eyeY + 0.0, 0.0, 0.014, 0.014, dark(0.65), clamp(0.4 * e4 + 0.6 * e9, 0, 1));

  // Eye sockets (soft shade), eyes, lids.
  const eyeOpenTop = 0.075 * id.eyeOpen;
  const eyeOpenBottom = -0.045 * id.eyeOpen;
  for (const s of [-1, 1]) {
    const k = side(s);
    const ex = s * id.eyeSpacing + yaw * 0.12;
    const ey = id.eyeY;
    const hw = id.eyeHalfWidth;
    r.ellipse(ex, ey - 0.03, hw * 1.35, 0.075, dark(0.82), 0.35, { soft: 0.04 });
    let top = eyeOpenTop - 0.012 * e6 * k - 0.03 * e7 * k - 0.014 * e4 * k - 0.01 * e9 + 0.014 * (e1 + e2) * 0.5 * k;
    let bottom = eyeOpenBottom + 0.035 * e6 * k + 0.045 * e7 * k + 0.01 * e9;
    top *= 1 - frame.blink;
    if (top - bottom < 0.008) {
      const mid = (top + bottom) / 2;
      top = mid + 0.004;
      bottom = mid - 0.004;
    }
    const inner = ex - s * hw;
    const outer = ex + s * hw;
    const xl = Math.min(inner, outer);
    const xr = Math.max(inner, outer);
    const yl = s < 0 ? ey - 0.006 : ey + 0.006; // outer corners slightly higher
    const yr = s < 0 ? ey + 0.006 : ey - 0.006;
    const irisR = 0.042;
    const ix = ex + frame.gaze.x * 0.035;
    const iy = ey - (top + bottom) / 2 + frame.gaze.y * 0.012 + 0.004;
    r.eye(xl, yl, xr, yr, top, bottom, ix, iy, irisR, SCLERA, id.iris, PUPIL);
    // Lid crease above the upper lid, lash line on it, lower lid line (stronger with AU7).
    r.curve(xl, yl - 0.01, xr, yr - 0.01, top + 0.03 - 0.01 * e7, 0.012, 0.012, dark(0.7), 0.5);
    r.curve(xl, yl, xr, yr, top, s < 0 ? 0.028 : 0.016, s < 0 ? 0.016 : 0.028, LASH, 0.95);
    r.curve(xl, yl, xr, yr, bottom, 0.012 + 0.012 * e7, 0.012 + 0.012 * e7, dark(0.6), 0.35 + 0.5 * e7);
    // AU6: infraorbital furrow under the eye and crow's feet at the outer corner.
    r.curve(xl, ey + 0.065 - 0.022 * e6, xr, ey + 0.065 - 0.022 * e6, -0.025, 0.014, 0.014, dark(0.66), clamp(0.9 * e6 * k, 0, 1));
    const ox = outer + s * 0.03;
    for (const dy of [-0.03, 0, 0.03]) {
      const x1 = ox + s * 0.075;
      r.curve(Math.min(ox, x1), s > 0 ? ey + dy : ey + dy * 2.2, Math.max(ox, x1), s > 0 ? ey + dy * 2.2 : ey + dy, 0, 0.014, 0.014, dark(0.62), clamp(0.95 * e6 * k, 0, 1));
    }
  }

  // Eyebrows: inner ends up with AU1, outer ends up with AU2, lowered and knitted with AU4.
  for (const s of [-1, 1]) {
    const k = side(s);
    const base = id.browY + (0.09 * e4 + 0.025 * e9) * k;
    const innerX = s * (0.085 - 0.06 * e4 * k) + yaw * 0.12;
    const innerY = base + (0.06 * e4 + 0.02 * e9) * k - 0.2 * e1 * k;
    const outerX = s * (0.085 + id.browLength) + yaw * 0.12;
    const outerY = base + 0.035 - 0.19 * e2 * k;
    const arch = id.browArch + 0.06 * e2 * k + 0.02 * e1 * k - 0.025 * e4 * k;
    const [xl, yl, xr, yr] = s < 0 ? [outerX, outerY, innerX, innerY] : [innerX, innerY, outerX, outerY];
    const wInner = id.browThickness * 1.15;
    const wOuter = id.browThickness * 0.55;
    r.curve(xl, yl, xr, yr, arch, s < 0 ? wOuter : wInner, s < 0 ? wInner : wOuter, id.browColor, 0.95, { skew: s < 0 ? -0.35 : 0.35 });
  }

  // Nose.
  const tipX = yaw * 0.35;
  const tipY = id.eyeY + id.noseLength + 0.03;
  const nostrilLift = 0.032 * e9 + 0.016 * e10;
  const shadowSide = frame.light.x > 0 ? -1 : 1;
  r.ellipse(tipX + shadowSide * id.noseWidth * 0.7, (id.eyeY + tipY) / 2 + 0.04, 0.035, id.noseLength * 0.45, dark(0.8), 0.35, { soft: 0.03 });
  r.ellipse(tipX, tipY - 0.01, id.noseWidth * 0.6, 0.05, scale(skin, 1.08), 0.5, { soft: 0.025 });
  for (const s of [-1, 1]) {
    const ax = tipX + s * (id.noseWidth + 0.008 * e9);
    const ay = tipY + 0.012 - nostrilLift;
    r.ellipse(ax, ay, 0.036 + 0.008 * e9, 0.032, dark(0.84), 0.7, { soft: 0.01 });
    r.ellipse(tipX + s * id.noseWidth * 0.45, tipY + 0.035 - nostrilLift, 0.026, 0.012, [0.22, 0.11, 0.09], 0.85, { angle: s * 0.35 });
  }
  // AU9: wrinkles across the nose bridge.
  for (let i = 0; i < 3; i++) {
    const y = id.eyeY + 0.045 + i * 0.035;
    r.curve(-0.065 + yaw * 0.25, y, 0.065 + yaw * 0.25, y, 0.012, 0.014, 0.014, dark(0.6), clamp(0.95 * e9, 0, 1));
  }

  // Mouth geometry.
  const corner = (s: number): [number, number] => {
    const k = side(s);
    const dx = (0.055 * e12 - 0.045 * e14 - 0.012 * e15 - 0.05 * e23 + 0.015 * e24 - 0.02 * e26 - 0.01 * e25) * k;
    const dy = (-0.11 * e12 - 0.015 * e14 + 0.1 * e15 + 0.02 * e17 + 0.05 * e26 - 0.015 * e10) * k;
    return [s * (id.mouthHalfWidth + dx) + yaw * 0.15, id.mouthY + dy];
  };
  const [lx, ly] = corner(-1);
  const [rx, ry] = corner(1);
  const chordY = (ly + ry) / 2;
  const centreY = id.mouthY - 0.05 * e17 - 0.02 * e10 + 0.01 * e15;
  // Mouth line bulge relative to the corner chord (positive = centre higher); AU24 flattens it.
  const m = (chordY - centreY) * (1 - 0.5 * e24);
  const gap = 0.07 * e25 + 0.1 * e26 + 0.012 * e10 * e25;
  const upperTh = Math.max(0.005, id.upperLip * (1 - 0.65 * e23 - 0.75 * e24) + 0.015 * e10);
  const lowerTh = Math.max(0.006, id.lowerLip * (1 - 0.6 * e23 - 0.75 * e24 + 0.35 * e17));
  const upperInner = m + gap * 0.35;
  const lowerInner = m - gap * 0.65;
  const lipTop = upperInner + upperTh;
  const lipBottom = lowerInner - lowerTh;

  // Nasolabial furrows: deepened by AU10 (upper part) and AU12 (pulled out), also AU6, AU9.
  const naso = clamp(0.12 + 0.55 * e12 + 0.6 * e10 + 0.3 * e9 + 0.2 * e6, 0, 1);
  for (const s of [-1, 1]) {
    const [cx0, cy0] = s < 0 ? [lx, ly] : [rx, ry];
    const x0 = tipX + s * (id.noseWidth + 0.04);
    const y0 = tipY - 0.01;
    const x1 = cx0 + s * 0.05;
    const y1 = cy0 + 0.04;
    r.curve(x0, y0, x1, y1, s * (0.025 + 0.02 * e12), 0.02, 0.012, dark(0.68), naso * side(s), { soft: 0.01 });
  }

  // Chin: mentolabial sulcus (deeper and higher with AU17), chin boss, dimpling.
  // Chord-relative bulges are "up" offsets, so the lower lip's lowest point is at chordY - lipBottom.
  const sulcusY = chordY - lipBottom + 0.035 - 0.012 * e17;
  r.curve(-0.1 + yaw * 0.12, sulcusY, 0.1 + yaw * 0.12, sulcusY, -0.015, 0.02, 0.02, dark(0.7), clamp(0.25 + 0.65 * e17, 0, 1), { soft: 0.01 });
  const bossY = chinY - 0.11 - 0.035 * e17;
  r.ellipse(yaw * 0.1, bossY, 0.11, 0.07, scale(skin, 1.1), 0.25 + 0.25 * e17, { soft: 0.04 });
  const dimple = clamp(0.9 * e17, 0, 1);
  for (const [dx, dy] of [[-0.05, 0], [0.05, 0], [0, 0.03], [-0.025, -0.03], [0.025, -0.03], [0, -0.005]]) {
    r.ellipse(yaw * 0.1 + dx, bossY + dy, 0.014, 0.012, dark(0.7), dimple);
  }

  // Beard and moustache sit under the lips.
  if (id.beard === "full" || id.beard === "stubble") {
    const alpha = id.beard === "full" ? 0.8 : 0.3;
    r.ellipse(yaw * 0.05, chinY - id.faceBottom * 0.35, id.faceRx * 1.0, id.faceBottom * 0.75 + jawDrop, id.hairColor, alpha, {
      clip: { y0: id.mouthY - 0.02, k: -0.9, keep: "below" },
      soft: 0.02,
    });
  }
  if (id.beard === "goatee") r.ellipse(yaw * 0.1, chinY - 0.12, 0.13, 0.14, id.hairColor, 0.85, { soft: 0.02 });

  // Mouth: inside, teeth, lips, lip line.
  const ck = { box: 0.5 };
  if (upperInner - lowerInner > 0.004) {
    r.lens(lx, ly, rx, ry, upperInner, lowerInner, MOUTH_INSIDE, 1, ck);
    const tw = 0.85;
    const mx = (lx + rx) / 2;
    const my = (ly + ry) / 2;
    const teethH = Math.min(upperInner - lowerInner, 0.035);
    r.lens(mx + (lx - mx) * tw, my + (ly - my) * tw, mx + (rx - mx) * tw, my + (ry - my) * tw, upperInner, upperInner - teethH, TEETH, 0.95, ck);
  }
  r.lens(lx, ly, rx, ry, lipTop, upperInner, id.lipColor, 1, { box: 0.7 });
  r.lens(lx, ly, rx, ry, lowerInner, lipBottom, scale(id.lipColor, 1.05), 1, { box: 0.5 });
  r.lens(lx, ly, rx, ry, lowerInner - lowerTh * 0.25, lowerInner - lowerTh * 0.55, scale(id.lipColor, 1.25), 0.35, { box: 0.3, soft: 0.01 });
  const closed = clamp(1 - (upperInner - lowerInner) / 0.02, 0, 1);
  r.curve(lx, ly, rx, ry, m, 0.012, 0.012, scale(id.lipColor, 0.45), 0.9 * closed + 0.1, ck);
  // AU23: rolled, tight lip borders. AU24: bulges above and below the pressed lips.
  r.curve(lx, ly, rx, ry, lipTop + 0.012, 0.012, 0.012, dark(0.62), clamp(0.8 * e23, 0, 1), ck);
  r.curve(lx, ly, rx, ry, lipTop + 0.03, 0.02, 0.02, dark(0.7), clamp(0.8 * e24, 0, 1), { box: 0.3, soft: 0.01 });
  r.curve(lx + 0.03, ly, rx - 0.03, ry, lipBottom - 0.028, 0.02, 0.02, dark(0.7), clamp(0.8 * e24, 0, 1), { box: 0.3, soft: 0.01 });
  if (id.beard === "moustache" || id.beard === "goatee" || id.beard === "full") {
    r.curve(lx - 0.02, ly - 0.02, rx + 0.02, ry - 0.02, lipTop + 0.035, 0.03, 0.03, id.hairColor, 0.9, { box: 0.4 });
  }

  // Corners: AU14 dimples, AU15 marionette lines, AU12 corner creases.
  for (const s of [-1, 1]) {
    const k = side(s);
    const [cx0, cy0] = s < 0 ? [lx, ly] : [rx, ry];
    const dxm = cx0 + s * 0.035;
    r.curve(dxm, cy0 - 0.025, dxm, cy0 + 0.02, -s * 0.012, 0.016, 0.016, dark(0.6), clamp(0.85 * e14 * k, 0, 1));
    const mx1 = cx0 + s * 0.045;
    r.curve(Math.min(cx0 + s * 0.01, mx1), s < 0 ? cy0 + 0.11 : cy0 + 0.02, Math.max(cx0 + s * 0.01, mx1), s < 0 ? cy0 + 0.02 : cy0 + 0.11, 0, 0.014, 0.014, dark(0.64), clamp(0.7 * e15 * k, 0, 1));
    r.curve(cx0 - 0.012, cy0 - 0.01, cx0 + 0.012, cy0 + 0.012, 0, 0.012, 0.012, dark(0.62), clamp(0.4 * e12 * k, 0, 1));
  }

  // Hair in front: top hair above a hairline that dips towards the temples.
  if (id.hairStyle !== "bald") {
    const bangs = id.hairStyle === "long" || id.hairStyle === "medium" ? 0.06 : 0;
    r.ellipse(hx, cy - 0.06, id.faceRx + 0.07, id.faceTop + 0.1, id.hairColor, 1, {
      clip: { y0: cy + id.hairline + bangs, k: 0.9, keep: "above" },
    });
  } else {
    for (const s of [-1, 1]) {
      r.ellipse(s * (id.faceRx - 0.03), cy - 0.2, 0.08, 0.22, id.hairColor, 0.8, { soft: 0.02 });
    }
  }

  // Glasses: frames, tinted lenses, bridge.
  if (id.glasses !== "none") {
    const round = id.glasses === "round";
    const grx = round ? 0.15 : 0.19;
    const gry = round ? 0.13 : 0.1;
    for (const s of [-1, 1]) {
      const gx = s * id.eyeSpacing + yaw * 0.18;
      const gy = id.eyeY + 0.01;
      r.ellipse(gx, gy, grx, gry, [0.75, 0.8, 0.85], 0.12);
      r.ellipse(gx, gy, grx, gry, id.glassesColor, 1, { ring: 0.022 });
      r.curve(Math.min(gx + s * grx, s * id.faceRx), gy - 0.03, Math.max(gx + s * grx, s * id.faceRx), gy - 0.03, 0, 0.02, 0.02, id.glassesColor, 1);
    }
    const bx = id.eyeSpacing - grx;
    r.curve(-bx + yaw * 0.18, id.eyeY - 0.01, bx + yaw * 0.18, id.eyeY - 0.01, 0.03, 0.02, 0.02, id.glassesColor, 1);
  }

  // Lighting, optics, sensor.
  const lightX = frame.light.x;
  const lightY = frame.light.y;
  r.light(0, cy - 0.05, id.faceRx * 1.3, id.faceTop * 1.25, lightX, lightY, frame.light.ambient, frame.light.diffuse);
  r.blur(frame.blur);
}
