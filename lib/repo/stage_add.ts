/**
 * `stage add` (dvc-spec §3.4, §18): build a stage from command-line flags,
 * validate it against the rest of the pipeline (name, duplicates, circular
 * deps, overlapping outputs, cycles) before writing anything, append it to
 * the dvc.yaml of the current directory (comments kept) and git-ignore its
 * cached outputs. `run` = stage add + repro of it; `run -f NAME.dvc` writes
 * a legacy single-stage `.dvc` file instead (DVC 0.x/1.x tutorials).
 */
import { dirname, join, relative, resolve } from "node:path";
import { CairnError, ignoreNotFound, UsageError } from "../errors.ts";
import { formatDvcFile } from "../dvcfile/dvc_file.ts";
import { addStage, StageExistsError } from "../dvcfile/pipeline_edit.ts";
import { DEFAULT_PARAMS_FILE, isValidStageName } from "../dvcfile/pipeline_file.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { buildGraph } from "../pipeline/graph.ts";
import { gitAdd } from "../scm/git.ts";
import { ignoreInGit } from "../scm/gitignore.ts";
import type { Output, OutputKind, ParamDependency, Stage } from "../stage/types.ts";
import { configBool } from "../config/config.ts";
import { collectStages, invalidateIndex, PROJECT_FILE, stageAbsPath } from "./collect.ts";
import { guardStageOutputs } from "./guard_stages.ts";
import { type Repo, repoRelative } from "./repo.ts";

export interface StageAddOptions {
  name?: string;
  /** the command words as typed (joined DVC's way). */
  command: string[];
  deps?: string[];
  /** `-p`: `k1,k2`, `file:k1,k2`, `file:` (whole file). */
  params?: string[];
  outs?: string[];
  outsNoCache?: string[];
  outsPersist?: string[];
  outsPersistNoCache?: string[];
  metrics?: string[];
  metricsNoCache?: string[];
  plots?: string[];
  plotsNoCache?: string[];
  /** working dir, relative to cwd. */
  wdir?: string;
  force?: boolean;
  alwaysChanged?: boolean;
  desc?: string;
  /** legacy `run -f NAME.dvc`: write a single-stage `.dvc` file (relative to cwd). */
  legacyFile?: string;
}

