/**
 * `deno task check` step: every import in cli.ts, mod.ts, lib/ and plugins/
 * must point down the layer order (or stay in its own folder), and folders of
 * one layer must not import each other both ways (no cycles). The graph comes
 * from `deno info --json` (static, type-only and literal dynamic imports), on
 * one generated root that imports every module, so files no entry point
 * reaches are checked too.
 *
 *   deno run -A scripts/check_layers.ts           # violations only; exit 1 if any
 *   deno run -A scripts/check_layers.ts --graph   # also the folder-level import graph
 */
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

/**
 * The layer order, top first. A module may import its own folder and any
 * folder of a lower layer; folders of the same layer may import each other
 * one way only. A folder is `lib/<name>`, `plugins/<name>` or a top-level file.
 */
export const LAYERS: readonly (readonly string[])[] = [
  ["cli.ts", "mod.ts", "lib/cli", "lib/api"],
  ["lib/repo", "lib/live", "lib/notebook"],
  ["plugins"],
  [
    "lib/pipeline",
    "lib/dvcfile",
    "lib/cache",
    "lib/scm",
    "lib/plugin",
    "lib/sandbox",
    "lib/metrics",
    "lib/params",
    "lib/plots",
  ],
  ["lib/hash", "lib/fs", "lib/config", "lib/stage", "lib/proc"],
  [
    "lib/py",
    "lib/errors.ts",
    "lib/interrupt.ts",
    "lib/trace.ts",
    "lib/version.ts",
    "lib/path.ts",
    "lib/native_lib.ts",
  ],
];

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");

/** `lib/cli/render/x.ts` -> `lib/cli`; `plugins/remote_s3/mod.ts` -> `plugins/remote_s3`. */
export function folderOf(path: string): string {
  const parts = path.split("/");
  return parts.length <= 2 ? path : `${parts[0]}/${parts[1]}`;
}

/** Index of the layer a folder belongs to (longest matching table entry), or -1. */
export function layerOf(folder: string): number {
  let best = -1;
  let bestLen = -1;
  LAYERS.forEach((entries, i) => {
    for (const e of entries) {
      if ((folder === e || folder.startsWith(e + "/")) && e.length > bestLen) {
        best = i;
        bestLen = e.length;
      }
    }
  });
  return best;
}

/** One import edge between two project files (repo-relative paths). */
export interface Edge {
  from: string;
  to: string;
}

async function sourceFiles(): Promise<string[]> {
  const out = ["cli.ts", "mod.ts"];
  async function walk(dir: string): Promise<void> {
    for await (const e of Deno.readDir(join(ROOT, dir))) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory) await walk(p);
      else if (e.isFile && /\.tsx?$/.test(e.name) && !/\.d\.ts$/.test(e.name)) out.push(p);
    }
  }
  await walk("lib");
  await walk("plugins");
  return out.sort();
}

/** Import edges among project files, from `deno info --json` on a root importing them all. */
export async function importEdges(): Promise<Edge[]> {
  const files = await sourceFiles();
  const tmp = await Deno.makeTempDir({ prefix: "cairn-layers-" });
  try {
    const rootFile = join(tmp, "all.ts");
    await Deno.writeTextFile(
      rootFile,
      files.map((f) => `import ${JSON.stringify(pathToFileURL(join(ROOT, f)).href)};\n`).join(""),
    );
    const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", join(ROOT, "deno.json"), rootFile],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`deno info failed:\n${new TextDecoder().decode(stderr)}`);
    const info = JSON.parse(new TextDecoder().decode(stdout)) as {
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; type?: { specifier: string } }[];
      }[];
    };
    const rootUrl = pathToFileURL(ROOT).href + "/";
    const rel = (url: string) => url.startsWith(rootUrl) ? url.slice(rootUrl.length) : undefined;
    const edges: Edge[] = [];
    for (const m of info.modules) {
      const from = rel(m.specifier);
      if (!from || from.startsWith("..") || !files.includes(from)) continue;
      for (const d of m.dependencies ?? []) {
        for (const target of new Set([d.code?.specifier, d.type?.specifier])) {
          const to = target && rel(target);
          if (to && files.includes(to)) edges.push({ from, to });
        }
      }
    }
    return edges;
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}

