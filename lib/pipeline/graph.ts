/**
 * The stage graph (dvc-spec §10.3, DVC `build_graph`): stage A depends on
 * stage B when a dep (or params file) of A equals, is inside, or contains an
 * output of B. Building it also enforces DVC's structural rules: no output
 * declared twice, no output inside another, no stage file inside an output,
 * no cycle. Pure: works on Stage values only, touches no file.
 */
import { isUrl, posix } from "../path.ts";
import { CairnError, CyclicGraphError, ExitCode } from "../errors.ts";
import { type Output, type Stage, stageAddress } from "../stage/types.ts";

export interface OutNode {
  stage: number;
  out: Output;
  /** repo-relative posix path ("" = repo root). */
  key: string;
}

export interface StageGraph {
  /** nodes, in collection order (DVC's index order). */
  readonly stages: readonly Stage[];
  /**
   * upstream[i]: stages whose outputs stage i uses, in DVC's edge insertion
   * order (per dep: the outputs containing it, then the outputs inside it).
   */
  readonly upstream: readonly number[][];
  /** downstream[i]: stages using an output of stage i (collection order). */
  readonly downstream: readonly number[][];
  readonly indexOf: ReadonlyMap<Stage, number>;
  /** every output by repo-relative key. */
  readonly outs: ReadonlyMap<string, OutNode>;
}

/** Two stages (or one stage twice) declare the same output. */
export class OutputDuplicationError extends CairnError {
  readonly path: string;
  readonly stages: string[];
  constructor(path: string, stages: string[]) {
    const where = stages.length === 1
      ? `output '${path}' is specified more than once in stage '${stages[0]}'`
      : `output '${path}' is specified in stages:\n${stages.map((s) => `\t- ${s}`).join("\n")}`;
    super(where, {
      hint:
        "Use `cairn remove` with any of the above targets to stop tracking the overlapping output.",
      exitCode: ExitCode.other, // a DvcException: 255, as DVC
    });
    this.path = path;
    this.stages = stages;
  }
}

/** One output lies inside another. */
export class OverlappingOutputPathsError extends CairnError {
  constructor(
    readonly parent: { path: string; stage: string },
    readonly child: { path: string; stage: string },
  ) {
    super(
      `The output paths:\n'${parent.path}'('${parent.stage}')\n'${child.path}'('${child.stage}')\n` +
        `overlap and are thus in the same tracked directory.\n` +
        `To keep reproducibility, outputs should be in separate tracked directories or tracked individually.`,
      { exitCode: ExitCode.other },
    );
  }
}

/** A dvc.yaml / .dvc file sits inside an output of a stage. */
export class StagePathAsOutputError extends CairnError {
  constructor(readonly stage: string, readonly file: string, readonly output: string) {
    super(`stage '${stage}' ('${file}') is within an output '${output}' of another stage`, {
      exitCode: ExitCode.other,
    });
  }
}

/**
 * Repo-relative posix key of a stage path (dep, out, params file). Absolute
 * paths and URLs are kept as they are (they only match themselves).
 */
export function pathKey(stage: Stage, path: string): string {
  if (isUrl(path)) return path;
  const p = path.split("\\").join("/");
  if (p.startsWith("/")) return posix.normalize(p);
  const joined = posix.normalize(posix.join(stage.wdir || ".", p));
  if (joined === "." || joined === "./") return "";
  return joined.replace(/\/+$/, "");
}

/** Every ancestor key of `key` from the shortest, including `key` itself. */
function prefixesOf(key: string): string[] {
  if (key === "") return [""];
  const parts = key.split("/");
  const out: string[] = [];
  let cur = "";
  for (let i = 0; i < parts.length; i++) {
    cur = i === 0 ? parts[0] : `${cur}/${parts[i]}`;
    if (cur === "") continue; // leading "/" of an absolute path
    out.push(cur);
  }
  return out;
}

/** Keys of the dependencies of a stage (deps, then params files), DVC order. */
export function depKeys(stage: Stage): string[] {
  const keys: string[] = [];
  for (const d of stage.deps) {
    if (d.repo) continue; // repo imports create no edge
    keys.push(pathKey(stage, d.path));
  }
  for (const p of stage.params) keys.push(pathKey(stage, p.file));
  return keys;
}

export interface BuildGraphOptions {
  /** skip the structural checks (duplicate/overlap/stage-in-output/cycle). */
  unchecked?: boolean;
}

/**
 * Build the graph of `stages`. Throws OutputDuplicationError,
 * OverlappingOutputPathsError, StagePathAsOutputError or CyclicGraphError.
 */
