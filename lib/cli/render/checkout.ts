/** DVC's checkout/pull change lists (`log_changes`) and summary lines. */
import type { CheckoutSummary } from "../../repo/checkout.ts";
import type { Io } from "../io.ts";
import { richText } from "./rich.ts";

/** DVC's get_summary: `1 file added, 2 files deleted and 3 files fetched`. */
export function summaryLine(stats: [string, number][]): string {
  const words = stats.filter(([, n]) => n).map(([state, n]) =>
    `${n} file${n > 1 ? "s" : ""} ${state}`
  );
  if (words.length <= 1) return words[0] ?? "";
  return `${words.slice(0, -1).join(", ")} and ${words.at(-1)}`;
}

/** Files changed per kind (DVC counts files inside directories, not outputs). */
export function checkoutStats(s: CheckoutSummary): [string, number][] {
  // outputs removed because nothing tracks them any more count once each
  const stats = { modified: 0, added: 0, deleted: s.deleted.length };
  for (const o of s.outputs) {
    for (const c of o.result.changes) {
      if (c.change === "added" || c.change === "modified" || c.change === "deleted") {
        stats[c.change]++;
      }
    }
  }
  return Object.entries(stats);
}

/** Directories first, then files, each alphabetical (code points), as DVC sorts. */
function dvcOrder(paths: string[]): string[] {
  const key = (p: string) => (p.endsWith("/") ? "0" : "1") + p;
  return [...paths].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * `M       path` lines (modified, added, deleted; DVC prints the letter and a
 * tab through rich, which expands it), or with `summary` the one-line count.
 */
export function renderCheckout(io: Io, s: CheckoutSummary, summary: boolean): void {
  if (summary) {
    io.info(summaryLine(checkoutStats(s)) || "No changes.");
    return;
  }
  const lines: string[] = [];
  const kinds: [string, string, string[]][] = [
    ["yellow", "M", s.modified],
    ["green", "A", s.added],
    ["red", "D", s.deleted],
  ];
  for (const [color, letter, paths] of kinds) {
    for (const p of dvcOrder(paths)) lines.push(richText(`[${color}]${letter}\t${p}`));
  }
  if (lines.length) io.info(lines.join("\n"));
}
