/** `init`: create `.dvc/` exactly as DVC 3 does (spec §1). */
import { join, resolve } from "node:path";
import { CairnError, ignoreNotFound } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { gitAdd, gitIgnored, gitToplevel } from "../scm/git.ts";
import { isDir } from "./repo.ts";

export const DVCIGNORE_TEXT = "# Add patterns of files dvc should ignore, which could improve\n" +
  "# the performance. Learn more at\n" +
  "# https://dvc.org/doc/user-guide/dvcignore\n";
export const DVC_GITIGNORE_TEXT = "/config.local\n/tmp\n/cache\n";

export interface InitOptions {
  noScm?: boolean;
  force?: boolean;
  subdir?: boolean;
}

export interface InitResult {
  root: string;
  /** files staged in git (empty with --no-scm). */
  staged: string[];
}

export function init(dir: string, opts: InitOptions = {}): InitResult {
  const root = resolve(dir);
  const dvcDir = join(root, ".dvc");
  const scmRoot = opts.noScm ? null : gitToplevel(root);
  if (!opts.noScm) {
    if (!scmRoot) {
      throw new CairnError(
        `failed to initiate DVC - ${root} is not tracked by any supported SCM tool (e.g. Git). ` +
          `Use \`--no-scm\` if you don't want to use any SCM or \`--subdir\` if initializing inside a subdirectory of a parent SCM repository.`,
      );
    }
    if (resolve(scmRoot) !== root && !opts.subdir) {
      throw new CairnError(
        `failed to initiate DVC - ${root} is not tracked by any supported SCM tool (e.g. Git). ` +
          `Use \`--no-scm\` if you don't want to use any SCM or \`--subdir\` if initializing inside a subdirectory of a parent SCM repository.`,
      );
    }
    if (gitIgnored([dvcDir], root).size) {
      throw new CairnError(
        `'.dvc' is ignored by git; remove it from .gitignore first`,
      );
    }
  }
  if (isDir(dvcDir)) {
    if (!opts.force) {
      throw new CairnError(`'.dvc' exists. Use \`-f\` to force.`);
    }
    Deno.removeSync(dvcDir, { recursive: true });
  }
  Deno.mkdirSync(join(dvcDir, "tmp"), { recursive: true });
  writeTextAtomic(
    join(dvcDir, "config"),
    opts.noScm ? "[core]\n    no_scm = True\n" : "",
  );
  writeTextAtomic(join(dvcDir, "tmp", "btime"), "");
  const dvcignore = join(root, ".dvcignore");
  try {
    Deno.statSync(dvcignore);
  } catch (err) {
    ignoreNotFound(err);
    writeTextAtomic(dvcignore, DVCIGNORE_TEXT);
  }
  const staged: string[] = [];
  if (!opts.noScm) {
    writeTextAtomic(join(dvcDir, ".gitignore"), DVC_GITIGNORE_TEXT);
    const files = [
      join(dvcDir, "config"),
      dvcignore,
      join(dvcDir, ".gitignore"),
    ];
    gitAdd(files, root);
    staged.push(...files);
  }
  return { root, staged };
}
