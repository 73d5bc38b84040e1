/**
 * `nb migrate`: a notebook becomes one script per stage plus dvc.yaml stages,
 * in notebook order: TypeScript scripts run by `deno run` for Deno notebooks,
 * Python scripts run by `python3` for Python ones (IPython magics commented
 * out, `display` falling back to print, params read with PyYAML).
 *
 * - Stages: code cells tagged `stage:NAME` start stage NAME (untagged cells
 *   after it belong to it); or, with `split`, markdown headings with those
 *   titles start a stage named after the heading. Code cells before the
 *   first stage (imports, helpers) are copied into every script.
 * - Parameters: the cell tagged `parameters` moves to params.yaml; each
 *   script reads the values back from there, and the stage depends on the
 *   names its code uses.
 * - Deps and outs: each script is run once, in order, under strace (the
 *   tracing `repro --explain-inputs` uses): files it read are deps (grouped
 *   per folder as explain-inputs suggests), files it wrote and left are
 *   outs. Files under a Live folder become `metrics` (metrics.json) and
 *   `plots` (plots/), uncached as DVCLive recommends; JSON/YAML files with
 *   "metric" in the name become uncached metrics.
 * - Existing scripts, stages or params are never overwritten without `force`.
 */
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { CairnError, ignoreNotFound } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { editTopLevelText } from "../dvcfile/pipeline_edit.ts";
import { loadYaml } from "../py/yaml_parse.ts";
import { openRepo } from "../repo/repo.ts";
import { stageAdd } from "../repo/stage_add.ts";
import { explainInputs } from "../sandbox/explain_inputs.ts";
import { parseStrace, straceArgs } from "../sandbox/strace.ts";
import { which } from "../sandbox/availability.ts";
import {
  type Cell,
  cellSource,
  cellTags,
  NotebookError,
  notebookLanguage,
  readNotebook,
} from "./ipynb.ts";
import { parametersCellIndex } from "./run.ts";
import { plainValue, pyDeclaredParams, tsDeclaredParams } from "./params.ts";
import { lexists } from "../fs/stat_or_null.ts";

/** Options of migrateNotebook. */
export interface MigrateOptions {
  /** directory relative paths are resolved against (default `Deno.cwd()`). */
  cwd?: string;
  /** split at markdown headings with these titles instead of `stage:NAME` tags. */
  split?: string[];
  /** folder for the stage scripts, relative to the notebook's folder (default `stages`). */
  dir?: string;
  /** params file, relative to the notebook's folder (default `params.yaml`). */
  paramsFile?: string;
  /** overwrite existing scripts, stages and params. */
  force?: boolean;
  /** permission flags of the `deno run` in each stage command (default `-A`). */
  denoFlags?: string[];
  /** what each traced run prints. */
  onOutput?: (stage: string, stream: "stdout" | "stderr", data: Uint8Array) => void;
}

/** What was inferred for one stage. */
export interface MigratedStage {
  /** stage name. */
  name: string;
  /** the script written (relative to the notebook's folder). */
  script: string;
  /** the stage command. */
  cmd: string;
  /** traced deps (the script first). */
  deps: string[];
  /** params the stage's code uses. */
  params: string[];
  /** traced outputs (cached). */
  outs: string[];
  /** metrics files (uncached). */
  metrics: string[];
  /** plots (uncached). */
  plots: string[];
  /** other uncached outputs. */
  outsNoCache: string[];
}

/** What migrateNotebook did. */
export interface MigrateResult {
  /** the stages, in order. */
  stages: MigratedStage[];
  /** parameter values written to the params file. */
  params: Record<string, unknown>;
  /** the params file (relative to the notebook's folder). */
  paramsFile: string;
  /** files written (relative to the notebook's folder). */
  written: string[];
}

interface Section {
  name: string;
  cells: Cell[];
}

const STAGE_NAME = /^[A-Za-z0-9_-]+$/;

