/**
 * Drawing a DAG: DVC's `--dot` and `--mermaid`/`--md` texts exactly, and its
 * ASCII drawing (grandalf's Sugiyama layout, boxes and `*` edges, upstream
 * on top), byte for byte.
 */
import { drawDagAscii } from "../../py/dag_ascii.ts";
import { dotEdgeOrder } from "../../py/nx_dot_order.ts";
import { type DagGraph, pipelines } from "../../repo/dag.ts";
import { richWidth } from "./rich.ts";

/**
 * `strict digraph {` with one line per node then per edge (edges point
 * downstream), edges in the order DVC's in-place relabeling leaves them.
 */
export function renderDot(g: DagGraph): string {
  const q = (s: string) => `"${s.replaceAll('"', '\\"')}"`;
  const lines = ["strict digraph {"];
  for (const n of g.nodes) lines.push(`${q(n)};`);
  for (const [a, b] of dotEdgeOrder(g.nodes, networkxEdges(g))) lines.push(`${q(a)} -> ${q(b)};`);
  lines.push("}", "", "");
  return lines.join("\n");
}

/** The edges in the order DVC's graph holds them: grouped by downstream node, in node order. */
function networkxEdges(g: DagGraph): [string, string][] {
  const rank = new Map(g.nodes.map((n, i) => [n, i]));
  return g.edges.map((e, i) => ({ e, i }))
    .sort((a, b) => rank.get(a.e[1])! - rank.get(b.e[1])! || a.i - b.i)
    .map(({ e }) => e);
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

/**
 * Every pipeline drawn separately as DVC draws it (grandalf's layout, see
 * lib/py/dag_ascii.ts), joined by newlines. networkx hands DVC each
 * pipeline's edges grouped by their downstream node, in node order. DVC
 * prints the text through rich without wrapping, which trims a line longer
 * than the console (`width`) of its trailing spaces down to that width.
 */
export function renderAscii(g: DagGraph, width = richWidth()): string {
  const text = pipelines(g).map((p) => drawDagAscii(p.nodes, networkxEdges(p))).join("\n");
  return text.split("\n").map((line) => {
    const excess = [...line].length - width;
    if (excess <= 0) return line;
    const spaces = line.length - line.trimEnd().length;
    return line.slice(0, line.length - Math.min(spaces, excess));
  }).join("\n");
}
