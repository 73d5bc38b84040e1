/**
 * The edge order of DVC's `dag --dot`. DVC relabels its stage graph in place
 * (networkx `relabel_nodes(copy=False)` to quote the labels), reverses it and
 * lets pydot list `G.edges()`. Relabeling in place removes and re-adds every
 * node, which reorders each node's successor and predecessor dicts; the
 * order that comes out is simulated here with insertion-ordered Maps, the
 * way Python dicts behave.
 */

interface Adj {
  succ: Map<string, Map<string, true>>;
  pred: Map<string, Map<string, true>>;
}

function addNode(g: Adj, n: string): void {
  if (g.succ.has(n)) return;
  g.succ.set(n, new Map());
  g.pred.set(n, new Map());
}

function addEdge(g: Adj, u: string, v: string): void {
  addNode(g, u);
  addNode(g, v);
  g.succ.get(u)!.set(v, true);
  g.pred.get(v)!.set(u, true);
}

function removeNode(g: Adj, n: string): void {
  for (const v of g.succ.get(n)!.keys()) g.pred.get(v)!.delete(n);
  for (const u of g.pred.get(n)!.keys()) g.succ.get(u)!.delete(n);
  g.succ.delete(n);
  g.pred.delete(n);
}

/**
 * The `[upstream, downstream]` edges in the order DVC's `dag --dot` prints
 * them. `nodes` are in DVC's node order; `edges` in the order DVC added
 * them to its graph (grouped by downstream stage, deps in declared order).
 */
export function dotEdgeOrder(nodes: string[], edges: [string, string][]): [string, string][] {
  // DVC's graph points from a stage to the stages it depends on.
  const g: Adj = { succ: new Map(), pred: new Map() };
  for (const n of nodes) addNode(g, n);
  for (const [up, down] of edges) addEdge(g, down, up);
  // relabel_nodes(copy=False) with labels that are all new: node by node,
  // in node order, `old` is replaced by `new` (here a marked copy of it).
  const mark = (n: string) => `\0${n}`;
  for (const old of nodes) {
    const neu = mark(old);
    addNode(g, neu);
    const moved: [string, string][] = [];
    for (const t of g.succ.get(old)!.keys()) moved.push([neu, t === old ? neu : t]);
    for (const s of g.pred.get(old)!.keys()) moved.push([s === old ? neu : s, neu]);
    removeNode(g, old);
    for (const [u, v] of moved) addEdge(g, u, v);
  }
  // reverse(): nodes in order, then every edge (u, v) of G.edges() as (v, u).
  const r: Adj = { succ: new Map(), pred: new Map() };
  for (const n of g.succ.keys()) addNode(r, n);
  for (const [u, vs] of g.succ) for (const v of vs.keys()) addEdge(r, v, u);
  const out: [string, string][] = [];
  for (const [u, vs] of r.succ) {
    for (const v of vs.keys()) out.push([u.slice(1), v.slice(1)]);
  }
  return out;
}
