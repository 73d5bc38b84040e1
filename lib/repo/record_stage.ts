/**
 * Record a stage's current state after it ran (or on `commit`): hash deps,
 * read params values, store cached outputs and relink them, git-ignore
 * them, then write the dvc.lock entry (or the legacy `.dvc` file). The one
 * place that turns a workspace into recorded hashes for a stage.
 */
import { CairnError, fsError, OutputNotFoundError } from "../errors.ts";
import { commitOutput } from "../cache/checkout.ts";
import { saveLink } from "./workspace_links.ts";
import { computeStageMd5, needsStageMd5, saveDvcFile } from "../dvcfile/dvc_file.ts";
import { updateLockFile } from "../dvcfile/lock_file.ts";
import { lockPathFor } from "../dvcfile/pipeline_file.ts";
import type { ProgressFn } from "../hash/hash_files.ts";
import { hashPath } from "../hash/hash_path.ts";
import { parseParams, selectParams } from "../params/load.ts";
import { ignoreInGit } from "../scm/gitignore.ts";
import type { Stage } from "../stage/types.ts";
import { stageAddress } from "../stage/types.ts";
import { cacheContext } from "./cache_context.ts";
import { stageAbsPath, stagePath } from "./collect.ts";
import type { Repo } from "./repo.ts";
import { exists } from "../fs/stat_or_null.ts";

export interface RecordOptions {
  /** store cached outputs in the cache (false = `--no-commit`: hash only). */
  commit?: boolean;
  relink?: boolean;
  onProgress?: ProgressFn;
  /** write the lock / .dvc file (default true). */
  write?: boolean;
}

export interface RecordResult {
  /** .gitignore files changed (absolute). */
  gitignores: string[];
  /** stage file written (repo-relative): dvc.lock or the .dvc file. */
  written?: string;
}

/**
 * The last parse of each params file, keyed by its exact text: `repro`
 * reads the same params.yaml for every stage (before running, for the
 * run-cache key, after running), and parsing it is the expensive part.
 * Keyed by content, so an edit (by a stage, by the user) is always seen;
 * the parsed values are shared and never mutated (stages' `values` point
 * into them).
 */
const parsedParams = new Map<string, { text: string; data: unknown }>();

function loadParamsCached(abs: string, display: string): unknown {
  let text: string;
  try {
    text = Deno.readTextFileSync(abs);
  } catch (err) {
    if (err instanceof Deno.errors.IsADirectory) {
      throw new CairnError(`'${display}' is a directory, expected a parameters file`);
    }
    throw fsError(err, "reading", display);
  }
  const hit = parsedParams.get(abs);
  if (hit && hit.text === text) return hit.data;
  const data = parseParams(text, display);
  if (parsedParams.size >= 64) parsedParams.clear();
  parsedParams.set(abs, { text, data });
  return data;
}

/** Read the params values of a stage into `stage.params[].values`. */
export function readStageParams(repo: Repo, stage: Stage): void {
  for (const p of stage.params) {
    const abs = stageAbsPath(repo, stage, p.file);
    if (!exists(abs)) {
      throw new CairnError(
        `'${stagePath(stage, p.file)}' of stage '${stageAddress(stage)}' does not exist`,
      );
    }
    const data = loadParamsCached(abs, stagePath(stage, p.file));
    const values = selectParams(data, p.keys);
    const missing = (p.keys ?? []).filter((k) => !(k in values));
    if (missing.length) {
      throw new CairnError(
        `Parameters '${missing.join(", ")}' are missing from '${stagePath(stage, p.file)}'.`,
      );
    }
    p.values = values;
  }
}

export async function recordStage(
  repo: Repo,
  stage: Stage,
  opts: RecordOptions = {},
): Promise<RecordResult> {
  const ctx = cacheContext(repo);
  const result: RecordResult = { gitignores: [] };
  for (const d of stage.deps) {
    if (d.repo || /^[a-z][a-z0-9+.-]*:\/\//i.test(d.path)) continue;
    const abs = stageAbsPath(repo, stage, d.path);
    if (!exists(abs)) {
      throw new CairnError(
        `dependency '${stagePath(stage, d.path)}' of '${stageAddress(stage)}' does not exist`,
      );
    }
    d.hash =
      (await hashPath(abs, { state: ctx.state, ignore: ctx.ignore, onProgress: opts.onProgress }))
        .hash;
  }
  readStageParams(repo, stage);
  for (const out of stage.outs) {
    const abs = stageAbsPath(repo, stage, out.path);
    if (!exists(abs)) throw new OutputNotFoundError(stagePath(stage, out.path));
    if (out.cache && opts.commit !== false) {
      out.hash =
        (await commitOutput(ctx, abs, { relink: opts.relink, onProgress: opts.onProgress })).hash;
      saveLink(ctx, abs);
    } else {
      out.hash =
        (await hashPath(abs, { state: ctx.state, ignore: ctx.ignore, onProgress: opts.onProgress }))
          .hash;
    }
    if (out.cache && repo.scmRoot) {
      const gi = ignoreInGit(abs, { scmRoot: repo.scmRoot });
      if (gi) result.gitignores.push(gi);
    }
  }
  if (opts.write === false) return result;
  if (stage.kind === "pipeline") {
    stage.lockedCmd = stage.cmd;
    stage.locked = true;
    const lockRel = lockPathFor(stage.file);
    updateLockFile(repo.root, lockRel, [stage]);
    result.written = lockRel;
  } else {
    if (needsStageMd5(stage)) stage.md5 = computeStageMd5(stage);
    saveDvcFile(repo.root, stage);
    result.written = stage.file;
  }
  return result;
}
