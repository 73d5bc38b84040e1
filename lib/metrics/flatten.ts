/**
 * DVC's `format_dict` + `flatten` (flatten_dict with the dot reducer):
 * nested mappings become dotted keys (`loss.mae`), lists become their
 * Python `str()` (`[16, 8]`), empty mappings vanish.
 */
import { isPlainMapping, keyString, mapEntries, setKeyOrder } from "../py/value.ts";
import { pyStr } from "../py/format.ts";

/** Lists to their Python text, recursively through mappings (`format_dict`). */
export function formatDict(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const order: string[] = [];
  for (const [k, v] of mapEntries(d)) {
    const key = keyString(k);
    if (!Object.hasOwn(out, key)) order.push(key);
    out[key] = isPlainMapping(v) ? formatDict(v) : Array.isArray(v) ? pyStr(v) : v;
  }
  return setKeyOrder(out, order);
}

/** Dotted keys for nested mappings, in file order (kept via setKeyOrder); empty mappings dropped. */
export function flatten(d: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const order: string[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string | null) => {
    for (const [k, v] of mapEntries(obj)) {
      const key = prefix === null ? keyString(k) : `${prefix}.${keyString(k)}`;
      if (isPlainMapping(v)) {
        if (Object.keys(v).length) walk(v, key);
        continue;
      }
      if (!Object.hasOwn(out, key)) order.push(key);
      out[key] = v;
    }
  };
  walk(d, null);
  return setKeyOrder(out, order);
}

/** `flatten(format_dict(d))`. */
export function flattenMetrics(d: Record<string, unknown>): Record<string, unknown> {
  return flatten(formatDict(d));
}
