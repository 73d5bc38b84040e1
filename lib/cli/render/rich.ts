/**
 * Printing the lines DVC prints through `rich` (styled `ui.write`): same
 * width rule as rich's Console (the terminal size of stdin, stdout or stderr,
 * `COLUMNS` when set, else 80), markup dropped, tabs expanded, wrapped.
 */
import { richWrap, stripRichMarkup } from "../../py/rich_text.ts";
import type { Io } from "../io.ts";

/** rich.console.Console().width as DVC's console computes it. */
export function richWidth(): number {
  let width: number | undefined;
  for (const fd of [Deno.stdin, Deno.stdout, Deno.stderr]) {
    try {
      if (!fd.isTerminal()) continue;
      width = Deno.consoleSize().columns;
      break;
    } catch (err) {
      if (!(err instanceof Error)) throw err;
    }
  }
  const columns = Deno.env.get("COLUMNS");
  if (columns !== undefined && /^\d+$/.test(columns)) width = Number(columns);
  return width || 80;
}

/** Text as `ui.write(..., styled=True)` shows it; `markup` is rich markup (e.g. `[red]D`). */
export function richText(markup: string, width = richWidth()): string {
  return richWrap(stripRichMarkup(markup), width).join("\n");
}

/** A rich `Text` object as rich prints it (no markup: tabs expanded, wrapped). */
export function richPlain(text: string, width = richWidth()): string {
  return richWrap(text, width).join("\n");
}

/** Print like DVC's styled `ui.write` (stdout, suppressed by -q). */
export function richInfo(io: Io, markup: string): void {
  io.info(richText(markup));
}
