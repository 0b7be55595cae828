// Learning-rate schedule used by every MaskAU training run: linear warmup from 0
// to the base rate, then a half-cosine decay to `minLr` (as MAE pretraining does,
// but per step rather than per fractional epoch).

export interface CosineSchedule {
  /** Peak learning rate, reached at the end of warmup. */
  lr: number;
  /** Floor of the cosine decay. */
  minLr: number;
  /** Steps of linear warmup (0 for none). */
  warmupSteps: number;
  /** Total number of steps of the run. */
  totalSteps: number;
}

/** Learning rate for the update made at `step` (0-based). */
export function learningRateAt(step: number, s: CosineSchedule): number {
  if (s.warmupSteps > 0 && step < s.warmupSteps) return (s.lr * (step + 1)) / s.warmupSteps;
  const decaySteps = Math.max(1, s.totalSteps - s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / decaySteps);
  return s.minLr + (s.lr - s.minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
}
