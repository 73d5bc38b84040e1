/**
 * Verbs that rearrange tracking without touching content: `remove`, `move`,
 * `unprotect`, `destroy` (spec §19.5).
 */
import { basename, dirname, join, posix, relative, resolve } from "node:path";
import { CairnError, ignoreNotFound } from "../errors.ts";
import { removeStage } from "../dvcfile/pipeline_edit.ts";
import { saveDvcFile } from "../dvcfile/dvc_file.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { tempPathFor } from "../fs/atomic_write.ts";
import { assertIgnorable, ignoreInGit, unignoreInGit } from "../scm/gitignore.ts";
import { PathGuard } from "../fs/path_guard.ts";
import { allOutputs, collectStages, invalidateIndex, stageAbsPath } from "./collect.ts";
import { type Repo, repoRelative } from "./repo.ts";
import { collectTarget } from "./collect.ts";
import { stageAddress } from "../stage/types.ts";

export interface RemoveOptions {
  /** also delete the outputs from the workspace. */
  outs?: boolean;
}

export interface RemoveResult {
  removed: string[];
  /** files changed that git should know about (absolute). */
  gitFiles: string[];
}

function rmrf(p: string) {
  try {
    Deno.removeSync(p, { recursive: true });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/** Stop tracking stages (`.dvc` files or dvc.yaml stages); data stays unless `outs`. */
export async function remove(
  repo: Repo,
  targets: string[],
  opts: RemoveOptions = {},
): Promise<RemoveResult> {
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const result: RemoveResult = { removed: [], gitFiles: [] };
    for (const t of targets) {
      for (const stage of collectTarget(repo, t)) {
        for (const out of stage.outs) {
          const abs = stageAbsPath(repo, stage, out.path);
          if (out.cache && repo.scmRoot) {
            const gi = unignoreInGit(abs);
            if (gi) result.gitFiles.push(gi);
          }
          if (opts.outs) rmrf(abs);
        }
        if (stage.kind === "dvcfile") {
          rmrf(join(repo.root, stage.file));
        } else {
          removeStage(repo.root, stage.file, stage.name);
        }
        result.gitFiles.push(join(repo.root, stage.file));
        result.removed.push(stageAddress(stage));
      }
    }
    invalidateIndex(repo);
    return result;
  } finally {
    lock.release();
  }
}

/** Move a `dvc add`ed output (and rename its `.dvc` file when named after it). */
export async function move(repo: Repo, src: string, dst: string): Promise<RemoveResult> {
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const srcAbs = resolve(repo.cwd, src.replace(/\/+$/, ""));
    let dstAbs = resolve(repo.cwd, dst.replace(/\/+$/, ""));
    const srcRel = repoRelative(repo, srcAbs);
    const owner = allOutputs(collectStages(repo)).find((o) => o.rel === srcRel);
    if (!owner) throw new CairnError(`'${src}' is not a DVC-tracked output`);
    if (owner.stage.kind !== "dvcfile" || owner.stage.cmd !== undefined) {
      throw new CairnError(
        `'${src}' is an output of stage '${
          stageAddress(owner.stage)
        }': only outputs of 'add' or imports can be moved`,
      );
    }
    try {
      if (Deno.statSync(dstAbs).isDirectory) dstAbs = join(dstAbs, basename(srcAbs));
    } catch (err) {
      ignoreNotFound(err); // destination does not exist
    }
    const dstRel = repoRelative(repo, dstAbs);
    if (repo.scmRoot && owner.out.cache) assertIgnorable(dstAbs, dst);
    const sym = new PathGuard(repo.root).symlinkProblem(dstAbs);
    if (sym) throw new CairnError(`cannot move to '${dst}': it ${sym.reason} (to '${sym.real}')`);
    const stage = owner.stage;
    const result: RemoveResult = { removed: [], gitFiles: [] };
    Deno.mkdirSync(dirname(dstAbs), { recursive: true });
    Deno.renameSync(srcAbs, dstAbs);
    if (repo.scmRoot && owner.out.cache) {
      const a = unignoreInGit(srcAbs);
      if (a) result.gitFiles.push(a);
    }
    const oldFile = stage.file;
    const namedAfter = posix.basename(oldFile) === posix.basename(srcRel) + ".dvc";
    const newFile = namedAfter ? `${dstRel}.dvc` : oldFile;
    const fileDir = posix.dirname(newFile);
    stage.file = newFile;
    stage.name = newFile;
    stage.wdir = fileDir === "." ? "" : fileDir;
    owner.out.path = posix.relative(fileDir === "." ? "" : fileDir, dstRel) ||
      posix.basename(dstRel);
    if (newFile !== oldFile) {
      // Carry the old file's text (comments, extra keys) over, then update it.
      Deno.mkdirSync(dirname(join(repo.root, newFile)), { recursive: true });
      Deno.renameSync(join(repo.root, oldFile), join(repo.root, newFile));
      result.gitFiles.push(join(repo.root, oldFile));
    }
    saveDvcFile(repo.root, stage);
    result.gitFiles.push(join(repo.root, newFile));
    if (repo.scmRoot && owner.out.cache) {
      const b = ignoreInGit(dstAbs, { scmRoot: repo.scmRoot });
      if (b) result.gitFiles.push(b);
    }
    invalidateIndex(repo);
    return result;
  } finally {
    lock.release();
  }
}

/** Replace a link into the cache by an independent writable copy. */
function unprotectFile(p: string) {
  const st = Deno.lstatSync(p);
  if (!st.isSymlink && !(st.isFile && (st.nlink ?? 1) > 1) && (st.mode! & 0o200)) return;
  const tmp = tempPathFor(p);
  Deno.copyFileSync(p, tmp);
  const mode = (Deno.statSync(p).mode! & 0o111) ? 0o755 : 0o644;
  Deno.chmodSync(tmp, mode);
  Deno.renameSync(tmp, p);
}

/** `unprotect`: make outputs safe to edit in place (links replaced by copies). */
export function unprotect(repo: Repo, targets: string[]): string[] {
  const done: string[] = [];
  for (const t of targets) {
    const abs = resolve(repo.cwd, t);
    let st: Deno.FileInfo;
    try {
      st = Deno.lstatSync(abs);
    } catch (err) {
      ignoreNotFound(err);
      throw new CairnError(`'${t}' does not exist`);
    }
    if (st.isDirectory) {
      const walk = (d: string) => {
        for (const e of Deno.readDirSync(d)) {
          const p = join(d, e.name);
          if (e.isDirectory) walk(p);
          else unprotectFile(p);
        }
      };
      walk(abs);
    } else unprotectFile(abs);
    done.push(relative(repo.cwd, abs));
  }
  return done;
}

/** `destroy`: remove every `.dvc` file, dvc.yaml/dvc.lock and `.dvc/`; data stays in place. */
export async function destroy(repo: Repo): Promise<void> {
  const index = collectStages(repo, { fresh: true });
  // Materialise links as plain files first: the cache they point into goes away.
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    for (const o of allOutputs(index)) {
      const abs = stageAbsPath(repo, o.stage, o.out.path);
      try {
        unprotect(repo, [abs]);
      } catch (err) {
        ignoreNotFound(err); // missing output: nothing to keep
      }
      if (o.out.cache && repo.scmRoot) unignoreInGit(abs);
    }
    for (const s of index.stages) {
      rmrf(join(repo.root, s.file));
      if (s.kind === "pipeline") rmrf(join(repo.root, s.file.replace(/\.yaml$/, ".lock")));
    }
  } finally {
    lock.release();
  }
  rmrf(repo.dvcDir);
}
