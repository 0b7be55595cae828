// A run's settings as a form built from its settings schema (lib/settings-schema.ts), kept
// in the URL as it changes, locked while a run trains, and showing a resumed run's own
// settings.
import * as Inputs from "@observablehq/inputs";
import { isBusy, type RunSnapshot } from "../lib/runs/session.js";
import type { NumberField, SettingsSchema, SettingsValues } from "../lib/settings-schema.js";
import { writeSettings } from "./url-state.js";

/** How one setting is shown: its label, and a slider instead of a number box (`range`, with `step`). */
export interface FieldInput {
  label: string;
  input?: "number" | "range";
  step?: number;
}

export type SettingsForm<T> = HTMLElement & { value: T };

/** Inputs for every field of the schema, in the order of `inputs`, starting at `initial`. */
export function SettingsForm<T extends SettingsValues>(schema: SettingsSchema<T>, initial: T, inputs: { [K in keyof T]: FieldInput }): SettingsForm<T> {
  const controls = {} as Record<keyof T, Inputs.InputElement<unknown>>;
  for (const key of Object.keys(inputs) as (keyof T & string)[]) {
    const field = schema.fields[key];
    const { label, input = "number", step } = inputs[key];
    if ("choices" in field) {
      controls[key] = Inputs.select(field.choices, { label, value: initial[key] as string });
    } else {
      const { range, integer } = field as NumberField;
      const make = input === "range" ? Inputs.range : Inputs.number;
      controls[key] = make(range, { label, step: step ?? (integer ? 1 : undefined), value: initial[key] as number });
    }
  }
  return Inputs.form(controls as { [K in keyof T]: Inputs.InputElement<T[K]> }) as SettingsForm<T>;
}

/** Whatever can be subscribed to for run snapshots (a RunSession). */
export interface SnapshotSource<S> {
  subscribe(listener: (s: RunSnapshot<S>) => void): () => void;
}

/**
 * Keeps the form's settings in the URL, disables the form while a run works, and shows
 * the settings of a run that brings its own (a resumed saved run).
 */
export function bindSettingsForm<T extends SettingsValues>(form: SettingsForm<T>, schema: SettingsSchema<T>, session: SnapshotSource<T>): () => void {
  const write = () => writeSettings(schema, form.value);
  form.addEventListener("input", write);
  write();
  const unsubscribe = session.subscribe((s) => {
    const busy = isBusy(s.status);
    for (const input of form.querySelectorAll<HTMLInputElement | HTMLSelectElement>("input, select")) input.disabled = busy;
    const shown = s.settings ?? s.offer?.settings;
    if (shown && busy && !schema.same(shown, form.value)) {
      form.value = shown;
      form.dispatchEvent(new Event("input", { bubbles: true }));
    }
  });
  return () => {
    form.removeEventListener("input", write);
    unsubscribe();
  };
}
