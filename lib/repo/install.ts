/**
 * `install`: DVC's git hooks (spec: dvc/repo/install.py). post-checkout
 * runs `checkout` after a branch checkout, pre-commit shows `status`,
 * pre-push runs `push`; each calls `cairn git-hook <name>`. DVC's merge
 * driver is not installed (cairn has no `git-hook merge-driver`).
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
