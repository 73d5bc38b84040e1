/**
 * Hydra-style sweeps in `exp run --queue -S` (DVC's `get_hydra_sweeps`):
 * `key=a,b,c` and `key=choice(a,b,c)` list values, `key=range(start, stop[,
 * step])` counts from start by step while below stop (floats accumulate the
 * step as Hydra does: 0.1, 0.2, 0.30000000000000004, 0.4). Several swept
 * keys give their cross product, the first key varying slowest.
 */
import { UsageError } from "../../errors.ts";
import { pyFloatRepr } from "../../py/value.ts";

/** More points than this need `--force`. */
export const MAX_SWEEP_POINTS = 10_000;

/** Split on top-level commas (outside brackets and quotes). */
function splitTop(text: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let quote = "";
  let cur = "";
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = "";
    } else if (ch === "'" || ch === '"') quote = ch;
    else if (ch === "[" || ch === "{" || ch === "(") depth++;
    else if (ch === "]" || ch === "}" || ch === ")") depth--;
    else if (ch === "," && depth === 0) {
      parts.push(cur.trim());
      cur = "";
      continue;
    }
    cur += ch;
  }
  parts.push(cur.trim());
  return parts;
}

function num(text: string, item: string): number {
  const n = Number(text.trim());
  if (text.trim() === "" || Number.isNaN(n)) {
    throw new UsageError(`-S '${item}': range() needs numbers, got '${text.trim()}'`);
  }
  return n;
}

function rangeValues(args: string[], item: string): string[] {
  if (args.length < 1 || args.length > 3) {
    throw new UsageError(`-S '${item}': range() takes 1 to 3 arguments`);
  }
  const [start, stop, step] = args.length === 1
    ? [0, num(args[0], item), 1]
    : [num(args[0], item), num(args[1], item), args[2] ? num(args[2], item) : 1];
  if (step === 0) throw new UsageError(`-S '${item}': range() step must not be zero`);
  const isFloat = args.some((a) => /[.eE]/.test(a) && !/^0x/i.test(a.trim()));
  const fmt = (n: number) => (isFloat ? pyFloatRepr(n) : String(n));
  const out: string[] = [];
  // an upper bound keeps a typo like range(0, 1e9) from looping for ever
  for (let v = start; step > 0 ? v < stop : v > stop; v += step) {
    out.push(fmt(v));
    if (out.length > MAX_SWEEP_POINTS * 10) break;
  }
  return out;
}

/** The values a `-S` value text sweeps over, or undefined when it is not a sweep. */
export function sweepValues(raw: string, item: string): string[] | undefined {
  const t = raw.trim();
  const call = /^(range|choice|interval|glob|shuffle|sort|tag)\((.*)\)$/s.exec(t);
  if (call) {
    if (call[1] === "range") return rangeValues(splitTop(call[2]), item);
    if (call[1] === "choice") return splitTop(call[2]);
    throw new UsageError(
      `-S '${item}': '${call[1]}()' sweeps are not supported (DVC refuses them)`,
    );
  }
  const parts = splitTop(t);
  return parts.length > 1 ? parts : undefined;
}

/** One `-S` item split into its key part and value text. */
function splitItem(item: string): [string, string] | undefined {
  const eq = item.indexOf("=");
  return eq === -1 ? undefined : [item.slice(0, eq), item.slice(eq + 1)];
}

/** True when some `-S` item is a sweep. */
export function isSweep(items: readonly string[]): boolean {
  return items.some((i) => {
    const kv = splitItem(i);
    return kv !== undefined && sweepValues(kv[1], i) !== undefined;
  });
}

/** Number of points of the cross product (without building it). */
export function sweepSize(items: readonly string[]): number {
  let n = 1;
  for (const i of items) {
    const kv = splitItem(i);
    n *= kv ? sweepValues(kv[1], i)?.length ?? 1 : 1;
  }
  return n;
}

/**
 * Expand the `-S` items into one list of plain items per point of the
 * sweep. More than MAX_SWEEP_POINTS points are refused unless `force`.
 */
export function expandSweeps(
  items: readonly string[],
  opts: { force?: boolean } = {},
): string[][] {
  const size = sweepSize(items);
  if (size > MAX_SWEEP_POINTS && !opts.force) {
    throw new UsageError(
      `this sweep has ${size} points (more than ${MAX_SWEEP_POINTS}); use --force to queue them all`,
    );
  }
  if (size === 0) throw new UsageError("this sweep has no points (an empty range?)");
  let combos: string[][] = [[]];
  for (const item of items) {
    const kv = splitItem(item);
    const values = kv ? sweepValues(kv[1], item) : undefined;
    const choices = values ? values.map((v) => `${kv![0]}=${v}`) : [item];
    combos = combos.flatMap((c) => choices.map((x) => [...c, x]));
  }
  return combos;
}
