// Page settings described once: the defaults, the range of each number (and whether it is
// a whole number), the choices of each text setting, and the URL query key of each. The
// pages' settings (MAE pretraining, Teacher runs, the Data page's generator) are checked,
// read from the URL and written back to it by the same four functions, so a link
// reproduces a view and a stored run's settings are checked the way a typed one is.

/** A number setting: clamped to `range`, rounded when `integer`. */
export interface NumberField {
  range: readonly [number, number];
  integer?: boolean;
  /** URL query key (default: the setting's own name). */
  query?: string;
}

/** A text setting that is one of `choices`. */
export interface ChoiceField<V extends string = string> {
  choices: readonly V[];
  /** What the setting is, for errors ("MAE preset"). */
  label?: string;
  query?: string;
}

/** Settings whose values are numbers or strings from a list. */
export type SettingsValues = Record<string, number | string>;

export type SettingsFields<T extends SettingsValues> = {
  [K in keyof T]: T[K] extends number ? NumberField : T[K] extends string ? ChoiceField<T[K]> : never;
};

export interface SettingsSchema<T extends SettingsValues> {
  readonly defaults: Readonly<T>;
  readonly fields: SettingsFields<T>;
  /** The [min, max] of every number setting. */
  readonly limits: { readonly [K in keyof T as T[K] extends number ? K : never]: readonly [number, number] };
  /** The URL query key of every setting. */
  readonly queryKeys: Readonly<Record<keyof T, string>>;
  /** Fills in defaults, checks choices (throws), rounds whole numbers and clamps to the ranges (throws on a non-number). */
  normalize(partial: Partial<T>): T;
  /** Settings from a query string ("?steps=10&..."); a missing or unreadable value takes the default. */
  read(search: string): T;
  /** Query parameters of settings; defaults map to null (left out, so links stay short). */
  query(settings: T): Record<string, string | null>;
  same(a: T, b: T): boolean;
}

function isChoice(field: NumberField | ChoiceField): field is ChoiceField {
  return "choices" in field;
}

/** The schema of settings with these `defaults` and `fields` (every key of the defaults needs a field). */
export function settingsSchema<T extends SettingsValues>(defaults: T, fields: SettingsFields<T>): SettingsSchema<T> {
  const keys = Object.keys(defaults) as (keyof T & string)[];
  const fieldOf = (key: keyof T & string): NumberField | ChoiceField => fields[key] as NumberField | ChoiceField;
  for (const key of keys) {
    if (!fields[key]) throw new Error(`settings schema: no field for "${key}"`);
  }
  const queryKeys = Object.fromEntries(keys.map((k) => [k, fieldOf(k).query ?? k])) as Record<keyof T, string>;
  const limits = Object.fromEntries(keys.flatMap((k) => {
    const f = fieldOf(k);
    return isChoice(f) ? [] : [[k, f.range]];
  })) as SettingsSchema<T>["limits"];

  const normalize = (partial: Partial<T>): T => {
    const out: Record<string, number | string> = { ...defaults, ...partial };
    for (const key of keys) {
      const f = fieldOf(key);
      const raw = out[key];
      if (isChoice(f)) {
        if (typeof raw !== "string" || !f.choices.includes(raw)) {
          throw new Error(`unknown ${f.label ?? key} "${String(raw)}": choose ${f.choices.join(", ")}`);
        }
        continue;
      }
      const v = Number(raw);
      if (!Number.isFinite(v)) throw new Error(`${key} must be a number, got ${String(raw)}`);
      const [lo, hi] = f.range;
      out[key] = Math.min(hi, Math.max(lo, f.integer ? Math.round(v) : v));
    }
    return out as T;
  };

  const read = (search: string): T => {
    const q = new URLSearchParams(search);
    const partial: Record<string, number | string> = {};
    for (const key of keys) {
      const raw = q.get(queryKeys[key]);
      if (raw === null || raw.trim() === "") continue;
      const f = fieldOf(key);
      if (isChoice(f)) {
        if (f.choices.includes(raw)) partial[key] = raw;
      } else if (Number.isFinite(Number(raw))) {
        partial[key] = Number(raw);
      }
    }
    return normalize(partial as Partial<T>);
  };

  const query = (s: T): Record<string, string | null> =>
    Object.fromEntries(keys.map((k) => [queryKeys[k], s[k] === defaults[k] ? null : String(s[k])]));

  const same = (a: T, b: T): boolean => keys.every((k) => a[k] === b[k]);

  return { defaults, fields, limits, queryKeys, normalize, read, query, same };
}
