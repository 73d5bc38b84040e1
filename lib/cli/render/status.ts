/** `status` in DVC's human form (tabs for nesting, status words padded to 20). */
import type { StatusItem, StatusResult } from "../../repo/status.ts";

const INDENT = "\t";

function pad(word: string): string {
  return `${word}:`.padEnd(20);
}

function show(value: unknown, indent: number, lines: string[]): void {
  const ind = INDENT.repeat(indent);
  if (typeof value === "string") {
    lines.push(`${ind}${value}`);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) show(v, indent, lines);
    return;
  }
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    if (typeof v === "string") lines.push(`${ind}${pad(v)}${key}`);
    else if (v && (typeof v !== "object" || Object.keys(v).length)) {
      lines.push(`${ind}${key}:`);
      show(v, indent + 1, lines);
    }
  }
}

/** The lines DVC prints for a non-empty status. */
export function renderStatus(result: StatusResult): string {
  const lines: string[] = [];
  for (const s of result.stages) {
    lines.push(`${s.address}:`);
    show(s.items as StatusItem[], 1, lines);
  }
  return lines.join("\n");
}

export const UP_TO_DATE = "Data and pipelines are up to date.";
export const EMPTY_PROJECT =
  "There are no data or pipelines tracked in this project yet.\nSee <https://dvc.org/doc/start> to get started!";
