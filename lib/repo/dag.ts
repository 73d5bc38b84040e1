/**
 * `dag` (dvc-spec §15, DVC `dvc/commands/dag.py`): the stage graph (or,
 * with `outs`, the graph of outputs) labeled as DVC labels it, restricted
 * to a target and its upstream (or its whole pipeline with `full`), split
 * into weakly connected pipelines. Rendering lives in lib/cli/render/dag.ts.
 */
import { relative } from "node:path";
import { buildGraph, depKeys, pathKey } from "../pipeline/graph.ts";
import { collectStages, collectTarget } from "./collect.ts";
import type { Repo } from "./repo.ts";
import { addressing } from "./status.ts";

export interface DagGraph {
  /** node labels, in DVC's node order. */
  nodes: string[];
  /** [upstream, downstream] label pairs (edges point downstream). */
  edges: [string, string][];
}

export interface DagOptions {
  /** nodes are outputs instead of stages (`--outs`). */
  outs?: boolean;
  /** the target's whole connected pipeline, not only its upstream (`--full`). */
  full?: boolean;
}

/** Weakly connected components, each a graph, ordered by their first node. */
export function pipelines(g: DagGraph): DagGraph[] {
  const adj = new Map<string, string[]>(g.nodes.map((n) => [n, []]));
  for (const [a, b] of g.edges) {
    adj.get(a)!.push(b);
    adj.get(b)!.push(a);
  }
  const seen = new Set<string>();
  const out: DagGraph[] = [];
  for (const start of g.nodes) {
    if (seen.has(start)) continue;
    const comp = new Set<string>([start]);
    const stack = [start];
    seen.add(start);
    while (stack.length) {
      for (const v of adj.get(stack.pop()!)!) {
        if (!seen.has(v)) {
          seen.add(v);
          comp.add(v);
          stack.push(v);
        }
      }
    }
    out.push({
      nodes: g.nodes.filter((n) => comp.has(n)),
      edges: g.edges.filter(([a]) => comp.has(a)),
    });
  }
  return out;
}

/**
 * Output paths in the order DVC's outs trie (pygtrie, unsorted) yields them:
 * depth first over path parts, each folder's children in insertion order,
 * a node's own value before its children's.
 */
function trieOrder(keys: string[]): string[] {
  interface TrieNode {
    key?: string;
    children: Map<string, TrieNode>;
  }
  const root: TrieNode = { children: new Map() };
  for (const key of keys) {
    let node = root;
    for (const part of key.split("/")) {
      let next = node.children.get(part);
      if (!next) node.children.set(part, next = { children: new Map() });
      node = next;
    }
    node.key = key;
  }
  const out: string[] = [];
  const walk = (n: TrieNode) => {
    if (n.key !== undefined) out.push(n.key);
    for (const c of n.children.values()) walk(c);
  };
  walk(root);
  return out;
}

/** The labeled graph `dag` shows. */
export function dag(repo: Repo, target?: string, opts: DagOptions = {}): DagGraph {
  const { stages } = collectStages(repo);
  const graph = buildGraph(stages);
  const label = (key: string) =>
    relative(repo.cwd, `${repo.root}/${key}`).split("\\").join("/") || ".";
  let full: DagGraph;
  if (!opts.outs) {
    const names = stages.map((s) => addressing(repo, s));
    const edges: [string, string][] = [];
    graph.upstream.forEach((ups, i) => {
      for (const u of ups) edges.push([names[u], names[i]]);
    });
    full = { nodes: names, edges };
  } else {
    const nodes: string[] = [];
    const edges: [string, string][] = [];
    const seenEdge = new Set<string>();
    for (const key of trieOrder([...graph.outs.values()].map((o) => o.key))) nodes.push(label(key));
    stages.forEach((stage) => {
      for (const key of depKeys(stage)) {
        const producers = [...graph.outs.values()].filter((o) =>
          o.key === key || key.startsWith(o.key + "/") || o.key.startsWith(key + "/") ||
          o.key === "" || key === ""
        );
        for (const from of stage.outs) {
          const fromLabel = label(pathKey(stage, from.path));
          for (const p of producers) {
            const e = `${label(p.key)}\0${fromLabel}`;
            if (seenEdge.has(e)) continue;
            seenEdge.add(e);
            edges.push([label(p.key), fromLabel]);
          }
        }
      }
    });
    full = { nodes, edges };
  }
  if (!target) return full;
  // targets: the stage(s) named, or with --outs their outputs
  const picked = collectTarget(repo, target);
  const targets = opts.outs
    ? picked.flatMap((s) => s.outs.map((o) => label(pathKey(s, o.path))))
    : picked.map((s) => addressing(repo, s));
  return filterGraph(full, targets, !!opts.full);
}

/** DVC `_filter`: target + upstream (unless `full`), then their connected part. */
export function filterGraph(g: DagGraph, targets: string[], full: boolean): DagGraph {
  let nodes = new Set(g.nodes);
  let edges = g.edges;
  if (!full) {
    const ups = new Map<string, string[]>();
    for (const [a, b] of g.edges) ups.set(b, [...(ups.get(b) ?? []), a]);
    const keep = new Set<string>();
    const stack = [...targets];
    while (stack.length) {
      const n = stack.pop()!;
      if (keep.has(n)) continue;
      keep.add(n);
      stack.push(...(ups.get(n) ?? []));
    }
    nodes = keep;
    edges = edges.filter(([a, b]) => keep.has(a) && keep.has(b));
  }
  const comps = pipelines({ nodes: g.nodes.filter((n) => nodes.has(n)), edges });
  const wanted = new Set<string>();
  for (const c of comps) {
    if (c.nodes.some((n) => targets.includes(n))) c.nodes.forEach((n) => wanted.add(n));
  }
  return {
    nodes: g.nodes.filter((n) => wanted.has(n)),
    edges: edges.filter(([a, b]) => wanted.has(a) && wanted.has(b)),
  };
}
