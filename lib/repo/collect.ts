/**
 * Every stage of the repository (DVC `collect_files`, dvc-spec §10.3): all
 * `dvc.yaml` files (with their dvc.lock) and all `.dvc` files, honoring
 * `.dvcignore`, skipping git-ignored paths (git's rules applied in process
 * while walking, pruning ignored output dirs; `git ls-files` where only git
 * can tell) and files inside outputs of stages
 * already collected. Order = DVC's top-down walk: a directory's files
 * before its subdirectories. Also: parsing of command-line stage targets
 * (`name`, `file:name`, `x.dvc`, `dir/dvc.yaml`, `train@cnn-f1`, group
 * `train`, `--glob` patterns, `-R` directories).
 */
import { join, posix, relative, resolve } from "../path.ts";
import { loadPipelineFile, lockPathFor, type PipelineFile } from "../dvcfile/pipeline_file.ts";
import { ResolveError } from "../dvcfile/_context.ts";
import { loadDvcFile } from "../dvcfile/dvc_file.ts";
import type { ParsingConfig } from "../dvcfile/_context.ts";
import { DvcIgnore } from "../fs/dvcignore.ts";
import { gitRaw } from "../scm/git.ts";
import { gitIgnoreScope, type IgnoreScope } from "../scm/git_ignored.ts";
import { type Output, type Stage, stageAddress } from "../stage/types.ts";
import { CairnError, fsError, ignoreNotFound, StageNotFoundError } from "../errors.ts";
import { StageCache, type Stamp, stampOf } from "./_stage_cache.ts";
import { type Repo, repoRelative } from "./repo.ts";
import { guardStageOutputs } from "./guard_stages.ts";
import { span } from "../trace.ts";

export interface RepoIndex {
  stages: Stage[];
  /** parsed on first access (stages may come from the parse cache). */
  readonly pipelineFiles: PipelineFile[];
  /** repo-relative paths of `.dvc` files. */
  dvcFiles: string[];
}

export const PROJECT_FILE = "dvc.yaml";
const LOCK_FILE = "dvc.lock";

/** DVC `is_valid_filename`: `dvc.yaml` or `*.dvc` (not a bare `.dvc`). */
export function isStageFile(rel: string): boolean {
  const base = rel.slice(rel.lastIndexOf("/") + 1);
  return base === PROJECT_FILE || (base.endsWith(".dvc") && base !== ".dvc");
}

/** DVC's walk order: top-down, a directory's files before its subdirectories. */
export function walkOrder(a: string, b: string): number {
  const pa = a.split("/");
  const pb = b.split("/");
  for (let i = 0;; i++) {
    const aFile = i === pa.length - 1;
    const bFile = i === pb.length - 1;
    if (aFile !== bFile) return aFile ? -1 : 1;
    if (pa[i] !== pb[i]) return pa[i] < pb[i] ? -1 : 1;
    if (aFile) return 0;
  }
}

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch (err) {
    ignoreNotFound(err);
    return false;
  }
}

class AskGit extends Error {}

/**
 * Stage files under `repo.root`, walking folders top-down and skipping what
 * `.dvcignore` (and, with `git`, git's ignore rules) exclude, as DVC's
 * collection walk does. Throws AskGit where only git can tell.
 */
function walkStageFiles(repo: Repo, ignore: DvcIgnore, git: IgnoreScope | undefined): string[] {
  const found: string[] = [];
  const walk = (dirAbs: string, rel: string, scope: IgnoreScope | undefined) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(dirAbs)];
    } catch {
      // unreadable: skipped, as DVC's os.walk skips it
      return;
    }
    for (const e of entries) {
      if (git && e.name === ".git") continue;
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const childAbs = `${dirAbs}/${e.name}`;
      if (e.isDirectory) {
        if (ignore.isIgnored(childAbs, true) || scope?.ignored(e.name, true)) continue;
        let sub: IgnoreScope | undefined;
        if (scope) {
          const s = scope.enter(e.name);
          if (!s) throw new AskGit();
          sub = s;
        }
        walk(childAbs, childRel, sub);
      } else if (isStageFile(childRel)) {
        // a symlink to a file counts (DVC's os.walk lists it among the files)
        if (!e.isFile && !(git && e.isSymlink && isFile(childAbs))) continue;
        if (ignore.isIgnored(childAbs, false) || scope?.ignored(e.name, false)) continue;
        found.push(childRel);
      }
    }
  };
  walk(repo.root, "", git);
  return found;
}

