/**
 * What Python's `rich` does to a line DVC prints with `ui.write(...,
 * styled=True)` (checkout/pull change lists, some messages): markup tags
 * removed, tabs expanded to 8-cell stops, then word-wrapped to the console
 * width (rich's divide_line: break before a word that does not fit, fold
 * words longer than the width). Colours are irrelevant without a terminal.
 */

// rich.markup.RE_TAGS: `[bold]`, `[/]`, `[#fff]`, `[@click]`, with optional escaping backslashes.
const RE_TAGS = /((\\*)\[([a-z#/@][^[]*?)])/g;

/** Render rich console markup as plain text (tags dropped, `\[` kept literally). */
export function stripRichMarkup(markup: string): string {
  let out = "";
  let position = 0;
  for (const m of markup.matchAll(RE_TAGS)) {
    const [full, , escapes] = m;
    let start = m.index!;
    const end = start + full.length;
    if (start > position) out += markup.slice(position, start);
    position = end;
    if (escapes) {
      const backslashes = Math.floor(escapes.length / 2);
      if (backslashes) {
        out += "\\".repeat(backslashes);
        start += backslashes * 2;
      }
      if (escapes.length % 2) {
        out += full.slice(escapes.length);
        continue;
      }
    }
  }
  return out + markup.slice(position);
}

/** Terminal cells of one code point (0 for combining marks, 2 for wide East Asian / emoji). */
function cellWidth(cp: number): number {
  if (cp < 0x300) return 1;
  if ((cp >= 0x300 && cp <= 0x36f) || (cp >= 0x200b && cp <= 0x200f)) return 0;
  if (
    (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff) || (cp >= 0x20000 && cp <= 0x3fffd)
  ) return 2;
  return 1;
}

/** rich's cell_len. */
export function cellLen(text: string): number {
  let n = 0;
  for (const ch of text) n += cellWidth(ch.codePointAt(0)!);
  return n;
}

function expandTabs(line: string, tabSize = 8): string {
  if (!line.includes("\t")) return line;
  let out = "";
  let cells = 0;
  for (const ch of line) {
    if (ch === "\t") {
      const spaces = tabSize - (cells % tabSize);
      out += " ".repeat(spaces);
      cells += spaces;
    } else {
      out += ch;
      cells += cellWidth(ch.codePointAt(0)!);
    }
  }
  return out;
}

/** Split `word` into pieces of at most `width` cells (rich's chop_cells). */
function chopCells(word: string, width: number): string[] {
  const lines: string[] = [""];
  let used = 0;
  for (const ch of word) {
    const w = cellWidth(ch.codePointAt(0)!);
    if (used + w > width && lines.at(-1)) {
      lines.push("");
      used = 0;
    }
    lines[lines.length - 1] += ch;
    used += w;
  }
  return lines;
}

/** rich._wrap.divide_line: offsets (in code units of `text`) where lines break. */
function divideLine(text: string, width: number): number[] {
  const breaks: number[] = [];
  let offset = 0;
  for (const m of text.matchAll(/\s*\S+\s*/g)) {
    let start = m.index!;
    const word = m[0];
    const wordLength = cellLen(word.trimEnd());
    if (width - offset >= wordLength) {
      offset += cellLen(word);
    } else if (wordLength > width) {
      const folded = chopCells(word, width);
      folded.forEach((piece, i) => {
        if (start) breaks.push(start);
        if (i === folded.length - 1) offset = cellLen(piece);
        else start += piece.length;
      });
    } else if (offset && start) {
      breaks.push(start);
      offset = cellLen(word);
    }
  }
  return breaks;
}

/**
 * The lines rich prints for `text` (already free of markup) on a console
 * `width` cells wide: tabs expanded, wrapped, whitespace that overflows a
 * line trimmed.
 */
export function richWrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const raw of text.split("\n")) {
    const line = expandTabs(raw);
    const offsets = divideLine(line, width);
    let prev = 0;
    for (const at of [...offsets, line.length]) {
      let piece = line.slice(prev, at);
      prev = at;
      const excess = cellLen(piece) - width;
      if (excess > 0) {
        const ws = /\s+$/.exec(piece)?.[0].length ?? 0;
        piece = piece.slice(0, piece.length - Math.min(ws, excess));
      }
      out.push(piece);
    }
  }
  return out;
}
