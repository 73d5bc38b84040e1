/**
 * The layered ("Sugiyama") layout of grandalf 0.8 as DVC's `dag` uses it
 * (`SugiyamaLayout(...).init_all(roots, optimize=True)`, then `draw()` with
 * `route_with_lines`), reimplemented so that every coordinate comes out as
 * the same double Python computes:
 *
 * - ranks: longest path from the roots, then each vertex pushed down next to
 *   its nearest successor (moving a vertex appends it to the end of its
 *   layer, even when the layer does not change);
 * - one dummy vertex per layer crossed by a long edge, appended to the layer;
 * - ordering: per layer, only when it has crossings with the previous one:
 *   stable sort by the mean of the neighbours' relative positions, then one
 *   pass of adjacent swaps that lower the crossing count; one sweep down and
 *   up (the up sweep only when the down sweep found crossings), one more
 *   down;
 * - x: Brandes & Köpf's four alignments (median neighbours, type-1
 *   conflicts marked at dummy vertices only, as grandalf does), each vertex
 *   at the mean of its two middle candidates; y: layer by layer, half the
 *   tallest box above and below, plus `yspace`;
 * - edges: a polyline through the dummies, both ends moved to where the line
 *   towards the next point leaves the box.
 *
 * The input order of vertices and edges matters (it is the order of
 * grandalf's sets); `componentOrder` gives the vertex order grandalf's
 * `Graph` builds from the order networkx hands it.
 */

/** A box to place: its size. */
export interface SugiyamaVertex {
  w: number;
  h: number;
}

/** DVC sets `xspace` to the narrowest box and `yspace` to the box height. */
export interface SugiyamaOptions {
  /** horizontal room between neighbours of a layer (grandalf `xspace`). */
  xspace: number;
  /** vertical room between layers (grandalf `yspace`). */
  yspace: number;
}

/** The placed graph, in the order the vertices and edges were given. */
export interface SugiyamaLayout {
  /** centre of each vertex, as given. */
  xy: [number, number][];
  /** per edge, the points of its line (ends on the boxes' borders). */
  paths: [number, number][][];
}

interface Node {
  id: number;
  w: number;
  h: number;
  dummy: boolean;
  /** incident edges in attach order (real vertices only). */
  edges: Link[];
  /** a dummy's edge: its vertices by rank. */
  ctrl?: Map<number, Node>;
  rank: number;
  pos: number;
  bar: number;
  /** neighbours in the layer above (-1) and below (+1), dummies included. */
  nvs?: Map<number, Node[]>;
  root: Node;
  align: Node;
  sink: Node;
  shift: number;
  X: number | null;
  x: number[];
  xy: [number, number];
}

interface Link {
  from: Node;
  to: Node;
  ctrl?: Map<number, Node>;
}

interface Layer {
  nodes: Node[];
  /** 1/(n-1), or 1 for a single vertex. */
  step: number;
}

/**
 * The order grandalf's `Graph(V, E)` gives the vertices of a connected
 * graph: each edge merges the component of its head into the component of
 * its tail (appending the members not yet there).
 */
export function componentOrder(count: number, edges: [number, number][]): number[] {
  const comp: Set<number>[] = [];
  for (let i = 0; i < count; i++) comp.push(new Set([i]));
  for (const [a, b] of edges) {
    const ca = comp[a];
    const cb = comp[b];
    if (ca === cb) continue;
    for (const v of cb) ca.add(v);
    for (const v of cb) comp[v] = ca;
  }
  return [...comp[0]];
}

/** Lay out a connected DAG; `edges` are [upstream, downstream] vertex indexes. */
export function sugiyamaLayout(
  vertices: SugiyamaVertex[],
  edges: [number, number][],
  opts: SugiyamaOptions,
): SugiyamaLayout {
  return new Layout(vertices, edges, opts).run();
}

const INF = Infinity;

class Layout {
  nodes: Node[];
  links: Link[];
  layers: Layer[] = [];
  dirh = 1;
  dirv = -1;
  nextId = 0;
  dw: number;
  dh: number;
  conflicts = new Set<string>();

  constructor(
    vertices: SugiyamaVertex[],
    edges: [number, number][],
    private opts: SugiyamaOptions,
  ) {
    this.nodes = vertices.map((v) => this.node(v.w, v.h, false));
    this.links = edges.map(([a, b]) => ({ from: this.nodes[a], to: this.nodes[b] }));
    for (const l of this.links) {
      if (!l.from.edges.includes(l)) l.from.edges.push(l);
      if (!l.to.edges.includes(l)) l.to.edges.push(l);
    }
    // dummy boxes are the median real box (upper median of the sorted sizes)
    const ws = vertices.map((v) => v.w).sort((a, b) => a - b);
    const hs = vertices.map((v) => v.h).sort((a, b) => a - b);
    this.dw = ws[Math.floor(ws.length / 2)];
    this.dh = hs[Math.floor(hs.length / 2)];
  }

