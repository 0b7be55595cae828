// Helpers for JSON read from untrusted files (safetensors headers, checkpoint metadata,
// fixture sidecars).
//
// previewJson: short previews of values for error messages. JSON.stringify is no good
// there: a header that nests 100,000 arrays overflows the stack when stringified (a
// RangeError instead of the reader's own error), and a 100 MB string or array would be
// copied whole into the message. A preview looks at most a few levels deep and a few
// items wide, and is cut to a bounded length.
//
// setOwn: JSON.parse makes "__proto__" an ordinary own key; copying it into another object
// by assignment would set that object's prototype instead and silently drop the entry.

const MAX_ITEMS = 8;
const MAX_DEPTH = 3;

function preview(value: unknown, depth: number, maxLength: number): string {
  if (value === undefined) return "undefined";
  if (value === null || typeof value === "number" || typeof value === "boolean") return String(value);
  if (typeof value === "string") {
    return JSON.stringify(value.length > maxLength ? `${value.slice(0, Math.max(1, maxLength - 3))}…` : value);
  }
  if (typeof value !== "object") return typeof value;
  if (Array.isArray(value)) {
    if (depth >= MAX_DEPTH) return value.length ? "[…]" : "[]";
    const items = value.slice(0, MAX_ITEMS).map((v) => preview(v, depth + 1, maxLength));
    return `[${items.join(",")}${value.length > MAX_ITEMS ? ",…" : ""}]`;
  }
  const keys = Object.keys(value);
  if (depth >= MAX_DEPTH) return keys.length ? "{…}" : "{}";
  const items = keys.slice(0, MAX_ITEMS).map((k) => `${preview(k, MAX_DEPTH, maxLength)}:${preview((value as Record<string, unknown>)[k], depth + 1, maxLength)}`);
  return `{${items.join(",")}${keys.length > MAX_ITEMS ? ",…" : ""}}`;
}

/** A JSON-like rendering of `value` of at most about `maxLength` characters; never throws. */
export function previewJson(value: unknown, maxLength = 80): string {
  const text = preview(value, 0, maxLength);
  return text.length > maxLength ? text.slice(0, maxLength) + "…" : text;
}

/** `target[key] = value` that keeps "__proto__" an own, enumerable key. */
export function setOwn<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}
