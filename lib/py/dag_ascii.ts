/**
 * DVC's ASCII drawing of one pipeline (`dvc/dagascii.py` `draw`): boxes
 * `+---+` / `| name |` placed by grandalf's Sugiyama layout
 * (`sugiyama.ts`, with DVC's settings: box width = name + 4, height 3,
 * `xspace` = the narrowest box, `yspace` = 3), edges drawn first as lines of
 * `*`, boxes over them. Coordinates are rounded as Python's `round` does
 * (half to even); every row has the canvas width (trailing spaces kept).
 */
import { componentOrder, sugiyamaLayout } from "./sugiyama.ts";

/**
 * One connected pipeline drawn as DVC draws it. `nodes` in networkx's order,
 * `edges` as [upstream, downstream] labels in networkx's edge order (by
 * downstream node, then in the order the dependencies were added).
 */
export function drawDagAscii(nodes: string[], edges: [string, string][]): string {
  const index = new Map(nodes.map((n, i) => [n, i]));
  const pairs = edges.map(([a, b]) => [index.get(a)!, index.get(b)!] as [number, number]);
  // grandalf's vertex order comes from merging components edge by edge
  const order = componentOrder(nodes.length, pairs);
  const at = new Map(order.map((v, i) => [v, i]));
  const labels = order.map((i) => nodes[i]);
  const texts = labels.map((l) => ` ${l} `);
  const sizes = texts.map((t) => ({ w: [...t].length + 2, h: 3 }));
  const links = pairs.map(([a, b]) => [at.get(a)!, at.get(b)!] as [number, number]);
  const layout = sugiyamaLayout(sizes, links, {
    xspace: Math.min(...sizes.map((s) => s.w)),
    yspace: 3,
  });

  const xs: number[] = [];
  const ys: number[] = [];
  layout.xy.forEach(([x, y], i) => {
    xs.push(x - sizes[i].w / 2, x + sizes[i].w / 2);
    ys.push(y, y + sizes[i].h);
  });
  for (const path of layout.paths) {
    for (const [x, y] of path) {
      xs.push(x);
      ys.push(y);
    }
  }
  const minx = Math.min(...xs);
  const miny = Math.min(...ys);
  const cols = Math.ceil(Math.ceil(Math.max(...xs)) - Math.floor(minx)) + 1;
  const rows = roundHalfEven(Math.max(...ys) - miny);
  const canvas = new Canvas(cols, rows);
  for (const path of layout.paths) {
    for (let i = 1; i < path.length; i++) {
      const [sx, sy] = path[i - 1];
      const [ex, ey] = path[i];
      canvas.line(
        roundHalfEven(sx - minx),
        roundHalfEven(sy - miny),
        roundHalfEven(ex - minx),
        roundHalfEven(ey - miny),
      );
    }
  }
  layout.xy.forEach(([cx, y], i) => {
    const x = roundHalfEven(cx - sizes[i].w / 2 - minx);
    const top = roundHalfEven(y - miny);
    canvas.box(x, top, sizes[i].w, sizes[i].h);
    canvas.text(x + 1, top + 1, texts[i]);
  });
  return canvas.toString();
}

/** Python 3 `round(x)` of a float: nearest integer, ties to even. */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

class Canvas {
  cells: string[][];

  constructor(readonly cols: number, readonly rows: number) {
    this.cells = Array.from({ length: rows }, () => Array<string>(cols).fill(" "));
  }

  point(x: number, y: number, ch: string): void {
    // DVC asserts here; a point off the canvas would be a layout bug
    if (x < 0 || x >= this.cols || y < 0 || y >= this.rows) {
      throw new RangeError(`dag drawing: point (${x}, ${y}) outside the canvas`);
    }
    this.cells[y][x] = ch;
  }

  /** DVC's `AsciiCanvas.line`: one point per column or per row, whichever is longer. */
  line(x0: number, y0: number, x1: number, y1: number): void {
    if (x0 > x1) [x0, y0, x1, y1] = [x1, y1, x0, y0];
    const dx = x1 - x0;
    const dy = y1 - y0;
    if (dx === 0 && dy === 0) this.point(x0, y0, "*");
    else if (Math.abs(dx) >= Math.abs(dy)) {
      for (let x = x0; x <= x1; x++) {
        this.point(x, dx === 0 ? y0 : y0 + roundHalfEven(((x - x0) * dy) / dx), "*");
      }
    } else if (y0 < y1) {
      for (let y = y0; y <= y1; y++) this.point(x0 + roundHalfEven(((y - y0) * dx) / dy), y, "*");
    } else {
      for (let y = y1; y <= y0; y++) this.point(x1 + roundHalfEven(((y - y1) * dx) / dy), y, "*");
    }
  }

  text(x: number, y: number, s: string): void {
    [...s].forEach((ch, i) => this.point(x + i, y, ch));
  }

  box(x0: number, y0: number, width: number, height: number): void {
    const w = width - 1;
    const h = height - 1;
    for (let x = x0; x < x0 + w; x++) {
      this.point(x, y0, "-");
      this.point(x, y0 + h, "-");
    }
    for (let y = y0; y < y0 + h; y++) {
      this.point(x0, y, "|");
      this.point(x0 + w, y, "|");
    }
    for (const [x, y] of [[x0, y0], [x0 + w, y0], [x0, y0 + h], [x0 + w, y0 + h]]) {
      this.point(x, y, "+");
    }
  }

  toString(): string {
    return this.cells.map((r) => r.join("")).join("\n");
  }
}