/** Repo-relative paths of dvc.yaml / *.dvc files, in walk order. */
export function findStageFiles(repo: Repo): string[] {
  const ignore = new DvcIgnore(repo.root);
  let found: string[] | undefined;
  if (repo.scmRoot === null) found = walkStageFiles(repo, ignore, undefined);
  else if (repo.scmRoot === repo.root) {
    // git's ignore rules applied in process: spawning `git ls-files` cost
    // more than the walk on every command (issue 16)
    const scope = gitIgnoreScope(repo.root);
    if (scope) {
      try {
        found = walkStageFiles(repo, ignore, scope);
      } catch (err) {
        if (!(err instanceof AskGit)) throw err;
      }
    }
  }
  if (!found) {
    const r = gitRaw(
      [
        "ls-files",
        "-z",
        "-c",
        "-o",
        "--exclude-standard",
        "--",
        ":(glob)**/*.dvc",
        ":(glob)**/dvc.yaml",
      ],
      { cwd: repo.root },
    );
    // ls-files lists paths relative to cwd (= repo root); deleted files may still be listed.
    found = r.stdout.split("\0").filter((rel) => rel && isFile(join(repo.root, rel)));
  }
  return [...new Set(found)]
    .filter((rel) => isStageFile(rel) && !ignore.isIgnored(join(repo.root, rel), false))
    .sort(walkOrder);
}

const indexes = new WeakMap<Repo, RepoIndex>();

/** Parse one dvc.yaml (with its lock), recording every file the result depends on. */
function parsePipeline(repo: Repo, rel: string, parsing: unknown): {
  pf: PipelineFile;
  stamps: Stamp[];
} {
  const stamps: Stamp[] = [stampOf(repo.root, rel), stampOf(repo.root, lockPathFor(rel))];
  const pf = loadPipelineFile(repo.root, rel, {
    parsing: parsing as ParsingConfig | undefined,
    readText: (p) => {
      stamps.push(stampOf(repo.root, p));
      try {
        return Deno.readTextFileSync(join(repo.root, p));
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        if (err instanceof Deno.errors.IsADirectory) {
          throw new ResolveError(`'${p}' is a directory`);
        }
        throw fsError(err, "reading", p);
      }
    },
  });
  return { pf, stamps };
}

/**
 * All stages (cached per Repo handle; pass `fresh` after writing stage
 * files). Parsed files are also cached on disk (see _stage_cache.ts), so
 * `pipelineFiles` (top-level metrics/plots/params data) is parsed lazily.
 */
export function collectStages(repo: Repo, opts: { fresh?: boolean } = {}): RepoIndex {
  const cached = indexes.get(repo);
  if (cached && !opts.fresh) return cached;
  const parsing = repo.config.other["parsing"];
  const cache = new StageCache(repo.root, repo.dvcDir, JSON.stringify(parsing ?? null));
  const stages: Stage[] = [];
  const dvcFiles: string[] = [];
  const pipelineRels: string[] = [];
  const parsed = new Map<string, PipelineFile>();
  /** output dirs met so far: files below them are not collected (DVC prunes the walk). */
  const outDirs = new Set<string>();
  const insideOutput = (rel: string) => {
    let i = rel.lastIndexOf("/");
    while (i > 0) {
      if (outDirs.has(rel.slice(0, i))) return true;
      i = rel.lastIndexOf("/", i - 1);
    }
    return false;
  };
  const found = span("find stage files", () => findStageFiles(repo));
  for (const rel of found) {
    if (insideOutput(rel)) continue;
    let fileStages = cache.get(rel);
    if (rel.endsWith(PROJECT_FILE)) {
      pipelineRels.push(rel);
      if (!fileStages) {
        const { pf, stamps } = parsePipeline(repo, rel, parsing);
        parsed.set(rel, pf);
        cache.set(rel, stamps, pf.stages);
        fileStages = pf.stages;
      }
    } else {
      dvcFiles.push(rel);
      if (!fileStages) {
        const stamp = stampOf(repo.root, rel);
        fileStages = [loadDvcFile(repo.root, rel)];
        cache.set(rel, [stamp], fileStages);
      }
    }
    stages.push(...fileStages);
    for (const s of fileStages) {
      for (const o of s.outs) {
        const key = stagePath(s, o.path);
        if (key && !key.startsWith("/")) outDirs.add(key);
      }
    }
  }
  cache.retain(new Set(found));
  cache.save();
  // Stage files may come from a clone: no verb may use an output path that leaves the project.
  guardStageOutputs(repo, stages);
  let pipelineFiles: PipelineFile[] | undefined;
  const index: RepoIndex = {
    stages,
    dvcFiles,
    get pipelineFiles(): PipelineFile[] {
      pipelineFiles ??= pipelineRels.map((rel) =>
        parsed.get(rel) ?? parsePipeline(repo, rel, parsing).pf
      );
      return pipelineFiles;
    },
  };
  indexes.set(repo, index);
  return index;
}

