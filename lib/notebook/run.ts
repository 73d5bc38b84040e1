/**
 * `nb run`: execute a notebook headless, top to bottom.
 *
 * Deno (TypeScript) notebooks need no Jupyter: the code cells become one
 * module, fed to `deno run` on stdin from the notebook's folder (so relative
 * imports and paths work as in the kernel, whose cwd is that folder). A
 * prelude makes `Deno.jupyter` display calls record their mime bundles, and
 * writes a marker line before each cell on stdout and stderr, so the output
 * can be split back into cells for `-o executed.ipynb`.
 *
 * Python notebooks run through papermill when it is installed, else through
 * `jupyter nbconvert --execute` with papermill's injected-parameters cell
 * added by us; neither installed is a clear error saying what to install.
 */
import { basename, dirname, join, resolve } from "node:path";
import { CairnError } from "../errors.ts";
import {
  type Cell,
  type CellOutput,
  cellSource,
  cellTags,
  type Notebook,
  type NotebookLanguage,
  notebookLanguage,
  notebookText,
  readNotebook,
  sourceLines,
  writeNotebook,
} from "./ipynb.ts";
import {
  type NotebookParams,
  paramsFromFile,
  pyDeclaredParams,
  pyInjectedCell,
  tsApplyParams,
  tsDeclaredParams,
} from "./params.ts";

/** Options of runNotebook. */
export interface RunNotebookOptions {
  /** `-p key=value` values (win over the params file). */
  params?: NotebookParams;
  /**
   * Where defaults for the parameters cell's names are read (top-level keys),
   * relative to `cwd`; default `params.yaml`; false: none.
   */
  paramsFile?: string | false;
  /** write the executed notebook (outputs filled in) here, relative to `cwd`. */
  output?: string;
  /** directory relative paths are resolved against (default `Deno.cwd()`). */
  cwd?: string;
  /** the cells' printed output, as it comes. */
  onOutput?: (stream: "stdout" | "stderr", text: string) => void;
  /** permission flags for the Deno process running a TypeScript notebook (default `-A`). */
  denoFlags?: string[];
}

/** What runNotebook did. */
export interface RunNotebookResult {
  /** the kernel language the notebook was run with. */
  language: NotebookLanguage;
  /** how it was run: `deno`, `papermill` or `nbconvert`. */
  engine: "deno" | "papermill" | "nbconvert";
  /** code cells executed. */
  cells: number;
  /** parameter values applied (params file and `-p`). */
  params: NotebookParams;
  /** absolute path of the executed notebook, when `output` was given. */
  output?: string;
}

/** A cell raised or the kernel exited non-zero. */
export class NotebookRunError extends CairnError {}

const MARK = "\x1ecairn-nb:";

/** Runs before the first cell: marker writer and the `Deno.jupyter` stand-in. */
const PRELUDE = `
const __cairnNb = (() => {
  const enc = new TextEncoder();
  const write = (fd, s) => {
    const b = enc.encode(s);
    let o = 0;
    while (o < b.length) o += fd.writeSync(b.subarray(o));
  };
  const cell = (i) => {
    write(Deno.stdout, "\\n${MARK}cell " + i + "\\n");
    write(Deno.stderr, "\\n${MARK}cell " + i + "\\n");
  };
  const $display = Symbol.for("Jupyter.display");
  const bundle = async (obj, opts) => {
    if (opts?.raw && obj && typeof obj === "object") return obj;
    if (obj && typeof obj === "object" && typeof obj[$display] === "function") {
      return await obj[$display]();
    }
    if (typeof obj === "string") return { "text/plain": obj };
    return { "text/plain": Deno.inspect(obj) };
  };
  const tagged = (mime) => (strings, ...values) => ({
    [$display]: () => ({ [mime]: String.raw({ raw: strings }, ...values) }),
  });
  const jupyter = {
    $display,
    display: async (obj, opts) => {
      write(Deno.stdout, "\\n${MARK}display " + JSON.stringify(await bundle(obj, opts)) + "\\n");
    },
    format: bundle,
    html: tagged("text/html"),
    md: tagged("text/markdown"),
    svg: tagged("image/svg+xml"),
    broadcast: async () => {},
  };
  try {
    Deno.jupyter;
  } catch {
    Deno.jupyter = jupyter;
  }
  return { cell };
})();
`;

