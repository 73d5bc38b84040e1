/**
 * DVC's `apply_diff(src, dest)` (dvc/utils/collections.py) on plain data:
 * the result has `src`'s content, but keys that `dest` already had keep
 * their position (new keys go last), and values that compare equal
 * (Python `==`) keep `dest`'s form. This is how DVC updates an existing
 * `.dvc` file or dvc.yaml stage.
 */
import { isPlainMapping, keyString, mapEntries, pyEquals } from "../py/value.ts";
import { ordered } from "./_entries.ts";

/** Return `src` applied onto `dest` (neither is modified). */
export function applyDiff(src: unknown, dest: unknown): unknown {
  if (isPlainMapping(src) && isPlainMapping(dest)) {
    const srcMap = new Map(mapEntries(src).map(([k, v]) => [keyString(k), v]));
    const out: [string, unknown][] = [];
    const seen = new Set<string>();
    for (const [k, v] of mapEntries(dest)) {
      const ks = keyString(k);
      if (!srcMap.has(ks)) continue; // dropped
      seen.add(ks);
      out.push([ks, merge(srcMap.get(ks), v)]);
    }
    for (const [ks, v] of srcMap) if (!seen.has(ks)) out.push([ks, v]);
    return ordered(out);
  }
  if (Array.isArray(src) && Array.isArray(dest)) {
    if (src.length !== dest.length) return src;
    return src.map((v, i) => merge(v, dest[i]));
  }
  return src;
}

function merge(value: unknown, old: unknown): unknown {
  const container = Array.isArray(value) || isPlainMapping(value);
  const sameType = (Array.isArray(value) && Array.isArray(old)) ||
    (isPlainMapping(value) && isPlainMapping(old));
  if (container && sameType) return applyDiff(value, old);
  // Python `==` (1 == 1.0 == True): an equal old value is kept as written.
  return pyEquals(value, old) ? old : value;
}