/** Forget the cached index (after stage files were written). */
export function invalidateIndex(repo: Repo): void {
  indexes.delete(repo);
}

/** Repo-relative posix path of an output or dependency of `stage`. */
export function stagePath(stage: Stage, path: string): string {
  if (path.startsWith("/")) return path;
  return posix.normalize(posix.join(stage.wdir || ".", path)).replace(/^\.\/?$/, "");
}

/** Absolute path of an output or dependency of `stage`. */
export function stageAbsPath(repo: Repo, stage: Stage, path: string): string {
  if (path.startsWith("/")) return path;
  return join(repo.root, stagePath(stage, path));
}

export interface OutputOf {
  stage: Stage;
  out: Output;
  /** repo-relative posix path. */
  rel: string;
}

/** Every output of every stage, with its repo-relative path. */
export function allOutputs(index: RepoIndex): OutputOf[] {
  return index.stages.flatMap((stage) =>
    stage.outs.map((out) => ({ stage, out, rel: stagePath(stage, out.path) }))
  );
}

/** True if `a` is `b` or inside it (repo-relative posix paths). */
export function isInside(a: string, b: string): boolean {
  return a === b || b === "" || a.startsWith(b + "/");
}

// ---------------------------------------------------------------------------
// Stage targets (DVC `parse_target` + `StageLoad.collect`)

/** A stage file named by a target does not exist. */
export class StageFileDoesNotExistError extends CairnError {
  constructor(file: string) {
    super(`'${file}' does not exist`, {
      hint: file.endsWith(PROJECT_FILE)
        ? "create one with `cairn stage add`, or name a stage file or stage"
        : undefined,
    });
  }
}

export interface ParsedTarget {
  /** stage file relative to cwd (undefined = the dvc.yaml of cwd). */
  path?: string;
  /** stage name (or group, or glob with `glob`). */
  name?: string;
}

const TARGET_RE = /^(?<path>.*?)(:(?<name>[^\\/:]*))??$/;

/** DVC `parse_target`. */
export function parseTarget(target: string, opts: { glob?: boolean } = {}): ParsedTarget {
  if (!target) return {};
  if (opts.glob) {
    const i = target.lastIndexOf(":");
    const path = i === -1 ? "" : target.slice(0, i);
    const name = i === -1 ? target : target.slice(i + 1);
    // `--glob` of a path without `:` matches stage files, not names
    if (i === -1 && (isStageFile(target) || target.includes("/"))) return { path: target };
    return { path: path || undefined, name: name || undefined };
  }
  const at = target.indexOf("@");
  const group = at === -1 ? target : target.slice(0, at);
  const key = at === -1 ? "" : target.slice(at + 1);
  const m = TARGET_RE.exec(group);
  if (!m) return { path: target };
  const path = m.groups?.path || undefined;
  let name = m.groups?.name || undefined;
  if (name && key) name += `@${key}`;
  if (path) {
    if (posix.basename(path) === LOCK_FILE) {
      throw new CairnError(`Did you mean: \`${target.replace(".lock", ".yaml")}\`?`);
    }
    if (!name) return isStageFile(target) ? { path: target } : { name: target };
  }
  return { path, name };
}

