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
import { editTopLevelText } from "../dvcfile/pipeline_edit.ts";
import { ordered } from "../dvcfile/_entries.ts";
import { loadYaml } from "../py/yaml_parse.ts";
import { isPlainMapping } from "../py/value.ts";
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

/**
 * The `.pre-commit-config.yaml` entry `install --use-pre-commit-tool` adds.
 * DVC adds its own hooks repository (which runs `dvc`); cairn's hooks run
 * `cairn`, so its entry is a local one with the same hooks and stages.
 */
export function preCommitEntry(program = "cairn"): Record<string, unknown> {
  const hook = (name: string, extra: [string, unknown][] = []) =>
    ordered([
      ["id", `cairn-${name}`],
      ["name", `cairn ${name}`],
      ["entry", `${program} git-hook ${name}`],
      ["language", "system"],
      ["require_serial", true],
      ["stages", [name]],
      ...extra,
    ]);
  return ordered([
    ["repo", "local"],
    ["hooks", [
      hook("pre-commit"),
      hook("pre-push"),
      hook("post-checkout", [["always_run", true]]),
    ]],
  ]);
}

/**
 * `install --use-pre-commit-tool`: add cairn's hooks to the work tree's
 * `.pre-commit-config.yaml` (created if missing; nothing else in it
 * changes, and an entry already there is not added twice). No-op outside
 * git. Returns the file written, or null when nothing changed.
 */
export function installPreCommitConfig(repo: Repo, opts: { program?: string } = {}): string | null {
  if (!repo.scmRoot) return null;
  const file = join(repo.scmRoot, ".pre-commit-config.yaml");
  let text = "";
  try {
    text = Deno.readTextFileSync(file);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  const data = text.trim() ? loadYaml(text, ".pre-commit-config.yaml") : {};
  if (data !== null && !isPlainMapping(data)) {
    throw new CairnError("'.pre-commit-config.yaml' is invalid: expected a mapping at the top");
  }
  const repos = data?.repos ?? [];
  if (!Array.isArray(repos)) {
    throw new CairnError("'.pre-commit-config.yaml' is invalid: 'repos' is not a list");
  }
  const entry = preCommitEntry(opts.program);
  const same = JSON.stringify(entry);
  if (repos.some((r) => JSON.stringify(r) === same)) return null;
  writeTextAtomic(
    file,
    editTopLevelText(text, ".pre-commit-config.yaml", "repos", [...repos, entry]),
  );
  return file;
}
