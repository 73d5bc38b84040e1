/**
 * `commit`: record the workspace state of outputs without running anything
 * (spec §19.3): outputs are hashed and stored, `.dvc` files rewritten.
 * dvc.yaml stages are recorded in dvc.lock through `recordStage`.
 */
import { CairnError, ignoreNotFound } from "../errors.ts";
import { commitOutput } from "../cache/checkout.ts";
import { saveLink } from "./workspace_links.ts";
import { lockPathFor } from "../dvcfile/pipeline_file.ts";
import { join } from "node:path";
import { saveDvcFile } from "../dvcfile/dvc_file.ts";
import type { ProgressFn } from "../hash/hash_files.ts";
import { acquireRepoLock, repoLockPath } from "../fs/repo_lock.ts";
import { checkInterrupted } from "../interrupt.ts";
import type { Stage } from "../stage/types.ts";
import { stageAddress } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { invalidateIndex, stageAbsPath } from "./collect.ts";
import type { Repo } from "./repo.ts";
import { resolveStages } from "./targets.ts";
import { recordStage } from "./record_stage.ts";
import { hashPath } from "../hash/hash_path.ts";

export interface CommitOptions {
  force?: boolean;
  recursive?: boolean;
  withDeps?: boolean;
  /** don't relink the workspace after storing. */
  noRelink?: boolean;
  onProgress?: ProgressFn;
}

export interface CommitResult {
  committed: string[];
  /** lock files whose entry for a committed stage changed (DVC logs "Updating lock file"). */
  lockUpdates: { file: string; generated: boolean }[];
}

function readOrNull(path: string): string | null {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw err;
  }
}

/** Names of deps/outs whose recorded hash differs from the workspace (asks for -f). */
async function changedEntries(repo: Repo, stage: Stage): Promise<string[]> {
  const ctx = cacheContext(repo);
  const changed: string[] = [];
  for (const d of stage.deps) {
    if (d.repo || !d.hash) continue;
    try {
      const r = await hashPath(stageAbsPath(repo, stage, d.path), {
        state: ctx.state,
        ignore: ctx.ignore,
      });
      if (r.hash.md5 !== d.hash.md5) changed.push(d.path);
    } catch (err) {
      ignoreNotFound(err); // a missing dependency has changed
      changed.push(d.path);
    }
  }
  return changed;
}

export async function commit(
  repo: Repo,
  targets: string[],
  opts: CommitOptions = {},
): Promise<CommitResult> {
  const lock = await acquireRepoLock(repoLockPath(repo.dvcDir));
  try {
    const stages = resolveStages(repo, targets, {
      recursive: opts.recursive,
      withDeps: opts.withDeps,
    });
    const ctx = cacheContext(repo);
    const result: CommitResult = { committed: [], lockUpdates: [] };
    for (const stage of stages) {
      checkInterrupted();
      if (!opts.force && stage.kind === "pipeline") {
        const changed = await changedEntries(repo, stage);
        if (
          stage.locked && stage.lockedCmd !== undefined &&
          JSON.stringify(stage.lockedCmd) !== JSON.stringify(stage.cmd)
        ) {
          changed.push("cmd");
        }
        if (changed.length && stage.locked) {
          throw new CairnError(
            `dependencies ${JSON.stringify(changed)} of stage: '${stageAddress(stage)}' changed. ` +
              `Are you sure you want to commit it?`,
            { hint: "use `-f` to commit anyway" },
          );
        }
      }
      if (stage.kind === "dvcfile") {
        if (stage.cmd !== undefined || stage.deps.length) {
          // legacy command stage or import: record deps too
          await recordStage(repo, stage, { relink: !opts.noRelink, onProgress: opts.onProgress });
        } else {
          for (const out of stage.outs) {
            const abs = stageAbsPath(repo, stage, out.path);
            if (out.cache) {
              const r = await commitOutput(ctx, abs, {
                relink: !opts.noRelink,
                onProgress: opts.onProgress,
              });
              out.hash = r.hash;
              saveLink(ctx, abs, r.files);
            } else {
              out.hash = (await hashPath(abs, { state: ctx.state, ignore: ctx.ignore })).hash;
            }
          }
          saveDvcFile(repo.root, stage);
        }
      } else {
        const lockFile = lockPathFor(stage.file);
        const before = readOrNull(join(repo.root, lockFile));
        await recordStage(repo, stage, { relink: !opts.noRelink, onProgress: opts.onProgress });
        if (readOrNull(join(repo.root, lockFile)) !== before) {
          result.lockUpdates.push({ file: lockFile, generated: before === null });
        }
      }
      result.committed.push(stageAddress(stage));
    }
    invalidateIndex(repo);
    return result;
  } finally {
    lock.release();
  }
}
