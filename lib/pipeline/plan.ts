/**
 * Which stages `repro` visits and in what order (DVC `plan_repro`,
 * dvc-spec §10.3): the active graph (frozen stages cut from their
 * upstream), the sub-graph the flags select, then networkx's depth-first
 * post-order over it: dependencies before dependents, siblings in
 * collection / dependency order. Pure.
 */
import { reachable, type StageGraph } from "./graph.ts";

export interface PlanOptions {
  /** -s: only the targets, nothing upstream. */
  singleItem?: boolean;
  /** -p: the whole connected pipeline of every target. */
  pipeline?: boolean;
  /** -P: every pipeline of the repo (targets ignored). */
  allPipelines?: boolean;
  /** --downstream: the targets and everything that depends on them. */
  downstream?: boolean;
}

/** The graph repro works on: a frozen stage does not pull in its upstream. */
export function activeUpstream(graph: StageGraph): number[][] {
  return graph.upstream.map((ups, i) => (graph.stages[i].frozen ? [] : ups));
}

function invert(n: number, edges: readonly number[][]): number[][] {
  const inv: number[][] = Array.from({ length: n }, () => []);
  edges.forEach((list, u) => {
    for (const v of list) inv[v].push(u);
  });
  return inv;
}

/**
 * networkx `dfs_postorder_nodes(G, sources)`: for each source in order, a
 * DFS following `edges` in order, emitting a node once all its successors
 * were emitted. Only nodes in `allowed` (when given) are visited.
 */
export function dfsPostorder(
  edges: readonly number[][],
  sources: Iterable<number>,
  allowed?: ReadonlySet<number>,
): number[] {
  const out: number[] = [];
  const visited = new Set<number>();
  for (const start of sources) {
    if (visited.has(start) || (allowed && !allowed.has(start))) continue;
    visited.add(start);
    const stack: [number, number][] = [[start, 0]];
    while (stack.length) {
      const top = stack[stack.length - 1];
      const succ = edges[top[0]];
      let pushed = false;
      while (top[1] < succ.length) {
        const v = succ[top[1]++];
        if (visited.has(v) || (allowed && !allowed.has(v))) continue;
        visited.add(v);
        stack.push([v, 0]);
        pushed = true;
        break;
      }
      if (!pushed) {
        out.push(top[0]);
        stack.pop();
      }
    }
  }
  return out;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/**
 * Ordered stage indexes to visit. `targets` are stage indexes in the
 * order the user named them (empty = every stage).
 */
export function planRepro(
  graph: StageGraph,
  targets: readonly number[],
  opts: PlanOptions = {},
): number[] {
  const n = graph.stages.length;
  if (opts.singleItem && !opts.pipeline && !opts.allPipelines) {
    return [...new Set(targets)];
  }
  const active = activeUpstream(graph);
  if (opts.allPipelines || targets.length === 0) return dfsPostorder(active, range(n));
  if (opts.pipeline) {
    // compose_all of the targets' weakly connected components: components
    // in target order, nodes in collection order inside each.
    const undirected = active.map((ups) => [...ups]);
    const inv = invert(n, active);
    inv.forEach((downs, i) => undirected[i].push(...downs));
    const order: number[] = [];
    const taken = new Set<number>();
    for (const t of targets) {
      if (taken.has(t)) continue;
      const comp = reachable(undirected, [t]);
      comp.add(t);
      const members = [...comp].sort((a, b) => a - b);
      for (const m of members) {
        taken.add(m);
        order.push(m);
      }
    }
    return dfsPostorder(active, order, taken);
  }
  const nodes = new Set<number>();
  if (opts.downstream) {
    const inv = invert(n, active);
    for (const t of targets) for (const v of dfsPostorder(inv, [t])) nodes.add(v);
  } else {
    for (const t of targets) for (const v of dfsPostorder(active, [t])) nodes.add(v);
  }
  return dfsPostorder(active, range(n), nodes);
}

/**
 * For each planned stage, the planned stages it must wait for (its
 * upstream in the active graph, transitively through unplanned stages so
 * `-s`-style gaps still order correctly).
 */
export function planDependencies(graph: StageGraph, plan: readonly number[]): number[][] {
  const active = activeUpstream(graph);
  const pos = new Map<number, number>();
  plan.forEach((s, i) => pos.set(s, i));
  return plan.map((s) => {
    const deps = new Set<number>();
    const seen = new Set<number>();
    const stack = [...active[s]];
    while (stack.length) {
      const u = stack.pop()!;
      if (seen.has(u)) continue;
      seen.add(u);
      const p = pos.get(u);
      if (p !== undefined) deps.add(p);
      else stack.push(...active[u]);
    }
    deps.delete(pos.get(s)!);
    return [...deps].sort((a, b) => a - b);
  });
}

/** Every stage that (transitively) depends on `stage` in the full graph. */
export function descendantsOf(graph: StageGraph, stage: number): Set<number> {
  const d = reachable(graph.downstream, [stage]);
  d.delete(stage);
  return d;
}
