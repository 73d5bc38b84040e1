/**
 * "What did this stage really read?" From an strace trace of the stage
 * command: project paths read but not declared as deps, deps never read, and
 * the `deps:` change that would make dvc.yaml honest. explainInputs() is
 * pure (trace lines in, report out); traceInputs() runs the command traced.
 */
import { InterruptedError } from "../errors.ts";
import { spawnProcess } from "../proc/spawn.ts";
import { shellCommand } from "../proc/shell.ts";
import * as path from "node:path";
import { which } from "./availability.ts";
import { SandboxUnavailableError } from "./errors.ts";
import { runSandboxed } from "./run_sandboxed.ts";
import type { OutDecl } from "./bwrap.ts";
import type { ResolvedGrants, SandboxSpec } from "./grants.ts";
import { parseStrace, straceArgs, type TraceEvent } from "./strace.ts";
import { absPath, isWithin, relPath } from "./_paths.ts";

export interface InputsReport {
  /** project paths (relative to the stage cwd) read but not covered by a dep. */
  readUndeclared: string[];
  /** declared deps (as given) nothing was read from. */
  declaredUnread: string[];
  /** declared deps (as given) that were read. */
  declaredRead: string[];
  /** the dvc.yaml change, as text ("" when deps are exact). */
  suggestion: string;
  /** the full deps list that would be exact (kept order: declared-and-read, then new). */
  suggestedDeps: string[];
}

export interface ExplainOptions {
  /** stage working dir (absolute); deps and report paths are relative to it. */
  cwd: string;
  repoRoot: string;
  /** declared deps, relative to cwd or absolute. */
  deps: string[];
  /** declared outs: reading them (persist, checks) is not an input. */
  outs?: (string | OutDecl)[];
  cacheDir?: string;
  /**
   * path components never reported as undeclared reads (default: .git, .dvc,
   * __pycache__, .venv, venv, node_modules: caches and environments).
   */
  ignore?: string[];
  /** at least this many undeclared files in one folder are suggested as the folder (default 4). */
  groupAt?: number;
}

const DEFAULT_IGNORE = [
  ".git",
  ".dvc",
  "__pycache__",
  ".venv",
  "venv",
  "node_modules",
];

/** Calls that read contents (stat/access only probe and do not count). */
function readsContent(e: TraceEvent): boolean {
  if (e.ret < 0 || e.write) return false;
  return e.syscall === "open" || e.syscall === "openat" ||
    e.syscall === "openat2" || e.syscall === "execve" ||
    e.syscall === "execveat";
}

/** Compare a trace of a stage command with its declared deps. */
export function explainInputs(
  traceLines: Iterable<string>,
  opts: ExplainOptions,
): InputsReport {
  const cwd = absPath("/", opts.cwd);
  const root = absPath("/", opts.repoRoot);
  const ignore = new Set(opts.ignore ?? DEFAULT_IGNORE);
  const deps = opts.deps.map((d) => ({ given: d, abs: absPath(cwd, d) }));
  const outs = (opts.outs ?? []).map((o) => absPath(cwd, typeof o === "string" ? o : o.path));
  const cache = opts.cacheDir ? absPath(cwd, opts.cacheDir) : undefined;
  const events = parseStrace(traceLines, { cwd });

  const readFiles = new Set<string>();
  const listedDirs = new Set<string>();
  for (const e of events) {
    if (!readsContent(e)) continue;
    // The lexical path (as the program named it) matches dvc.yaml; the
    // opened path (symlinks resolved) catches reads through links.
    for (const p of [e.paths[0], e.opened]) {
      if (!p || !isWithin(p, root)) continue;
      if (e.directory) listedDirs.add(p);
      else readFiles.add(p);
    }
  }

  const isIgnored = (p: string) =>
    relPath(root, p).split("/").some((c) => ignore.has(c)) ||
    (cache !== undefined && isWithin(p, cache)) ||
    outs.some((o) => isWithin(p, o));

  const declaredRead: string[] = [];
  const declaredUnread: string[] = [];
  for (const d of deps) {
    const used = [...readFiles, ...listedDirs].some((p) => isWithin(p, d.abs));
    (used ? declaredRead : declaredUnread).push(d.given);
  }

  const undeclared = [...readFiles].filter((p) =>
    !isIgnored(p) && !deps.some((d) => isWithin(p, d.abs)) && p !== root
  ).sort();
  // Many files of one folder: suggest the folder.
  const groupAt = opts.groupAt ?? 4;
  const byDir = new Map<string, string[]>();
  for (const p of undeclared) {
    const dir = path.posix.dirname(p);
    byDir.set(dir, [...(byDir.get(dir) ?? []), p]);
  }
  const suggestions = new Set<string>();
  for (const p of undeclared) {
    const dir = path.posix.dirname(p);
    const grouped = byDir.get(dir)!.length >= groupAt && dir !== root &&
      dir !== cwd && isWithin(dir, root);
    suggestions.add(relPath(cwd, grouped ? dir : p));
  }
  const readUndeclared = undeclared.map((p) => relPath(cwd, p));
  const added = [...suggestions];
  const suggestedDeps = [...declaredRead, ...added];
  const parts: string[] = [];
  if (added.length) {
    parts.push(
      `add to deps (read but not declared):\n${added.map((d) => `  - ${d}`).join("\n")}`,
    );
  }
  if (declaredUnread.length) {
    parts.push(
      `remove from deps (declared but never read):\n${
        declaredUnread.map((d) => `  - ${d}`).join("\n")
      }`,
    );
  }
  if (parts.length) {
    parts.push(`deps:\n${suggestedDeps.map((d) => `  - ${d}`).join("\n")}`);
  }
  return {
    readUndeclared,
    declaredUnread,
    declaredRead,
    suggestion: parts.join("\n"),
    suggestedDeps,
  };
}