function globToRegExp(glob: string): RegExp {
  let re = "";
  for (const ch of glob) {
    if (ch === "*") re += ".*";
    else if (ch === "?") re += ".";
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${re}$`);
}

export interface CollectTargetOptions {
  /** targets are directories: every stage whose file is below them. */
  recursive?: boolean;
  /** target names are shell-style patterns (`train*`, `dvc.yaml:eval*`). */
  glob?: boolean;
}

/**
 * Stages named by `target` (DVC `StageLoad.collect` without deps). Falls
 * back to an output path (`model.pkl` -> the stage producing it) or its
 * `.dvc` file.
 */
export function collectTarget(
  repo: Repo,
  target: string,
  opts: CollectTargetOptions = {},
): Stage[] {
  const { stages } = collectStages(repo);
  const rel = (p: string) => {
    try {
      return repoRelative(repo, resolve(repo.cwd, p));
    } catch (err) {
      if (!(err instanceof CairnError)) throw err;
      return undefined; // outside the repository
    }
  };
  if (opts.recursive) {
    const abs = resolve(repo.cwd, target);
    let isDir = false;
    try {
      isDir = Deno.statSync(abs).isDirectory;
    } catch (err) {
      ignoreNotFound(err); // not a dir
    }
    if (isDir) {
      const dir = rel(target) ?? "";
      return stages.filter((s) => isInside(s.file, dir));
    }
  }
  const parsed = parseTarget(target.replace(/\/+$/, ""), { glob: opts.glob });
  const cwdRel = relative(repo.root, repo.cwd).split("\\").join("/");
  const file = parsed.path !== undefined
    ? rel(parsed.path)
    : posix.join(cwdRel || ".", PROJECT_FILE).replace(/^\.\//, "");
  const fileStages = (f: string | undefined) =>
    f === undefined ? [] : stages.filter((s) => s.file === f);
  if (opts.glob) {
    const re = globToRegExp(parsed.name ?? "*");
    const fileRe = parsed.path !== undefined && /[*?]/.test(parsed.path)
      ? globToRegExp(rel(parsed.path) ?? parsed.path)
      : null;
    const found = stages.filter((s) =>
      (fileRe ? fileRe.test(s.file) : s.file === file) &&
      (s.kind === "dvcfile" || re.test(s.name))
    );
    return found;
  }
  if (parsed.name === undefined) {
    const found = fileStages(file);
    if (found.length) return found;
    if (file !== undefined && isFile(join(repo.root, file))) return found; // empty dvc.yaml
  } else {
    const inFile = fileStages(file);
    const named = inFile.filter((s) => s.name === parsed.name);
    if (named.length) return named;
    const group = inFile.filter((s) => s.group === parsed.name);
    if (group.length) return group;
  }
  // an output path (or the data file of a `.dvc`)
  const targetRel = rel(target.replace(/\/+$/, ""));
  if (targetRel !== undefined) {
    const owners = allOutputs(collectStages(repo)).filter((o) => o.rel === targetRel);
    if (owners.length) return [...new Set(owners.map((o) => o.stage))];
    const dvc = stages.filter((s) => s.file === `${targetRel}.dvc`);
    if (dvc.length) return dvc;
  }
  if (parsed.name !== undefined && file !== undefined && !isFile(join(repo.root, file))) {
    if (parsed.path !== undefined) throw new StageFileDoesNotExistError(parsed.path);
  }
  if (parsed.name === undefined && parsed.path !== undefined) {
    throw new StageFileDoesNotExistError(parsed.path);
  }
  throw new StageNotFoundError(target);
}

/**
 * Stages for several targets, de-duplicated, in target order (then
 * collection order within a target). No targets = every stage of the
 * dvc.yaml in cwd (DVC's default target), or `all` when asked.
 */
export function collectTargets(
  repo: Repo,
  targets: readonly string[],
  opts: CollectTargetOptions & { defaultAll?: boolean } = {},
): Stage[] {
  if (targets.length === 0) {
    if (opts.defaultAll) return [...collectStages(repo).stages];
    return collectTarget(repo, PROJECT_FILE);
  }
  const out: Stage[] = [];
  const seen = new Set<Stage>();
  for (const t of targets) {
    for (const s of collectTarget(repo, t, opts)) {
      if (!seen.has(s)) {
        seen.add(s);
        out.push(s);
      }
    }
  }
  return out;
}

/** `stage: 'x'` as DVC names a stage in messages. */
export function describeStage(stage: Stage): string {
  return `stage: '${stageAddress(stage)}'`;
}