export function buildGraph(stages: readonly Stage[], opts: BuildGraphOptions = {}): StageGraph {
  const check = !opts.unchecked;
  const outs = new Map<string, OutNode>();
  /** dir key -> number of outputs strictly below it ("" counts everything). */
  const below = new Map<string, OutNode[]>();
  stages.forEach((stage, si) => {
    for (const out of stage.outs) {
      const key = pathKey(stage, out.path);
      const node: OutNode = { stage: si, out, key };
      if (check) {
        const dup = outs.get(key);
        if (dup) {
          const names = [...new Set([stageAddress(stages[dup.stage]), stageAddress(stage)])];
          throw new OutputDuplicationError(key || ".", names);
        }
        const inside = below.get(key);
        if (inside?.length) {
          throw new OverlappingOutputPathsError(
            { path: key, stage: stageAddress(stage) },
            { path: inside[0].key, stage: stageAddress(stages[inside[0].stage]) },
          );
        }
        for (const pre of prefixesOf(key)) {
          if (pre === key) break;
          const parent = outs.get(pre);
          if (parent) {
            throw new OverlappingOutputPathsError(
              { path: parent.key, stage: stageAddress(stages[parent.stage]) },
              { path: key, stage: stageAddress(stage) },
            );
          }
        }
      }
      if (!outs.has(key)) outs.set(key, node);
      const ancestors = key === "" ? [] : ["", ...prefixesOf(key).slice(0, -1)];
      for (const a of ancestors) {
        const list = below.get(a);
        if (list) list.push(node);
        else below.set(a, [node]);
      }
    }
  });
  if (check) {
    for (const stage of stages) {
      for (const pre of prefixesOf(stage.file)) {
        const o = outs.get(pre);
        if (o) throw new StagePathAsOutputError(stageAddress(stage), stage.file, o.key);
      }
    }
  }
  const indexOf = new Map<Stage, number>();
  stages.forEach((s, i) => indexOf.set(s, i));
  const upstream: number[][] = stages.map(() => []);
  const downstream: number[][] = stages.map(() => []);
  stages.forEach((stage, si) => {
    const seen = new Set<number>();
    const add = (o: OutNode) => {
      if (seen.has(o.stage)) return;
      seen.add(o.stage);
      upstream[si].push(o.stage);
    };
    for (const key of depKeys(stage)) {
      for (const pre of key === "" ? [] : prefixesOf(key)) {
        const o = outs.get(pre);
        if (o) add(o);
      }
      if (key === "" && outs.has("")) add(outs.get("")!);
      for (const o of below.get(key) ?? []) add(o);
    }
  });
  stages.forEach((_, si) => {
    for (const u of upstream[si]) downstream[u].push(si);
  });
  for (const d of downstream) d.sort((a, b) => a - b);
  const graph: StageGraph = { stages, upstream, downstream, indexOf, outs };
  if (check) {
    const cycle = findCycle(graph);
    if (cycle) throw new CyclicGraphError(cycle.map((i) => stageAddress(stages[i])));
  }
  return graph;
}

/** A cycle (stage indexes, in dependency order) or null. */
export function findCycle(graph: StageGraph): number[] | null {
  const n = graph.stages.length;
  const color = new Uint8Array(n); // 0 new, 1 on stack, 2 done
  const parent = new Int32Array(n).fill(-1);
  for (let start = 0; start < n; start++) {
    if (color[start]) continue;
    const stack: [number, number][] = [[start, 0]];
    color[start] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1];
      const [u, i] = top;
      const next = graph.upstream[u];
      if (i >= next.length) {
        color[u] = 2;
        stack.pop();
        continue;
      }
      top[1]++;
      const v = next[i];
      if (color[v] === 1) {
        // back edge u -> v: the cycle is v ... u on the stack
        const cycle: number[] = [];
        for (let k = stack.length - 1; k >= 0; k--) {
          cycle.push(stack[k][0]);
          if (stack[k][0] === v) break;
        }
        return cycle;
      }
      if (color[v] === 0) {
        color[v] = 1;
        parent[v] = u;
        stack.push([v, 0]);
      }
    }
  }
  return null;
}

/** All stages reachable from `from` following `edges` (excluding the start nodes unless reached). */
export function reachable(
  edges: readonly number[][],
  from: Iterable<number>,
): Set<number> {
  const seen = new Set<number>();
  const stack = [...from];
  while (stack.length) {
    const u = stack.pop()!;
    for (const v of edges[u]) {
      if (!seen.has(v)) {
        seen.add(v);
        stack.push(v);
      }
    }
  }
  return seen;
}

/** Weakly connected components, each in collection order, ordered by first node. */
export function components(graph: StageGraph): number[][] {
  const n = graph.stages.length;
  const comp = new Int32Array(n).fill(-1);
  const out: number[][] = [];
  for (let s = 0; s < n; s++) {
    if (comp[s] !== -1) continue;
    const id = out.length;
    const members: number[] = [];
    const stack = [s];
    comp[s] = id;
    while (stack.length) {
      const u = stack.pop()!;
      members.push(u);
      for (const v of [...graph.upstream[u], ...graph.downstream[u]]) {
        if (comp[v] === -1) {
          comp[v] = id;
          stack.push(v);
        }
      }
    }
    out.push(members.sort((a, b) => a - b));
  }
  return out;
}