function slug(title: string): string {
  return title.toLowerCase().replace(/[^a-z0-9]+/g, "_").replace(/^_|_$/g, "");
}

function headingTitle(cell: Cell): string | undefined {
  const m = /^\s*#{1,6}\s+(.+?)\s*#*\s*$/m.exec(cellSource(cell));
  return m?.[1];
}

/** Cut the notebook into prelude code and stage sections. */
export function splitStages(
  cells: Cell[],
  paramsIndex: number,
  split?: string[],
): { prelude: Cell[]; sections: Section[] } {
  const prelude: Cell[] = [];
  const sections: Section[] = [];
  const wanted = split?.map((s) => s.toLowerCase());
  cells.forEach((c, i) => {
    if (i === paramsIndex) return;
    let start: string | undefined;
    if (wanted) {
      const t = c.cell_type === "markdown" ? headingTitle(c) : undefined;
      if (t && wanted.includes(t.toLowerCase())) start = slug(t);
    } else if (c.cell_type === "code") {
      const tag = cellTags(c).find((t) => t.startsWith("stage:"));
      if (tag) start = tag.slice("stage:".length);
    }
    if (start !== undefined) {
      if (!STAGE_NAME.test(start)) {
        throw new NotebookError(`cell ${i + 1}: '${start}' is not a valid stage name`);
      }
      if (sections.some((s) => s.name === start)) {
        throw new NotebookError(`cell ${i + 1}: stage '${start}' appears twice`);
      }
      sections.push({ name: start, cells: [] });
    }
    if (c.cell_type !== "code") return;
    if (sections.length) sections[sections.length - 1].cells.push(c);
    else prelude.push(c);
  });
  if (wanted) {
    const found = new Set(sections.map((s) => s.name));
    const missing = split!.filter((t) => !found.has(slug(t)));
    if (missing.length) {
      throw new NotebookError(
        `no markdown heading titled ${missing.map((m) => `'${m}'`).join(", ")}`,
      );
    }
  }
  if (!sections.length) {
    throw new NotebookError(
      "no stages found: tag code cells 'stage:NAME' (or pass --split with markdown heading titles)",
    );
  }
  return { prelude, sections };
}

