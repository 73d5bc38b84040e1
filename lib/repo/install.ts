/**
 * `install`: DVC's git hooks (spec: dvc/repo/install.py). post-checkout
 * runs `checkout` after a branch checkout, pre-commit shows `status`,
 * pre-push runs `push`; each calls `cairn git-hook <name>`. Like DVC it
 * first registers the `dvc` merge driver in the git config (pointing at
 * `cairn git-hook merge-driver`, see merge_driver.ts); as with DVC, the
 * user opts files in through `.gitattributes` (`*.dvc merge=dvc`).
 */
import { join } from "node:path";
import { CairnError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { git } from "../scm/git.ts";
import type { Repo } from "./repo.ts";

/** The hooks DVC installs, in its order. */
export const GIT_HOOKS = ["post-checkout", "pre-commit", "pre-push"] as const;

function shellPath(): string {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!dir) continue;
    try {
      if (Deno.statSync(join(dir, "sh")).isFile) return join(dir, "sh");
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  return "/bin/sh";
}

/** The merge driver command DVC 3.64 registers, with `program` for `dvc` (trailing space kept). */
export function mergeDriverCommand(program = "cairn"): string {
  return `${program} git-hook merge-driver --ancestor %O --our %A --their %B `;
}

/**
 * Register the `dvc` merge driver in the repository's git config
 * (`merge.dvc.name`, `merge.dvc.driver`), as DVC does before its hooks.
 */
export function installMergeDriver(repo: Repo, opts: { program?: string } = {}): void {
  if (!repo.scmRoot) return;
  git(["config", "merge.dvc.name", "DVC merge driver"], repo.scmRoot);
  git(["config", "merge.dvc.driver", mergeDriverCommand(opts.program)], repo.scmRoot);
}

/**
 * Write the three hooks into the repository's git hooks directory; refuses
 * (nothing written) when any of them exists. No-op outside git. Returns the
 * hook files written.
 */
export function installHooks(repo: Repo, opts: { program?: string } = {}): string[] {
  if (!repo.scmRoot) return [];
  const hooksDir = git(["rev-parse", "--git-path", "hooks"], repo.scmRoot).trim();
  const dir = hooksDir.startsWith("/") ? hooksDir : join(repo.scmRoot, hooksDir);
  for (const hook of GIT_HOOKS) {
    try {
      Deno.lstatSync(join(dir, hook));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue;
      throw err;
    }
    throw new CairnError(
      `failed to install DVC Git hooks - Hook '${hook}' already exists. ` +
        "Please refer to <https://man.dvc.org/install> for more info.",
    );
  }
  Deno.mkdirSync(dir, { recursive: true });
  const program = opts.program ?? "cairn";
  const sh = shellPath();
  const written: string[] = [];
  for (const hook of GIT_HOOKS) {
    const file = join(dir, hook);
    writeTextAtomic(file, `#!${sh}\nexec ${program} git-hook ${hook} $@\n`);
    Deno.chmodSync(file, 0o777);
    written.push(file);
  }
  return written;
}