export interface StageAddResult {
  stage: Stage;
  /** repo-relative stage file written (dvc.yaml or the .dvc file). */
  file: string;
  /** files for `git add` (absolute). */
  gitFiles: string[];
  autostaged: boolean;
  /** the dvc.yaml did not exist before. */
  created: boolean;
  /** a stage of that name was replaced (`-f`). */
  replaced: boolean;
  /** absolute path -> content before the add (null: did not exist), for undoStageAdd. */
  before: Map<string, string | null>;
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/**
 * Put back the stage file and `.gitignore`s as they were before `r`'s add
 * (DVC 2's `run` wrote the stage only once its command succeeded).
 */
export function undoStageAdd(r: StageAddResult): void {
  for (const [path, text] of r.before) {
    if (text === null) {
      try {
        Deno.removeSync(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) throw err;
      }
    } else writeTextAtomic(path, text);
  }
}

/** DVC: a stage with this name cannot be addressed. */
export class InvalidStageNameError extends CairnError {
  constructor(name: string) {
    super(
      `Invalid stage name '${name}': stage names cannot contain punctuation characters other than '-' and '_'.`,
    );
  }
}

/** `dvc run`/`stage add` argv words -> one command line (spec §18). */
export function joinCommand(words: string[]): string {
  // one word = a whole command line given quoted (DVC `parse_cmd`)
  if (words.length < 2) return words.join(" ");
  return words.map((w) => {
    if (w === "") return '""';
    if (w.includes(" ") && !w.includes('"')) return `"${w}"`;
    return w;
  }).join(" ");
}

/** DVC `parse_params`: group `-p` values by file. */
export function parseParamsFlags(values: string[]): ParamDependency[] {
  const byFile = new Map<string, string[]>();
  for (const v of values) {
    const i = v.lastIndexOf(":");
    const file = i === -1 ? "" : v.slice(0, i);
    const keys = (i === -1 ? v : v.slice(i + 1)).split(",").filter(Boolean);
    const f = file || DEFAULT_PARAMS_FILE;
    const cur = byFile.get(f) ?? [];
    cur.push(...keys);
    byFile.set(f, cur);
  }
  return [...byFile].map(([file, keys]) => ({
    file,
    keys: keys.length ? [...new Set(keys)] : null,
  }));
}

function output(path: string, kind: OutputKind, cache: boolean, persist: boolean): Output {
  return { path, kind, cache, persist, push: true };
}

function isDir(p: string): boolean {
  try {
    return Deno.statSync(p).isDirectory;
  } catch (err) {
    ignoreNotFound(err);
    return false;
  }
}

function posixRel(from: string, to: string): string {
  return relative(from, to).split("\\").join("/");
}

/** Build (not write) the stage described by the flags. */
export function buildStage(repo: Repo, opts: StageAddOptions): Stage {
  const cmd = joinCommand(opts.command);
  if (!opts.command.length || cmd.trim() === "") {
    throw new UsageError("command is not specified");
  }
  const wdirAbs = resolve(repo.cwd, opts.wdir ?? ".");
  const wdir = repoRelative(repo, wdirAbs);
  const outs: Output[] = [
    ...(opts.outs ?? []).map((p) => output(p, "out", true, false)),
    ...(opts.outsNoCache ?? []).map((p) => output(p, "out", false, false)),
    ...(opts.outsPersist ?? []).map((p) => output(p, "out", true, true)),
    ...(opts.outsPersistNoCache ?? []).map((p) => output(p, "out", false, true)),
    ...(opts.metrics ?? []).map((p) => output(p, "metric", true, false)),
    ...(opts.metricsNoCache ?? []).map((p) => output(p, "metric", false, false)),
    ...(opts.plots ?? []).map((p) => output(p, "plot", true, false)),
    ...(opts.plotsNoCache ?? []).map((p) => output(p, "plot", false, false)),
  ];
  const base = {
    wdir,
    cmd,
    deps: (opts.deps ?? []).map((path) => ({ path })),
    params: parseParamsFlags(opts.params ?? []),
    outs,
    frozen: false,
    alwaysChanged: !!opts.alwaysChanged,
  };
  let stage: Stage;
  if (opts.legacyFile) {
    const file = repoRelative(repo, resolve(repo.cwd, opts.legacyFile));
    stage = { ...base, name: file, kind: "dvcfile", file };
  } else {
    const name = opts.name;
    if (!name) throw new UsageError("argument -n/--name is required");
    if (!isValidStageName(name)) throw new InvalidStageNameError(name);
    const file = repoRelative(repo, join(repo.cwd, PROJECT_FILE));
    stage = { ...base, name, kind: "pipeline", file };
  }
  if (opts.desc) stage.desc = opts.desc;
  return stage;
}

function checkArguments(stage: Stage): void {
  const outPaths = stage.outs.map((o) => o.path);
  const depPaths = stage.deps.map((d) => d.path);
  for (const list of [outPaths, depPaths]) {
    const dup = list.find((p, i) => list.indexOf(p) !== i);
    if (dup) throw new CairnError(`file path '${dup}' is specified more than once.`);
  }
  const both = outPaths.find((o) => depPaths.includes(o));
  if (both) throw new CairnError(`'${both}' is specified as an output and as a dependency.`);
}

/**
 * Validate `stage` against the pipeline as it would be after adding it
 * (replacing a same-named stage with `force`). Nothing is written.
 */
export function validateNewStage(repo: Repo, stage: Stage, force: boolean): void {
  checkArguments(stage);
  guardStageOutputs(repo, [stage]);
  const { stages } = collectStages(repo, { fresh: true });
  const existing = stages.find((s) =>
    s.file === stage.file && (s.name === stage.name || s.group === stage.name)
  );
  if (existing && !force) {
    if (stage.kind === "pipeline") throw new StageExistsError(stage.name, stage.file);
    throw new CairnError(`'${stage.file}' already exists.`, {
      hint: "Use '--force' to overwrite.",
    });
  }
  if (existing?.parametrized) {
    throw new CairnError(`cannot dump a parametrized stage: '${existing.name}'`);
  }
  const others = stages.filter((s) => s !== existing);
  buildGraph([...others, stage]);
}

/** `stage add` (and the first half of `run`). */
export async function stageAdd(repo: Repo, opts: StageAddOptions): Promise<StageAddResult> {
  const stage = buildStage(repo, opts);
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    validateNewStage(repo, stage, !!opts.force);
    const gitFiles: string[] = [];
    let created = false;
    let replaced = false;
    const before = new Map<string, string | null>();
    before.set(join(repo.root, stage.file), readOrNull(join(repo.root, stage.file)));
    if (stage.kind === "pipeline") {
      const r = addStage(repo.root, stage, { force: opts.force, root: repo.root });
      created = r.created;
      replaced = r.replaced;
    } else {
      writeTextAtomic(join(repo.root, stage.file), formatDvcFile(stage), { mkdirs: true });
    }
    gitFiles.push(join(repo.root, stage.file));
    if (repo.scmRoot) {
      for (const o of stage.outs) {
        if (!o.cache) continue;
        const abs = stageAbsPath(repo, stage, o.path);
        // DVC only warns when the parent dir does not exist yet; repro writes the entry.
        if (!isDir(dirname(abs))) continue;
        const giPath = join(dirname(abs), ".gitignore");
        if (!before.has(giPath)) before.set(giPath, readOrNull(giPath));
        const gi = ignoreInGit(abs, { scmRoot: repo.scmRoot });
        if (gi) gitFiles.push(gi);
      }
    }
    invalidateIndex(repo);
    let autostaged = false;
    if (repo.scmRoot && configBool(repo.config.core.autostage)) {
      gitAdd(gitFiles, repo.root);
      autostaged = true;
    }
    return { stage, file: stage.file, gitFiles, autostaged, created, replaced, before };
  } finally {
    lock.release();
  }
}

/** The cwd-relative target addressing a newly added stage (for repro). */
export function targetFor(repo: Repo, stage: Stage): string {
  const rel = posixRel(repo.cwd, join(repo.root, stage.file));
  return stage.kind === "dvcfile" ? rel : `${rel}:${stage.name}`;
}