/** Folder-level graph: folder -> imported folder -> number of file-level imports. */
export function folderGraph(edges: readonly Edge[]): Map<string, Map<string, number>> {
  const g = new Map<string, Map<string, number>>();
  for (const { from, to } of edges) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    const row = g.get(a) ?? new Map<string, number>();
    row.set(b, (row.get(b) ?? 0) + 1);
    g.set(a, row);
  }
  return g;
}

/** Problems: unknown folders, imports going up the order, and folder cycles. */
export function layerViolations(edges: readonly Edge[]): string[] {
  const problems: string[] = [];
  const unknown = new Set<string>();
  for (const { from, to } of edges) {
    for (const f of [from, to]) {
      if (layerOf(folderOf(f)) < 0) unknown.add(folderOf(f));
    }
  }
  for (const f of [...unknown].sort()) problems.push(`${f}: not in the layer table`);
  for (const { from, to } of edges) {
    const la = layerOf(folderOf(from));
    const lb = layerOf(folderOf(to));
    if (la >= 0 && lb >= 0 && lb < la) problems.push(`${from} imports ${to} (a higher layer)`);
  }
  // Cycles among folders: edges inside one layer must form a DAG.
  const g = folderGraph(edges);
  for (const cycle of folderCycles(g)) {
    // Imports up the order are reported above; list the same-layer ones of the cycle.
    const files = edges.filter((e) =>
      cycle.includes(folderOf(e.from)) && cycle.includes(folderOf(e.to)) &&
      folderOf(e.from) !== folderOf(e.to) &&
      layerOf(folderOf(e.from)) === layerOf(folderOf(e.to))
    );
    problems.push(
      `folder cycle ${cycle.join(" <-> ")}:\n` +
        files.map((e) => `    ${e.from} imports ${e.to}`).join("\n"),
    );
  }
  return problems;
}

/** Strongly connected components of more than one folder (Tarjan). */
function folderCycles(g: Map<string, Map<string, number>>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of g.get(v)?.keys() ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        comp.push(w);
      } while (w !== v);
      if (comp.length > 1) out.push(comp.sort());
    }
  };
  for (const v of [...g.keys()].sort()) if (!index.has(v)) visit(v);
  return out;
}

/** The folder graph as text, one folder per line, highest layer first. */
export function formatGraph(edges: readonly Edge[]): string {
  const g = folderGraph(edges);
  const folders = new Set<string>();
  for (const e of edges) folders.add(folderOf(e.from)).add(folderOf(e.to));
  const order = (f: string) => [layerOf(f) < 0 ? 99 : layerOf(f), f] as const;
  const sorted = [...folders].sort((a, b) => {
    const [la, fa] = order(a);
    const [lb, fb] = order(b);
    return la - lb || fa.localeCompare(fb);
  });
  return sorted.map((f) => {
    const row = g.get(f);
    const targets = row
      ? [...row].sort((a, b) => a[0].localeCompare(b[0])).map(([t, n]) => {
        const up = layerOf(t) >= 0 && layerOf(f) >= 0 && layerOf(t) < layerOf(f);
        const back = g.get(t)?.has(f);
        return `${t}(${n})${up ? " UP" : back ? " CYCLE" : ""}`;
      })
      : [];
    return `${f} -> ${targets.join(", ") || "-"}`;
  }).join("\n");
}

if (import.meta.main) {
  const edges = await importEdges();
  if (Deno.args.includes("--graph")) console.log(formatGraph(edges) + "\n");
  const problems = layerViolations(edges);
  const folders = new Set(edges.flatMap((e) => [folderOf(e.from), folderOf(e.to)]));
  if (problems.length) {
    console.error(problems.join("\n"));
    console.error(`layer check: ${problems.length} problem(s)`);
    Deno.exit(1);
  }
  console.log(
    `layer check: ${edges.length} imports among ${folders.size} folders follow the layer order`,
  );
}