/** The parameters cell (papermill: the first cell tagged `parameters`), or -1. */
export function parametersCellIndex(nb: Notebook): number {
  return nb.cells.findIndex((c) => c.cell_type === "code" && cellTags(c).includes("parameters"));
}

function resolveParams(
  nb: Notebook,
  lang: NotebookLanguage,
  opts: RunNotebookOptions,
  cwd: string,
): NotebookParams {
  const pi = parametersCellIndex(nb);
  const declared = pi < 0
    ? new Map<string, string>()
    : (lang === "deno" ? tsDeclaredParams : pyDeclaredParams)(cellSource(nb.cells[pi]));
  const fromFile = opts.paramsFile === false
    ? {}
    : paramsFromFile(resolve(cwd, opts.paramsFile ?? "params.yaml"), declared.keys());
  return { ...fromFile, ...(opts.params ?? {}) };
}

/** The one module a Deno notebook runs as, and the cell index of each code cell. */
export function denoModule(nb: Notebook, params: NotebookParams): string {
  const pi = parametersCellIndex(nb);
  let out = PRELUDE;
  nb.cells.forEach((c, i) => {
    if (c.cell_type !== "code") return;
    let src = cellSource(c);
    if (i === pi && Object.keys(params).length) src = tsApplyParams(src, params);
    out += `\n;__cairnNb.cell(${i});\n${src}\n`;
  });
  return out;
}

/** Splits a stream into text and marker events, line by line. */
class MarkerStream {
  #buf = "";
  constructor(
    readonly onText: (text: string) => void,
    readonly onMarker: (kind: string, payload: string) => void,
  ) {}

