// Settings and oracles shared by the fuzz tests (tests/fuzz).
//
// Runs are reproducible: every property uses one seed, MASKAU_FUZZ_SEED (default below),
// and MASKAU_FUZZ_RUNS cases (1,000 in `npm test`, 10,000 in `npm run fuzz`). On a failure
// fast-check prints the seed, the path of the shrunk counterexample and the counterexample
// itself; `MASKAU_FUZZ_SEED=<seed> npx vitest run --project unit tests/fuzz` replays it.
//
// The oracle for untrusted input: a reader either returns a complete result or throws its
// module's own error class with a message that names the input; anything else (TypeError,
// RangeError, a plain Error, a very slow call) fails the property.
function envInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === "") return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name} must be an integer, got "${raw}"`);
  return value;
}

/** The seed of every fuzz property (fast-check seeds are 32-bit integers). */
export const FUZZ_SEED = envInt("MASKAU_FUZZ_SEED", 160_2026) | 0;
/** Cases per property. */
export const FUZZ_RUNS = Math.max(1, envInt("MASKAU_FUZZ_RUNS", 1000));
/** Shown in every fuzz suite's title, so a log says how to replay it. */
export const FUZZ_LABEL = `seed ${FUZZ_SEED}, ${FUZZ_RUNS} runs`;

/** fast-check parameters: the shared seed and `scale` x MASKAU_FUZZ_RUNS cases. */
export function fuzzParams(scale = 1): { seed: number; numRuns: number } {
  return { seed: FUZZ_SEED, numRuns: Math.max(1, Math.round(FUZZ_RUNS * scale)) };
}

/** One call on generated input taking longer than this counts as a hang. */
export const HANG_MS = 2000;

export type ErrorClass = abstract new (...args: never[]) => Error;

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: Error };

function judge(error: unknown, allowed: readonly ErrorClass[], source: string | undefined): Error {
  if (!allowed.some((c) => error instanceof c)) {
    const e = error as Error;
    throw new Error(`untyped failure ${e?.name ?? typeof error}: ${e?.message ?? String(error)}`, { cause: error });
  }
  const e = error as Error;
  if (!e.message) throw new Error(`${e.name} without a message`);
  if (e.message.length > 4000) throw new Error(`${e.name} message of ${e.message.length} characters (unbounded)`);
  if (source !== undefined && !e.message.includes(source)) throw new Error(`${e.name} does not name the input "${source}": ${e.message}`);
  return e;
}

function timed(start: number, what: string): void {
  const ms = performance.now() - start;
  if (ms > HANG_MS) throw new Error(`${what} took ${ms.toFixed(0)} ms on a small input (hang?)`);
}

/**
 * Runs `run` on generated input: returns its value, or the error when it is one of the
 * `allowed` classes with a bounded message naming `source`; rethrows anything else.
 */
export function typedOutcome<T>(run: () => T, allowed: readonly ErrorClass[], source?: string): Outcome<T> {
  const start = performance.now();
  try {
    const value = run();
    timed(start, "call");
    return { ok: true, value };
  } catch (error) {
    timed(start, "call");
    return { ok: false, error: judge(error, allowed, source) };
  }
}

/** typedOutcome for async readers. */
export async function typedOutcomeAsync<T>(run: () => Promise<T>, allowed: readonly ErrorClass[], source?: string): Promise<Outcome<T>> {
  const start = performance.now();
  try {
    const value = await run();
    timed(start, "call");
    return { ok: true, value };
  } catch (error) {
    timed(start, "call");
    return { ok: false, error: judge(error, allowed, source) };
  }
}