  node(w: number, h: number, dummy: boolean): Node {
    const n = {
      id: this.nextId++,
      w,
      h,
      dummy,
      edges: [],
      rank: -1,
      pos: 0,
      bar: 0,
      shift: INF,
      X: null,
      x: [0, 0, 0, 0],
      xy: [0, 0],
    } as unknown as Node;
    n.root = n.align = n.sink = n;
    return n;
  }

  // graph neighbours: -1 upstream, +1 downstream (in edge-attach order)
  inEdges(v: Node): Link[] {
    return v.edges.filter((e) => e.to === v);
  }
  outEdges(v: Node): Link[] {
    return v.edges.filter((e) => e.from === v);
  }
  graphN(v: Node, dir: number): Node[] {
    if (v.dummy) {
      const n = v.ctrl!.get(v.rank + dir);
      return n ? [n] : [];
    }
    return dir < 0 ? this.inEdges(v).map((e) => e.from) : this.outEdges(v).map((e) => e.to);
  }

  run(): SugiyamaLayout {
    const roots = this.nodes.filter((v) => this.inEdges(v).length === 0);
    this.rankInit(roots);
    this.rankOptimize();
    for (const e of this.links) this.setDummies(e);
    this.layers.forEach((l) => {
      l.step = l.nodes.length > 1 ? 1 / (l.nodes.length - 1) : 1;
      l.nodes.forEach((v, i) => {
        v.pos = i;
        v.bar = i * l.step;
      });
    });
    // grandalf draw(N=1.5): a full sweep, then a one-way sweep
    this.orderingStep(false);
    this.orderingStep(true);
    this.setXY();
    return { xy: this.nodes.map((v) => v.xy), paths: this.links.map((e) => this.route(e)) };
  }

  rankInit(start: Node[]): void {
    const scanned = new Set<Link>();
    let unranked = start;
    while (unranked.length) {
      const next: Node[] = [];
      for (const v of unranked) {
        this.setRank(v);
        for (const e of this.outEdges(v)) scanned.add(e);
        for (const x of this.graphN(v, +1)) {
          if (this.inEdges(x).every((e) => scanned.has(e)) && !next.includes(x)) next.push(x);
        }
      }
      unranked = next;
    }
  }

  setRank(v: Node): void {
    const r = Math.max(-1, ...this.graphN(v, -1).map((x) => x.rank)) + 1;
    v.rank = r;
    if (r < this.layers.length) this.layers[r].nodes.push(v);
    else this.layers.push({ nodes: [v], step: 1 });
  }

  /** Pull each vertex down next to its nearest successor, bottom layer first. */
  rankOptimize(): void {
    for (let li = this.layers.length - 1; li >= 0; li--) {
      for (const v of [...this.layers[li].nodes]) {
        for (const x of this.graphN(v, -1)) {
          if (this.graphN(x, +1).every((y) => y.rank >= v.rank)) {
            const from = this.layers[x.rank].nodes;
            from.splice(from.indexOf(x), 1);
            x.rank = v.rank - 1;
            this.layers[v.rank - 1].nodes.push(x);
          }
        }
      }
    }
  }

  setDummies(e: Link): void {
    const r0 = e.from.rank;
    const r1 = e.to.rank;
    if (r1 - r0 <= 1) return;
    const ctrl = new Map<number, Node>([[r0, e.from], [r1, e.to]]);
    e.ctrl = ctrl;
    for (let r = r0 + 1; r < r1; r++) {
      const d = this.node(this.dw, this.dh, true);
      d.rank = r;
      d.ctrl = ctrl;
      ctrl.set(r, d);
      this.layers[r].nodes.push(d);
    }
  }

  /** Neighbours in the adjacent layer (dummies standing in for long edges). */
  neighbors(v: Node, dir = this.dirv): Node[] {
    if (!v.nvs) {
      const nvs = new Map<number, Node[]>([[-1, this.graphN(v, -1)], [1, this.graphN(v, +1)]]);
      if (!v.dummy) {
        for (const d of [-1, 1]) {
          const tr = v.rank + d;
          const list = nvs.get(d)!;
          list.forEach((x, i) => {
            if (x.rank === tr) return;
            const e = v.edges.find((l) => l.from === x || l.to === x)!;
            list[i] = e.ctrl!.get(tr)!;
          });
        }
      }
      v.nvs = nvs;
    }
    return v.nvs.get(dir)!;
  }