  push(chunk: string): void {
    this.#buf += chunk;
    let nl: number;
    while ((nl = this.#buf.indexOf("\n")) >= 0) {
      this.#line(this.#buf.slice(0, nl + 1));
      this.#buf = this.#buf.slice(nl + 1);
    }
  }

  end(): void {
    if (this.#buf) this.#line(this.#buf);
    this.#buf = "";
  }

  #pendingNewline = false;

  #line(line: string): void {
    // A marker is written as "\n" + MARK...: that leading newline is ours, not the cell's.
    if (line === "\n") {
      if (this.#pendingNewline) this.onText("\n");
      this.#pendingNewline = true;
      return;
    }
    if (line.startsWith(MARK)) {
      this.#pendingNewline = false;
      const body = line.slice(MARK.length).replace(/\n$/, "");
      const sp = body.indexOf(" ");
      this.onMarker(body.slice(0, sp), body.slice(sp + 1));
      return;
    }
    if (this.#pendingNewline) this.onText("\n");
    this.#pendingNewline = false;
    this.onText(line);
  }
}

function denoExecutable(): string {
  const exe = Deno.execPath();
  return /^deno(\.exe)?$/.test(basename(exe)) ? exe : "deno";
}

async function runDeno(
  path: string,
  nb: Notebook,
  params: NotebookParams,
  opts: RunNotebookOptions,
): Promise<{ outputs: Map<number, CellOutput[]>; failed?: { cell: number; stderr: string } }> {
  const outputs = new Map<number, CellOutput[]>();
  const add = (cell: number, o: CellOutput) => {
    if (cell < 0) return;
    const list = outputs.get(cell) ?? [];
    const last = list.at(-1);
    if (o.output_type === "stream" && last?.output_type === "stream" && last.name === o.name) {
      last.text = String(last.text) + String(o.text);
    } else list.push(o);
    outputs.set(cell, list);
  };
  let outCell = -1;
  let errCell = -1;
  const stderrOf = new Map<number, string>();
  const dec = new TextDecoder();
  const stdout = new MarkerStream((t) => {
    opts.onOutput?.("stdout", t);
    add(outCell, { output_type: "stream", name: "stdout", text: t });
  }, (kind, payload) => {
    if (kind === "cell") outCell = Number(payload);
    else if (kind === "display") {
      add(outCell, { output_type: "display_data", data: JSON.parse(payload), metadata: {} });
    }
  });
  const stderr = new MarkerStream((t) => {
    opts.onOutput?.("stderr", t);
    stderrOf.set(errCell, (stderrOf.get(errCell) ?? "") + t);
    add(errCell, { output_type: "stream", name: "stderr", text: t });
  }, (kind, payload) => {
    if (kind === "cell") errCell = Number(payload);
  });
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(denoExecutable(), {
      args: ["run", ...(opts.denoFlags ?? ["-A"]), "--ext=ts", "-"],
      cwd: dirname(path),
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NotebookRunError("running a Deno notebook needs 'deno' on PATH");
    }
    throw err;
  }
  const pump = async (s: ReadableStream<Uint8Array>, m: MarkerStream) => {
    for await (const chunk of s) m.push(dec.decode(chunk, { stream: true }));
    m.end();
  };
  const writer = child.stdin.getWriter();
  const feeding = writer.write(new TextEncoder().encode(denoModule(nb, params)))
    .then(() => writer.close())
    .catch(() => {/* the process exited early: its status says why */});
  const [status] = await Promise.all([
    child.status,
    pump(child.stdout, stdout),
    pump(child.stderr, stderr),
    feeding,
  ]);
  if (status.success) return { outputs };
  const cell = Math.max(errCell, outCell);
  return { outputs, failed: { cell, stderr: stderrOf.get(errCell) ?? "" } };
}

function executedNotebook(nb: Notebook, outputs: Map<number, CellOutput[]>): Notebook {
  let count = 0;
  const cells = nb.cells.map((c, i): Cell => {
    if (c.cell_type !== "code") return c;
    const outs = (outputs.get(i) ?? []).map((o) =>
      o.output_type === "stream" ? { ...o, text: sourceLines(String(o.text)) } : o
    );
    return { ...c, execution_count: ++count, outputs: outs };
  });
  return { ...nb, cells };
}

function which(cmd: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    const p = join(dir, cmd);
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch { /* a PATH probe: missing or not to be looked at, not here */ }
  }
  return undefined;
}

/** papermill's placement: after the parameters cell, else first; tagged injected-parameters. */
function withInjectedCell(nb: Notebook, params: NotebookParams): Notebook {
  if (!Object.keys(params).length) return nb;
  const cell: Cell = {
    cell_type: "code",
    execution_count: null,
    metadata: { tags: ["injected-parameters"] },
    outputs: [],
    source: sourceLines(pyInjectedCell(params)),
  };
  if (nb.nbformat_minor >= 5) cell.id = crypto.randomUUID().slice(0, 8);
  const cells = [...nb.cells];
  cells.splice(parametersCellIndex(nb) + 1, 0, cell);
  return { ...nb, cells };
}

async function runPython(
  path: string,
  shown: string,
  nb: Notebook,
  params: NotebookParams,
  opts: RunNotebookOptions,
): Promise<{ engine: "papermill" | "nbconvert"; executed: Notebook }> {
  const papermill = which("papermill");
  const nbconvert = which("jupyter-nbconvert");
  const jupyter = which("jupyter");
  let cmd: string;
  let args: string[];
  let input: string;
  let engine: "papermill" | "nbconvert";
  if (papermill) {
    engine = "papermill";
    cmd = papermill;
    args = ["-", "-", "--no-progress-bar", "--cwd", dirname(path)];
    if (Object.keys(params).length) args.push("-y", JSON.stringify(params));
    input = notebookText(nb);
  } else if (nbconvert || jupyter) {
    engine = "nbconvert";
    cmd = nbconvert ?? jupyter!;
    args = [
      ...(nbconvert ? [] : ["nbconvert"]),
      "--stdin",
      "--stdout",
      "--to",
      "notebook",
      "--execute",
      "--ExecutePreprocessor.timeout=-1",
      "--log-level=ERROR",
    ];
    input = notebookText(withInjectedCell(nb, params));
  } else {
    throw new NotebookRunError(
      `running the Python notebook '${shown}' needs Jupyter: install papermill or nbconvert ` +
        "with a Python kernel (Debian: apt-get install jupyter-nbconvert python3-ipykernel; " +
        "pip: pip install nbconvert ipykernel)",
    );
  }
  const child = new Deno.Command(cmd, {
    args,
    cwd: dirname(path),
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  // a kernel manager that exits early closes its stdin: its exit status says why
  await writer.write(new TextEncoder().encode(input)).catch(() => {});
  await writer.close().catch(() => {});
  const out = await child.output();
  const dec = new TextDecoder();
  if (!out.success) {
    const err = dec.decode(out.stderr);
    opts.onOutput?.("stderr", err);
    const m = /(\w+(?:Error|Exception)\b.*)\s*$/.exec(err.trim());
    throw new NotebookRunError(
      `notebook '${shown}' failed under ${engine}${m ? `: ${m[1]}` : ` (exit ${out.code})`}`,
    );
  }
  const executed = JSON.parse(dec.decode(out.stdout)) as Notebook;
  for (const c of executed.cells) {
    for (const o of c.outputs ?? []) {
      if (o.output_type === "stream") {
        const text = Array.isArray(o.text) ? o.text.join("") : String(o.text ?? "");
        opts.onOutput?.(o.name === "stderr" ? "stderr" : "stdout", text);
      }
    }
  }
  return { engine, executed };
}

/**
 * `cairn nb run`: execute a notebook top to bottom. Deno notebooks run under
 * `deno run` (no Jupyter needed); Python ones through papermill or
 * `jupyter nbconvert`. Parameters follow papermill's convention (the cell
 * tagged `parameters`), from `params` and the params file. A failing cell
 * throws `NotebookRunError` naming it (the executed notebook is still written).
 *
 * @example Run a notebook with a parameter
 * ```ts
 * import { runNotebook } from "@cairn/cairn";
 * const dir = Deno.makeTempDirSync();
 * const cell = (source: string, tags: string[] = []) =>
 *   ({ cell_type: "code", metadata: { tags }, outputs: [], source });
 * Deno.writeTextFileSync(`${dir}/nb.ipynb`, JSON.stringify({
 *   cells: [cell("const n = 1;", ["parameters"]), cell("console.log(n * 2);")],
 *   metadata: { kernelspec: { name: "deno", language: "typescript" } },
 *   nbformat: 4,
 *   nbformat_minor: 5,
 * }));
 * let printed = "";
 * await runNotebook(`${dir}/nb.ipynb`, { params: { n: 21 }, onOutput: (_, t) => printed += t });
 * console.log(printed); // 42
 * ```
 */
export async function runNotebook(
  notebook: string,
  opts: RunNotebookOptions = {},
): Promise<RunNotebookResult> {
  const cwd = resolve(opts.cwd ?? Deno.cwd());
  const path = resolve(cwd, notebook);
  const nb = readNotebook(path, notebook);
  const lang = notebookLanguage(nb, notebook);
  const params = resolveParams(nb, lang, opts, cwd);
  const output = opts.output === undefined ? undefined : resolve(cwd, opts.output);
  const cells = nb.cells.filter((c) => c.cell_type === "code").length;
  if (lang === "python") {
    const { engine, executed } = await runPython(path, notebook, nb, params, opts);
    if (output) writeNotebook(output, executed);
    return { language: lang, engine, cells, params, output };
  }
  const r = await runDeno(path, nb, params, opts);
  let executed = executedNotebook(nb, r.outputs);
  if (Object.keys(params).length) {
    const pi = parametersCellIndex(nb);
    if (pi >= 0) {
      const c = executed.cells[pi];
      const tags = [...cellTags(c), "injected-parameters"];
      executed = { ...executed, cells: [...executed.cells] };
      executed.cells[pi] = {
        ...c,
        source: sourceLines(tsApplyParams(cellSource(c), params)),
        metadata: { ...c.metadata, tags },
      };
    }
  }
  if (r.failed) {
    const { cell, stderr } = r.failed;
    if (cell >= 0) {
      const c = executed.cells[cell];
      const lines = stderr.trim().split("\n");
      const last = lines.findLast((l) => /error/i.test(l)) ?? lines.at(-1) ?? "";
      c.outputs = [...(c.outputs ?? []), {
        output_type: "error",
        ename: "Error",
        evalue: last.trim(),
        traceback: lines,
      }];
    }
    if (output) writeNotebook(output, executed);
    const where = cell >= 0 ? `cell ${cell + 1}` : "before the first cell";
    const first = cell >= 0 ? cellSource(nb.cells[cell]).split("\n")[0].slice(0, 60) : "";
    throw new NotebookRunError(
      `notebook '${notebook}' failed in ${where}${first ? ` (${first})` : ""}`,
    );
  }
  if (output) writeNotebook(output, executed);
  return { language: lang, engine: "deno", cells, params, output };
}