export interface TraceInputsOptions extends ExplainOptions {
  env: Record<string, string | undefined>;
  shell?: string;
  /** "off" (default): run as DVC does, only traced; "on": also sandboxed. */
  policy?: "off" | "on";
  grants?: SandboxSpec | ResolvedGrants;
  stage?: string;
  onStdout?: (chunk: Uint8Array) => void;
  onStderr?: (chunk: Uint8Array) => void;
  signal?: AbortSignal;
}

export interface TraceInputsResult {
  exitCode: number;
  report: InputsReport;
}

/** Run `cmd` under strace (optionally sandboxed `on`) and explain its inputs. */
export async function traceInputs(
  cmd: string,
  opts: TraceInputsOptions,
): Promise<TraceInputsResult> {
  if (!which("strace")) {
    throw new SandboxUnavailableError(
      "strace",
      "explaining inputs needs strace, which is not installed",
      "install it: apt-get install strace",
    );
  }
  const policy = opts.policy ?? "off";
  if (policy === "on") {
    let trace = "";
    const r = await runSandboxed(cmd, {
      cwd: opts.cwd,
      env: opts.env,
      policy: "on",
      grants: opts.grants,
      deps: opts.deps,
      outs: opts.outs ?? [],
      repoRoot: opts.repoRoot,
      cacheDir: opts.cacheDir ?? `${opts.repoRoot}/.dvc/cache`,
      shell: opts.shell,
      stage: opts.stage,
      onStdout: opts.onStdout,
      onStderr: opts.onStderr,
      signal: opts.signal,
      trace: true,
      onTrace: (t) => (trace = t),
    });
    return {
      exitCode: r.exitCode,
      report: explainInputs(trace.split("\n"), opts),
    };
  }
  const dir = await Deno.makeTempDir({ prefix: "cairn-trace-" });
  try {
    const out = `${dir}/trace`;
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(opts.env)) if (v !== undefined) env[k] = v;
    const shell = opts.shell ?? opts.env.SHELL ?? "/bin/sh";
    const run = await spawnProcess(
      ["strace", ...straceArgs(out), "--", ...shellCommand(cmd, { ...env, SHELL: shell })],
      {
        cwd: opts.cwd,
        env,
        onStdout: opts.onStdout ?? (() => {}),
        onStderr: opts.onStderr ?? (() => {}),
        signal: opts.signal,
      },
    );
    if (run.aborted) throw new InterruptedError();
    const status = { code: run.code };
    const text = await Deno.readTextFile(out).catch(() => "");
    return {
      exitCode: status.code,
      report: explainInputs(text.split("\n"), opts),
    };
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}
