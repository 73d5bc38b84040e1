/**
 * Drawing a DAG: DVC's `--dot` and `--mermaid`/`--md` texts exactly, and an
 * ASCII drawing in DVC's style (boxes, `*` edges, upstream on top). DVC's
 * ASCII layout comes from grandalf's Sugiyama layout; ours is a simpler
 * layered layout of the same kind (every edge drawn, long edges bent around
 * boxes), not byte-identical to DVC's.
 */
import { type DagGraph, pipelines } from "../../repo/dag.ts";

/** `strict digraph {` with one line per node then per edge (edges point downstream). */
export function renderDot(g: DagGraph): string {
  const q = (s: string) => `"${s.replaceAll('"', '\\"')}"`;
  const lines = ["strict digraph {"];
  for (const n of g.nodes) lines.push(`${q(n)};`);
  for (const [a, b] of g.edges) lines.push(`${q(a)} -> ${q(b)};`);
  lines.push("}", "", "");
  return lines.join("\n");
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `flowchart TD`, nodes numbered across pipelines, sorted labels and edges. */
export function renderMermaid(g: DagGraph, markdown = false): string {
  let out = "flowchart TD";
  let total = 0;
  for (const p of pipelines(g)) {
    const ids = new Map<string, string>();
    for (const n of [...p.nodes].sort(byCodePoint)) {
      total++;
      ids.set(n, `node${total}`);
      out += `\n\t${ids.get(n)}["${n}"]`;
    }
    const edges = [...p.edges].sort((x, y) => byCodePoint(x[0], y[0]) || byCodePoint(x[1], y[1]));
    for (const [a, b] of edges) out += `\n\t${ids.get(a)}-->${ids.get(b)}`;
  }
  return markdown ? "```mermaid\n" + out + "\n```" : out;
}

interface Box {
  label: string;
  layer: number;
  x: number;
  width: number;
  /** a bend point of an edge spanning several layers (no box drawn). */
  dummy?: boolean;
}

/**
 * One pipeline drawn with boxes and `*` edges, upstream at the top, laid
 * out like a Sugiyama drawing (as DVC's grandalf layout): layers by longest
 * path, an edge spanning several layers bends through one point per layer
 * it crosses (placed in the gaps, so no line runs under a box), rows ordered
 * by barycenters of the row above.
 */
function drawPipeline(g: DagGraph): string {
  const ups = new Map<string, string[]>(g.nodes.map((n) => [n, []]));
  for (const [a, b] of g.edges) ups.get(b)!.push(a);
  // layer = longest path from a source
  const layer = new Map<string, number>();
  const visit = (n: string, stack: Set<string>): number => {
    const known = layer.get(n);
    if (known !== undefined) return known;
    if (stack.has(n)) return 0;
    stack.add(n);
    const l = Math.max(-1, ...ups.get(n)!.map((u) => visit(u, stack))) + 1;
    stack.delete(n);
    layer.set(n, l);
    return l;
  };
  for (const n of g.nodes) visit(n, new Set());
  const depth = Math.max(0, ...layer.values()) + 1;
  const layers: string[][] = Array.from({ length: depth }, () => []);
  for (const n of g.nodes) layers[layer.get(n)!].push(n);
  // long edges: a chain of dummy points, one per layer in between
  const paths: string[][] = [];
  const parents = new Map<string, string[]>(g.nodes.map((n) => [n, []]));
  let dummies = 0;
  for (const [a, b] of g.edges) {
    const path = [a];
    for (let l = layer.get(a)! + 1; l < layer.get(b)!; l++) {
      const d = `\0${dummies++}`;
      layers[l].push(d);
      parents.set(d, [path.at(-1)!]);
      path.push(d);
    }
    parents.get(b)!.push(path.at(-1)!);
    path.push(b);
    paths.push(path);
  }
  const isDummy = (n: string) => n.startsWith("\0");
  // order each layer by the mean position of its parents (barycenter), twice down
  const pos = new Map<string, number>();
  layers[0].forEach((n, i) => pos.set(n, i));
  for (let sweep = 0; sweep < 2; sweep++) {
    for (let l = 1; l < depth; l++) {
      const key = (n: string) => {
        const u = parents.get(n)!.filter((x) => pos.has(x));
        return u.length ? u.reduce((s, x) => s + pos.get(x)!, 0) / u.length : Infinity;
      };
      const keyed = layers[l].map((n, i) => [n, key(n), i] as const);
      keyed.sort((x, y) => x[1] - y[1] || x[2] - y[2]);
      layers[l] = keyed.map(([n]) => n);
      layers[l].forEach((n, i) => pos.set(n, i));
    }
  }
  const GAP = 4;
  const widthOf = (n: string) => (isDummy(n) ? 1 : n.length + 4);
  const widths = layers.map((ns) =>
    ns.reduce((s, n) => s + widthOf(n), 0) + GAP * Math.max(0, ns.length - 1)
  );
  const total = Math.max(...widths);
  const boxes = new Map<string, Box>();
  layers.forEach((ns, l) => {
    let x = Math.floor((total - widths[l]) / 2);
    for (const n of ns) {
      boxes.set(n, { label: n, layer: l, x, width: widthOf(n), dummy: isDummy(n) });
      x += widthOf(n) + GAP;
    }
  });
  const center = (b: Box) => b.x + Math.floor((b.width - 1) / 2);
  // rows of edges below each layer: more when edges fan out far sideways
  const gaps = new Array<number>(depth).fill(3);
  for (const path of paths) {
    for (let i = 0; i + 1 < path.length; i++) {
      const A = boxes.get(path[i])!;
      const dx = Math.abs(center(A) - center(boxes.get(path[i + 1])!));
      gaps[A.layer] = Math.min(10, Math.max(gaps[A.layer], Math.ceil(dx / 10)));
    }
  }
  const top: number[] = [0];
  for (let l = 1; l < depth; l++) top.push(top[l - 1] + 3 + gaps[l - 1]);
  const height = top[depth - 1] + 3;
  const canvas = Array.from({ length: height }, () => Array<string>(total).fill(" "));
  const put = (x: number, y: number, ch: string) => {
    if (y >= 0 && y < height && x >= 0 && x < total) canvas[y][x] = ch;
  };
  const line = (x0: number, y0: number, x1: number, y1: number) => {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let i = 0; i <= steps; i++) {
      put(Math.round(x0 + ((x1 - x0) * i) / steps), Math.round(y0 + ((y1 - y0) * i) / steps), "*");
    }
  };
  // edges first (through their bend points), boxes drawn over them
  for (const path of paths) {
    const pts: [number, number][] = [];
    path.forEach((n, i) => {
      const b = boxes.get(n)!;
      if (b.dummy) {
        // through the whole height of the layer it crosses
        pts.push([center(b), top[b.layer]], [center(b), top[b.layer] + 2]);
      } else if (i === 0) pts.push([center(b), top[b.layer] + 3]);
      else pts.push([center(b), top[b.layer] - 1]);
    });
    for (let i = 0; i + 1 < pts.length; i++) line(...pts[i], ...pts[i + 1]);
  }
  for (const box of boxes.values()) {
    if (box.dummy) continue;
    const y = top[box.layer];
    const border = "+" + "-".repeat(box.width - 2) + "+";
    const middle = `| ${box.label} |`;
    for (let i = 0; i < box.width; i++) {
      put(box.x + i, y, border[i]);
      put(box.x + i, y + 1, middle[i]);
      put(box.x + i, y + 2, border[i]);
    }
  }
  // DVC prints every row at the full canvas width (trailing spaces kept)
  return canvas.map((r) => r.join("")).join("\n");
}

/** Every pipeline drawn separately, joined by newlines (as DVC does). */
export function renderAscii(g: DagGraph): string {
  return pipelines(g).map(drawPipeline).join("\n");
}
