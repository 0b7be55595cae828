// Synthetic identities: the fixed appearance of one subject. Geometry is in face
// coordinates (the aligned crop spans [-1, 1] on both axes, y pointing down).
//
// Identities differ in face shape and proportions, skin tone, hair, eyebrows,
// beard and glasses, and each has a resting ("neutral") geometry expressed in
// AU units: someone with low, knitted brows at rest looks a bit like AU4
// without any AU being coded. Together with the background and the per-subject
// expression style this lets identity leak into AU features, as in real data.
import { type AUNumber } from "./aus.js";
import { sampleExpressionStyle, type ExpressionStyle } from "./expression.js";
import { Rng } from "./prng.js";

export type RGB = [number, number, number];

export type HairStyle = "bald" | "short" | "medium" | "long" | "bun";
export type BeardStyle = "none" | "stubble" | "moustache" | "goatee" | "full";
export type GlassesStyle = "none" | "round" | "square";

export interface Identity {
  subject: string;
  sex: "F" | "M";
  skin: RGB;
  /** Face half-width and half-heights above / below the face centre. */
  faceRx: number;
  faceTop: number;
  faceBottom: number;
  /** 0 round jaw .. 0.35 narrow, pointed chin. */
  jawTaper: number;
  faceCy: number;
  eyeY: number;
  eyeSpacing: number;
  eyeHalfWidth: number;
  eyeOpen: number;
  iris: RGB;
  browY: number;
  browThickness: number;
  browArch: number;
  browLength: number;
  browColor: RGB;
  noseLength: number;
  noseWidth: number;
  mouthY: number;
  mouthHalfWidth: number;
  upperLip: number;
  lowerLip: number;
  lipColor: RGB;
  hairStyle: HairStyle;
  hairColor: RGB;
  hairline: number;
  beard: BeardStyle;
  glasses: GlassesStyle;
  glassesColor: RGB;
  /** Constant forehead lines (age), 0..1. */
  wrinkles: number;
  background: RGB;
  /** Resting geometry in AU units (added to the coded intensity when rendering only). */
  rest: Partial<Record<AUNumber, number>>;
  /** Left-right asymmetry of expressions, -1..1 (positive: the face's right side moves more). */
  asymmetry: number;
  style: ExpressionStyle;
}

/** Skin tones from light to dark (sRGB 0..1); identities interpolate between neighbours. */
const SKIN_TONES: RGB[] = [
  [0.96, 0.84, 0.74],
  [0.93, 0.76, 0.63],
  [0.85, 0.66, 0.52],
  [0.76, 0.56, 0.41],
  [0.62, 0.44, 0.31],
  [0.47, 0.32, 0.22],
  [0.34, 0.23, 0.16],
];

const HAIR_COLORS: RGB[] = [
  [0.08, 0.06, 0.05],
  [0.2, 0.13, 0.08],
  [0.36, 0.23, 0.13],
  [0.55, 0.38, 0.2],
  [0.78, 0.62, 0.38],
  [0.55, 0.2, 0.08],
  [0.62, 0.6, 0.58],
];

const IRIS_COLORS: RGB[] = [
  [0.25, 0.15, 0.08],
  [0.4, 0.26, 0.12],
  [0.25, 0.42, 0.62],
  [0.3, 0.45, 0.3],
  [0.45, 0.47, 0.5],
];

function mix(a: RGB, b: RGB, t: number): RGB {
  return [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t];
}

function jitterColor(c: RGB, rng: Rng, amount: number): RGB {
  return c.map((v) => Math.min(1, Math.max(0, v + rng.normal(0, amount)))) as RGB;
}

/** Subject names as in the real datasets: BP4D F001/M001, DISFA SN001. */
export function subjectName(kind: "bp4d" | "disfa", index: number, sex: "F" | "M", sexIndex: number): string {
  if (kind === "disfa") return `SN${String(index + 1).padStart(3, "0")}`;
  return `${sex}${String(sexIndex + 1).padStart(3, "0")}`;
}