/** Relative import specifiers rewritten for a script living in `scriptDir`. */
function rebaseImports(code: string, nbDir: string, scriptDir: string): string {
  return code.replace(
    /(\bfrom\s*|\bimport\s*\(?\s*)(["'])(\.{1,2}\/[^"']*)\2/g,
    (_m, pre: string, q: string, spec: string) => {
      let rel = relative(scriptDir, resolve(nbDir, spec)).split("\\").join("/");
      if (!rel.startsWith(".")) rel = `./${rel}`;
      return `${pre}${q}${rel}${q}`;
    },
  );
}

/** Python literals YAML reads differently (YAML 1.2: `True` is a string). */
function pyLiteralAsYaml(text: string): string {
  return text.replace(
    /\b(True|False|None)\b(?=(?:[^'"]|'[^']*'|"[^"]*")*$)/g,
    (w) => w === "True" ? "true" : w === "False" ? "false" : "null",
  );
}

function paramDefaults(
  source: string,
  path: string,
  lang: "deno" | "python",
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const declared = lang === "deno" ? tsDeclaredParams(source) : pyDeclaredParams(source);
  for (const [name, text] of declared) {
    let value: unknown;
    try {
      const literal = lang === "deno"
        ? text.replace(/\s+as\s+const\s*$/, "")
        : pyLiteralAsYaml(text);
      value = plainValue(loadYaml(literal, path));
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      throw new NotebookError(
        `'${path}': parameter '${name}' = ${text} is not a literal value params.yaml can hold`,
      );
    }
    out[name] = value;
  }
  return out;
}

/** Outside a kernel `Deno.jupyter` throws: display calls become no-ops in stage scripts. */
const JUPYTER_STUB = `
// Display calls of the notebook do nothing outside Jupyter.
try {
  Deno.jupyter;
} catch {
  const none = () => ({});
  // deno-lint-ignore no-explicit-any
  (Deno as any).jupyter = {
    display: async () => {},
    format: async () => ({}),
    broadcast: async () => {},
    html: none,
    md: none,
    svg: none,
    $display: Symbol.for("Jupyter.display"),
  };
}
`;

function tsType(v: unknown): string {
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  if (typeof v === "boolean") return "boolean";
  return "any";
}

function scriptText(
  notebook: string,
  section: Section,
  prelude: Cell[],
  params: Record<string, unknown>,
  paramsFile: string,
  nbDir: string,
  scriptDir: string,
): { text: string; used: string[] } {
  const body = section.cells.map(cellSource).join("\n\n");
  const shared = prelude.map(cellSource).join("\n\n");
  const used = Object.keys(params).filter((p) =>
    new RegExp(`(?<![\\w$.])${p.replace(/\$/g, "\\$")}(?![\\w$])`).test(body)
  );
  let text = `// Stage '${section.name}', migrated from ${notebook} by \`cairn nb migrate\`.\n`;
  if (used.length) {
    text += `import { parse as parseParams } from "npm:yaml@^2.9.1";\n`;
  }
  if (/\bDeno\.jupyter\b/.test(shared + body)) text += JUPYTER_STUB;
  if (shared.trim()) text += "\n" + rebaseImports(shared, nbDir, scriptDir) + "\n";
  if (used.length) {
    const types = used.map((p) => `${p}: ${tsType(params[p])}`).join("; ");
    text += `\nconst { ${used.join(", ")} } = parseParams(\n  Deno.readTextFileSync(${
      JSON.stringify(paramsFile)
    }),\n) as { ${types} };\n`;
  }
  text += "\n" + rebaseImports(body, nbDir, scriptDir).trimEnd() + "\n";
  return { text, used };
}

/** A Python stage script: the shared cells, params read back from the params file, the stage's cells. */
function pythonScriptText(
  notebook: string,
  section: Section,
  prelude: Cell[],
  params: Record<string, unknown>,
  paramsFile: string,
): { text: string; used: string[] } {
  // IPython-only lines (magics, shell escapes) cannot run under python3
  const plain = (code: string) =>
    code.split("\n").map((l) => /^\s*[%!]/.test(l) ? `# (IPython only) ${l}` : l).join("\n");
  const body = plain(section.cells.map(cellSource).join("\n\n"));
  const shared = plain(prelude.map(cellSource).join("\n\n"));
  const used = Object.keys(params).filter((p) => new RegExp(`(?<![\\w.])${p}(?!\\w)`).test(body));
  let text = `# Stage '${section.name}', migrated from ${notebook} by \`cairn nb migrate\`.\n` +
    "import os\nimport sys\n\n" +
    "# local modules next to the notebook import as they did in Jupyter (cwd = its folder)\n" +
    "sys.path.insert(0, os.getcwd())\n";
  if (/\bdisplay\(/.test(shared + body)) {
    text +=
      "try:\n    from IPython.display import display\nexcept ImportError:\n    display = print\n";
  }
  if (used.length) {
    text += `\nimport yaml as _yaml\n\nwith open(${JSON.stringify(paramsFile)}) as _f:\n` +
      "    _params = _yaml.safe_load(_f)\n" +
      used.map((p) => `${p} = _params[${JSON.stringify(p)}]\n`).join("");
  }
  if (shared.trim()) text += "\n" + shared.trimEnd() + "\n";
  text += "\n" + body.trimEnd() + "\n";
  return { text, used };
}

function isWithin(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

/** Folders whose files are never deps or outs: repository state, caches, environments. */
const SKIPPED = new Set([
  ".git",
  ".dvc",
  "__pycache__",
  ".ipynb_checkpoints",
  "node_modules",
  ".venv",
  "venv",
]);

interface TraceResult {
  reads: string[];
  writes: string[];
}

/** Run `deno run <script>` once under strace from `cwd`; reads (grouped) and files left written. */
async function traceScript(
  args: string[],
  cwd: string,
  repoRoot: string,
  ignore: string[],
  onOutput?: (stream: "stdout" | "stderr", data: Uint8Array) => void,
): Promise<TraceResult> {
  const dir = await Deno.makeTempDir({ prefix: "cairn-nb-trace-" });
  try {
    const out = join(dir, "trace");
    const child = new Deno.Command("strace", {
      args: [...straceArgs(out), "--", ...args],
      cwd,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const errText: string[] = [];
    const dec = new TextDecoder();
    await Promise.all([
      (async () => {
        for await (const c of child.stdout) onOutput?.("stdout", c);
      })(),
      (async () => {
        for await (const c of child.stderr) {
          errText.push(dec.decode(c));
          onOutput?.("stderr", c);
        }
      })(),
    ]);
    const status = await child.status;
    if (!status.success) {
      throw new NotebookError(
        `'${args.at(-1)}' failed when run once to trace it (exit ${status.code}):\n${
          errText.join("").trim().split("\n").slice(-8).join("\n")
        }`,
      );
    }
    const lines = (await Deno.readTextFile(out)).split("\n");
    const ignored = (p: string) =>
      !isWithin(p, repoRoot) || ignore.some((i) => isWithin(p, i)) ||
      relative(repoRoot, p).split("/").some((c) => SKIPPED.has(c));
    const written = new Set<string>();
    for (const e of parseStrace(lines, { cwd })) {
      if (!e.write || e.ret < 0) continue;
      // rename's destination is the file that stays; other calls name it first
      const p = e.syscall.startsWith("rename") ? e.paths[1] : (e.opened ?? e.paths[0]);
      if (p && !ignored(p)) written.add(p);
    }
    const writes = [...written].filter((p) => {
      try {
        return Deno.statSync(p).isFile;
      } catch (err) {
        ignoreNotFound(err); // written, then removed
        return false;
      }
    }).sort();
    const report = explainInputs(lines, {
      cwd,
      repoRoot,
      deps: [],
      outs: writes,
      ignore: [...SKIPPED],
    });
    const reads = report.suggestedDeps.filter((r) => !ignored(resolve(cwd, r)));
    return { reads, writes: writes.map((w) => relative(cwd, w)) };
  } finally {
    // best effort: a temp folder; its removal must not mask the trace's result or error
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Outputs grouped as dvc.yaml wants them (Live folders, metrics files, big folders). */
function classifyOutputs(writes: string[], liveDirs: string[]): {
  outs: string[];
  metrics: string[];
  plots: string[];
  outsNoCache: string[];
} {
  const outs = new Set<string>();
  const metrics = new Set<string>();
  const plots = new Set<string>();
  const outsNoCache = new Set<string>();
  const rest: string[] = [];
  for (const w of writes) {
    const live = liveDirs.find((d) => isWithin(w, d));
    if (live) {
      if (w === join(live, "metrics.json")) metrics.add(w);
      else if (isWithin(w, join(live, "plots"))) plots.add(join(live, "plots"));
      else outsNoCache.add(w);
      continue;
    }
    const ext = extname(w).toLowerCase();
    if (/metric/i.test(basename(w)) && [".json", ".yaml", ".yml", ".toml"].includes(ext)) {
      metrics.add(w);
      continue;
    }
    rest.push(w);
  }
  // four or more new files in one folder: the folder is the output
  const byDir = new Map<string, string[]>();
  for (const w of rest) byDir.set(dirname(w), [...(byDir.get(dirname(w)) ?? []), w]);
  for (const [dir, files] of byDir) {
    if (files.length >= 4 && dir !== ".") outs.add(dir);
    else files.forEach((f) => outs.add(f));
  }
  return {
    outs: [...outs].sort(),
    metrics: [...metrics].sort(),
    plots: [...plots].sort(),
    outsNoCache: [...outsNoCache].sort(),
  };
}

/** Live folders a notebook logs to: `new Live()` / `new Live({ dir: "..." })`. */
function liveDirsOf(code: string): string[] {
  const dirs = new Set<string>();
  // `new Live({dir: "x"})` (cairn) and `Live(dir="x")` (DVCLive in Python)
  for (const m of code.matchAll(/\bLive\s*\(([^)]*)\)/g)) {
    const d = /\bdir\s*[:=]\s*["'`]([^"'`]+)["'`]/.exec(m[1])?.[1] ??
      /^\s*["']([^"']+)["']/.exec(m[1])?.[1];
    dirs.add(d ?? "dvclive");
  }
  return [...dirs];
}

/**
 * `cairn nb migrate`: turn a Deno or Python notebook into one script per
 * stage plus dvc.yaml stages. Cells tagged `stage:NAME` (or markdown headings named in
 * `split`) start stages; each script is run once under strace to find its
 * deps and outs; the `parameters` cell moves to params.yaml; `Live` output
 * becomes uncached metrics and plots. Refuses to overwrite without `force`.
 *
 * @example
 * ```ts ignore
 * import { migrateNotebook } from "@cairn/cairn";
 * const r = await migrateNotebook("train.ipynb");
 * for (const s of r.stages) console.log(s.name, s.deps, s.outs);
 * ```
 */
export async function migrateNotebook(
  notebook: string,
  opts: MigrateOptions = {},
): Promise<MigrateResult> {
  const cwd = resolve(opts.cwd ?? Deno.cwd());
  const path = resolve(cwd, notebook);
  const nb = readNotebook(path, notebook);
  const lang = notebookLanguage(nb, notebook);
  if (!which("strace")) {
    throw new CairnError("nb migrate traces each stage with strace, which is not installed", {
      hint: "install it: apt-get install strace",
    });
  }
  const nbDir = dirname(path);
  const repo = openRepo(nbDir, { cwd: nbDir });
  const scriptsDir = opts.dir ?? "stages";
  const paramsFile = opts.paramsFile ?? "params.yaml";
  const pi = parametersCellIndex(nb);
  const params = pi < 0 ? {} : paramDefaults(cellSource(nb.cells[pi]), notebook, lang);
  const { prelude, sections } = splitStages(nb.cells, pi, opts.split);

  // Refuse before writing anything.
  const conflicts: string[] = [];
  const ext = lang === "deno" ? "ts" : "py";
  const scripts = sections.map((s) => join(scriptsDir, `${s.name}.${ext}`));
  for (const s of scripts) if (lexists(join(nbDir, s))) conflicts.push(s);
  const dvcYaml = join(nbDir, "dvc.yaml");
  let existingStages: Record<string, unknown> = {};
  if (lexists(dvcYaml)) {
    const doc = loadYaml(Deno.readTextFileSync(dvcYaml), "dvc.yaml") as Record<string, unknown>;
    existingStages = (doc?.stages ?? {}) as Record<string, unknown>;
  }
  for (const s of sections) {
    if (Object.hasOwn(existingStages, s.name)) conflicts.push(`dvc.yaml stage '${s.name}'`);
  }
  const paramsPath = join(nbDir, paramsFile);
  let paramsText = lexists(paramsPath) ? Deno.readTextFileSync(paramsPath) : "";
  const oldParams = (paramsText ? loadYaml(paramsText, paramsFile) : {}) as Record<string, unknown>;
  for (const k of Object.keys(params)) {
    if (oldParams && Object.hasOwn(oldParams, k)) conflicts.push(`${paramsFile} key '${k}'`);
  }
  if (conflicts.length && !opts.force) {
    throw new CairnError(`nb migrate would overwrite ${conflicts.join(", ")}`, {
      hint: "use --force to overwrite",
    });
  }

  // Params, then scripts; undone if a stage cannot be traced.
  const written: string[] = [];
  const undo: (() => void)[] = [];
  try {
    return await writeAndTrace();
  } catch (err) {
    for (const u of undo.reverse()) u();
    throw err;
  }

  async function writeAndTrace(): Promise<MigrateResult> {
    if (Object.keys(params).length) {
      for (const [k, v] of Object.entries(params)) {
        paramsText = editTopLevelText(paramsText, paramsFile, k, v);
      }
      const before = lexists(paramsPath) ? Deno.readTextFileSync(paramsPath) : undefined;
      undo.push(() =>
        before === undefined ? Deno.removeSync(paramsPath) : writeTextAtomic(paramsPath, before)
      );
      writeTextAtomic(paramsPath, paramsText, { mkdirs: true });
      written.push(paramsFile);
    }
    const scriptDirAbs = join(nbDir, scriptsDir);
    const liveDirs = liveDirsOf(nb.cells.map(cellSource).join("\n"));
    const flags = opts.denoFlags ?? ["-A"];
    const stages: MigratedStage[] = [];
    const texts = sections.map((s) =>
      lang === "deno"
        ? scriptText(notebook, s, prelude, params, paramsFile, nbDir, scriptDirAbs)
        : pythonScriptText(notebook, s, prelude, params, paramsFile)
    );
    const command = (script: string) =>
      lang === "deno" ? ["deno", "run", "-q", ...flags, script] : ["python3", script];
    sections.forEach((_, i) => {
      const abs = join(nbDir, scripts[i]);
      const before = lexists(abs) ? Deno.readTextFileSync(abs) : undefined;
      undo.push(() => before === undefined ? Deno.removeSync(abs) : writeTextAtomic(abs, before));
      writeTextAtomic(abs, texts[i].text, { mkdirs: true });
      written.push(scripts[i]);
    });

    // Trace each script in order; later stages read what earlier ones wrote.
    const claimed = new Set<string>();
    const scriptsAbs = scripts.map((s) => join(nbDir, s));
    for (const [i, s] of sections.entries()) {
      const args = command(scripts[i]);
      const t = await traceScript(
        args,
        nbDir,
        repo.root,
        [join(nbDir, "dvc.yaml"), join(nbDir, "dvc.lock"), join(nbDir, ".gitignore"), paramsPath],
        opts.onOutput ? (stream, d) => opts.onOutput!(s.name, stream, d) : undefined,
      );
      const own = scriptsAbs[i];
      const writes = t.writes.filter((w) => !claimed.has(w));
      const cls = classifyOutputs(writes, liveDirs);
      const outAll = [...cls.outs, ...cls.metrics, ...cls.plots, ...cls.outsNoCache];
      const covered = (r: string) => outAll.some((o) => isWithin(r, o) || isWithin(o, r));
      const deps = [
        scripts[i],
        ...t.reads.filter((r) =>
          resolve(nbDir, r) !== own && !scriptsAbs.includes(resolve(nbDir, r)) && !covered(r)
        ),
      ];
      for (const w of writes) claimed.add(w);
      stages.push({
        name: s.name,
        script: scripts[i],
        cmd: command(scripts[i]).join(" "),
        deps: [...new Set(deps)],
        params: texts[i].used,
        ...cls,
      });
    }

    for (const s of stages) {
      await stageAdd(repo, {
        name: s.name,
        command: [s.cmd],
        deps: s.deps,
        params: s.params.length
          ? [
            paramsFile === "params.yaml"
              ? s.params.join(",")
              : `${paramsFile}:${s.params.join(",")}`,
          ]
          : [],
        outs: s.outs,
        metricsNoCache: s.metrics,
        plotsNoCache: s.plots,
        outsNoCache: s.outsNoCache,
        force: opts.force,
      });
    }
    written.push("dvc.yaml");
    return { stages, params, paramsFile, written };
  }
}