  prevLayer(i: number): Layer | undefined {
    return this.layers[this.dirv === 1 ? i + 1 : i - 1];
  }

  orderingStep(oneway: boolean): void {
    this.dirv = -1;
    let crossings = 0;
    for (let i = 0; i < this.layers.length; i++) crossings += this.order(i);
    if (oneway || crossings === 0) return;
    this.dirv = 1;
    for (let i = this.layers.length - 1; i >= 0; i--) this.order(i);
  }

  order(i: number): number {
    const layer = this.layers[i];
    let c = this.countCrossings(layer);
    if (c > 0) {
      const prev = this.prevLayer(i);
      for (const v of layer.nodes) {
        if (!prev) continue;
        const bars = this.neighbors(v).map((x) => x.bar);
        if (bars.length) v.bar = bars.reduce((s, b) => s + b, 0) / bars.length;
      }
      layer.nodes.sort((a, b) => a.bar - b.bar);
      c = this.reduceCrossings(layer);
      layer.nodes.forEach((v, k) => {
        v.pos = k;
        v.bar = k * layer.step;
      });
    }
    return c;
  }

  /** Inversions between the layer and the previous one (insertion count). */
  countCrossings(layer: Layer): number {
    const p: number[] = [];
    for (const v of layer.nodes) {
      p.push(...this.neighbors(v).map((x) => x.pos).sort((a, b) => a - b));
    }
    const seen: number[] = [];
    let count = 0;
    p.forEach((x, i) => {
      let j = 0;
      while (j < seen.length && seen[j] <= x) j++;
      count += i - j;
      seen.splice(j, 0, x);
    });
    return count;
  }

  /** One pass of swaps of adjacent vertices that have fewer crossings swapped. */
  reduceCrossings(layer: Layer): number {
    const ns = layer.nodes;
    let total = 0;
    for (let i = 0; i + 1 < ns.length; i++) {
      const vi = ns[i];
      const vj = ns[i + 1];
      const ni = this.neighbors(vi).map((v) => v.bar);
      let xij = 0;
      let xji = 0;
      for (const nj of this.neighbors(vj).map((v) => v.bar)) {
        const x = ni.filter((b) => b > nj).length;
        xij += x;
        xji += ni.length - x;
      }
      if (xji < xij) {
        ns[i] = vj;
        ns[i + 1] = vi;
        total += xji;
      } else total += xij;
    }
    return total;
  }

  setDir(dirvh: number): void {
    [this.dirh, this.dirv] = [[1, -1], [-1, -1], [1, 1], [-1, 1]][dirvh];
  }

  setXY(): void {
    this.detectConflicts();
    for (let dirvh = 0; dirvh < 4; dirvh++) {
      this.setDir(dirvh);
      this.verticalAlignment();
      this.horizontalCompaction(dirvh);
    }
    let y = 0;
    for (const l of this.layers) {
      const dy = Math.max(...l.nodes.map((v) => v.h / 2));
      for (const v of l.nodes) {
        const xs = [...v.x].sort((a, b) => a - b);
        v.xy = [(xs[1] + xs[2]) / 2, y + dy];
      }
      y += 2 * dy + this.opts.yspace;
    }
  }

  /** Type-1 conflicts as grandalf marks them (looked for at dummies only). */
  detectConflicts(): void {
    this.setDir(0);
    this.layers.forEach((layer, li) => {
      const prev = this.prevLayer(li);
      if (!prev) return;
      const ns = layer.nodes;
      const last = ns.length - 1;
      let k0 = 0;
      let l = 0;
      ns.forEach((v, l1) => {
        if (!v.dummy) return;
        const up = this.graphN(v, -1);
        const inner = up.some((x) => x.dummy);
        if (l1 !== last && !inner) return;
        const k1 = inner ? up[up.length - 1].pos : prev.nodes.length - 1;
        for (const vl of ns.slice(l, l1 + 1)) {
          for (const vk of this.neighbors(vl)) {
            if (vk.pos < k0 || vk.pos > k1) this.conflicts.add(`${vk.id},${vl.id}`);
          }
        }
        l = l1 + 1;
        k0 = k1;
      });
    });
  }

  medianIndex(v: Node): number[] {
    const pos = this.neighbors(v).map((x) => x.pos).sort((a, b) => a - b);
    if (!pos.length) return [];
    if (this.dirh === -1) pos.reverse();
    const i = Math.floor((pos.length - 1) / 2);
    return (pos.length - 1) % 2 === 0 ? [pos[i]] : [pos[i], pos[i + 1]];
  }

