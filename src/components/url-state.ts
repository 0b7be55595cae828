// Page state in the URL, so that a link reproduces the view: reading query parameters,
// writing them back (replacing the history entry, keeping the others such as ?backend=),
// and a settings schema's values kept in the query as they change.
import { parseOcclusion, type OcclusionSpec } from "../lib/masks/spec.js";
import type { SettingsSchema, SettingsValues } from "../lib/settings-schema.js";

/** The page's query parameter `name` (null when absent). */
export function queryParam(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}

/** `name` when it is one of `choices`, else `fallback`. */
export function queryChoice<T extends string>(name: string, choices: readonly T[], fallback: T): T {
  const v = queryParam(name);
  return v !== null && (choices as readonly string[]).includes(v) ? (v as T) : fallback;
}

/** An integer parameter clamped to [lo, hi]; `fallback` when absent or not a number. */
export function queryInteger(name: string, [lo, hi]: readonly [number, number], fallback: number): number {
  const v = Math.trunc(Number(queryParam(name) ?? NaN));
  return Number.isFinite(v) ? Math.min(hi, Math.max(lo, v)) : fallback;
}

/** An occlusion written in the grammar of lib/masks/spec.ts; `fallback` (and a warning) when it does not parse. */
export function queryOcclusion(name: string, fallback: string): OcclusionSpec {
  const text = queryParam(name);
  if (text !== null) {
    try {
      return parseOcclusion(text);
    } catch (error) {
      console.warn(String(error));
    }
  }
  return parseOcclusion(fallback);
}

/** Writes `params` into the page URL (null, undefined or "" removes one); other parameters stay. */
export function writeQuery(params: Record<string, string | number | null | undefined>): void {
  const url = new URL(location.href);
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined || v === "") url.searchParams.delete(k);
    else url.searchParams.set(k, String(v));
  }
  if (url.href !== location.href) history.replaceState(history.state, "", url.href);
}

/** Writes settings into the URL (defaults left out); settings that do not check are left as the URL has them. */
export function writeSettings<T extends SettingsValues>(schema: SettingsSchema<T>, settings: Partial<T>): void {
  let checked: T;
  try {
    checked = schema.normalize(settings);
  } catch {
    return;
  }
  writeQuery(schema.query(checked));
}