/** Draws one identity. `subject` is its display name. */
export function sampleIdentity(rng: Rng, subject: string, sex: "F" | "M"): Identity {
  const tone = rng.uniform(0, SKIN_TONES.length - 1);
  const lo = Math.floor(tone);
  const skin = jitterColor(mix(SKIN_TONES[lo], SKIN_TONES[Math.min(lo + 1, SKIN_TONES.length - 1)], tone - lo), rng, 0.015);
  const male = sex === "M";
  const hairColor = jitterColor(rng.pick(HAIR_COLORS), rng, 0.02);
  // Brows darker than the skin (by at least half its luminance) so they read on every tone.
  let browColor = mix(hairColor, [0.08, 0.06, 0.05], rng.uniform(0.3, 0.7));
  const lum = (c: RGB) => 0.3 * c[0] + 0.59 * c[1] + 0.11 * c[2];
  if (lum(browColor) > 0.5 * lum(skin)) browColor = browColor.map((v) => (v * 0.5 * lum(skin)) / lum(browColor)) as RGB;
  const hairStyle: HairStyle = male
    ? (["bald", "short", "short", "short", "medium"] as const)[rng.int(5)]
    : (["short", "medium", "long", "long", "bun"] as const)[rng.int(5)];
  const beard: BeardStyle = male ? (["none", "none", "stubble", "moustache", "goatee", "full"] as const)[rng.int(6)] : "none";
  const glasses: GlassesStyle = rng.chance(0.28) ? (rng.chance(0.5) ? "round" : "square") : "none";
  const faceRx = rng.uniform(0.56, 0.68) + (male ? 0.02 : 0);
  // Resting geometry: a few identities look "a bit AU4" (low, knitted brows),
  // some have down- or up-turned mouths, full cheeks, narrow eyes, thin lips.
  const rest: Partial<Record<AUNumber, number>> = {};
  if (rng.chance(0.3)) rest[4] = rng.uniform(0.4, 1.0);
  if (rng.chance(0.2)) rest[1] = rng.uniform(0.3, 0.8);
  if (rng.chance(0.25)) rest[15] = rng.uniform(0.3, 0.9);
  if (rng.chance(0.25)) rest[12] = rng.uniform(0.3, 0.8);
  if (rng.chance(0.25)) rest[6] = rng.uniform(0.3, 0.8);
  if (rng.chance(0.2)) rest[7] = rng.uniform(0.3, 0.9);
  if (rng.chance(0.15)) rest[24] = rng.uniform(0.3, 0.9);
  return {
    subject,
    sex,
    skin,
    faceRx,
    faceTop: rng.uniform(0.82, 0.92),
    faceBottom: rng.uniform(0.72, 0.84),
    jawTaper: rng.uniform(0.02, male ? 0.22 : 0.34),
    faceCy: rng.uniform(0.0, 0.06),
    eyeY: rng.uniform(-0.14, -0.06),
    eyeSpacing: rng.uniform(0.24, 0.3),
    eyeHalfWidth: rng.uniform(0.11, 0.14),
    eyeOpen: rng.uniform(0.8, 1.2),
    iris: jitterColor(rng.pick(IRIS_COLORS), rng, 0.03),
    browY: rng.uniform(-0.33, -0.27),
    browThickness: rng.uniform(0.04, 0.06) + (male ? 0.01 : 0),
    browArch: rng.uniform(0.01, 0.06),
    browLength: rng.uniform(0.28, 0.36),
    browColor,
    noseLength: rng.uniform(0.24, 0.34),
    noseWidth: rng.uniform(0.07, 0.11),
    mouthY: rng.uniform(0.4, 0.48),
    mouthHalfWidth: rng.uniform(0.2, 0.26),
    upperLip: rng.uniform(0.035, 0.055),
    lowerLip: rng.uniform(0.05, 0.08),
    lipColor: jitterColor(mix(skin, [0.7, 0.28, 0.3], rng.uniform(0.35, 0.6)), rng, 0.02),
    hairStyle,
    hairColor,
    hairline: rng.uniform(-0.62, -0.5),
    beard,
    glasses,
    glassesColor: jitterColor(rng.pick<RGB>([[0.1, 0.1, 0.1], [0.35, 0.2, 0.1], [0.5, 0.5, 0.55], [0.15, 0.2, 0.45]]), rng, 0.02),
    wrinkles: rng.chance(0.3) ? rng.uniform(0.2, 0.6) : 0,
    background: jitterColor(rng.pick<RGB>([[0.55, 0.6, 0.65], [0.4, 0.45, 0.5], [0.7, 0.7, 0.68], [0.3, 0.32, 0.38], [0.6, 0.55, 0.5]]), rng, 0.04),
    rest,
    asymmetry: rng.uniform(-0.3, 0.3),
    style: sampleExpressionStyle(rng),
  };
}