  layerOrder(): number[] {
    const idx = this.layers.map((_, i) => i);
    return this.dirv === -1 ? idx : idx.reverse();
  }

  inDir<T>(list: T[]): T[] {
    return this.dirh === 1 ? list : [...list].reverse();
  }

  verticalAlignment(): void {
    for (const li of this.layerOrder()) {
      const prev = this.prevLayer(li);
      if (!prev) continue;
      const layer = this.layers[li];
      let r: number | null = null;
      for (const vk of this.inDir(layer.nodes)) {
        for (const m of this.medianIndex(vk)) {
          const um = prev.nodes[m];
          if (vk.align !== vk) continue;
          const pair = this.dirv === 1 ? `${vk.id},${um.id}` : `${um.id},${vk.id}`;
          if (!this.conflicts.has(pair) && (r === null || this.dirh * r < this.dirh * m)) {
            um.align = vk;
            vk.root = um.root;
            vk.align = vk.root;
            r = m;
          }
        }
      }
    }
  }

  horizontalCompaction(dirvh: number): void {
    const order = this.layerOrder().map((i) => this.layers[i]);
    for (const l of order) {
      for (const v of this.inDir(l.nodes)) if (v.root === v) this.placeBlock(v);
    }
    if (this.dirh === -1) {
      for (const l of order) for (const v of l.nodes) if (v.X) v.X = -v.X;
    }
    for (const l of order) {
      for (const v of this.inDir(l.nodes)) {
        v.x[dirvh] = v.root.X!;
        const s = v.root.sink.shift;
        if (s < INF) v.x[dirvh] += this.dirh * s;
      }
    }
    for (const l of this.layers) {
      for (const v of l.nodes) {
        v.root = v.align = v.sink = v;
        v.shift = INF;
        v.X = null;
      }
    }
  }

  placeBlock(v: Node): void {
    if (v.X !== null) return;
    v.X = 0;
    let w = v;
    do {
      const j = w.pos - this.dirh;
      const layer = this.layers[w.rank].nodes;
      if (j >= 0 && j < layer.length) {
        const prec = layer[j];
        const delta = this.opts.xspace + (prec.w + w.w) / 2;
        const u = prec.root;
        this.placeBlock(u);
        if (v.sink === v) v.sink = u.sink;
        if (v.sink !== u.sink) {
          const s = u.sink;
          s.shift = Math.min(s.shift, v.X - (u.X! + delta));
        } else v.X = Math.max(v.X, u.X! + delta);
      }
      w = w.align;
    } while (w !== v);
  }

  route(e: Link): [number, number][] {
    const pts: [number, number][] = [e.from.xy];
    if (e.ctrl) {
      for (let r = e.from.rank + 1; r < e.to.rank; r++) pts.push(e.ctrl.get(r)!.xy);
    }
    pts.push(e.to.xy);
    const tail = intersectBox(e.from, pts[1]);
    const head = intersectBox(e.to, pts[pts.length - 2]);
    pts[0] = tail;
    pts[pts.length - 1] = head;
    return pts;
  }
}

/** Where the segment from a box's centre towards `to` crosses its border. */
function intersectBox(v: Node, to: [number, number]): [number, number] {
  const x2 = to[0] - v.xy[0];
  const y2 = to[1] - v.xy[1];
  const bx = Math.floor(v.w / 2);
  const by = Math.floor(v.h / 2);
  const sides: [number, number, number, number][] = [
    [-bx, -by, bx, -by],
    [bx, -by, bx, by],
    [-bx, by, bx, by],
    [-bx, by, -bx, -by],
  ];
  for (const [x3, y3, x4, y4] of sides) {
    const p = segmentsMeet(x2, y2, x3, y3, x4, y4);
    if (p) return [p[0] + v.xy[0], p[1] + v.xy[1]];
  }
  throw new RangeError("sugiyama: an edge ends inside its box");
}

/** Intersection of (0,0)-(x2,y2) with (x3,y3)-(x4,y4), both ends included. */
function segmentsMeet(
  x2: number,
  y2: number,
  x3: number,
  y3: number,
  x4: number,
  y4: number,
): [number, number] | null {
  const dx = x4 - x3;
  const dy = y4 - y3;
  const det = x2 * dy - y2 * dx;
  if (det === 0) return null;
  const t1 = (x3 * y2 - y3 * x2) / det;
  if (t1 < 0 || t1 > 1) return null;
  const t = (x3 * dy - y3 * dx) / det;
  if (t < 0 || t > 1) return null;
  return [0 + t * x2, 0 + t * y2];
}
