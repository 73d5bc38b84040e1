/**
 * `.dvc` and `.dvc/tmp` must not be symlinks that came with the project.
 * cairn writes there in place on every command: the repo lock (`lock`,
 * opened and truncated to " <pid>"), the state index (`cairn-state.db*`,
 * SQLite), the stage cache, checkout staging, experiment worktrees. A
 * cloned repository that commits `.dvc/tmp -> /elsewhere` (or `.dvc/tmp/lock
 * -> ~/.bashrc`) would otherwise have cairn create or overwrite files outside
 * the workspace; DVC follows such links without a word (zc.lockfile even
 * truncates the target).
 *
 * Checked when the repository is opened: `.dvc`, `.dvc/tmp`, the entries
 * of `.dvc/tmp` and those of its folders (`exps/cairn-worker.log`...; one
 * readdir each; nothing else when none is a symlink). Deeper ones (inside an
 * experiment's run folder or worktree) are not looked at. A symlink that git does not track was made on this
 * machine, by the user, and is followed, as a `.dvc/cache` or `cache.dir`
 * elsewhere is; one that git tracks, or any at all when git cannot answer
 * (a `--no-scm` repo, git failing), is refused before anything is written.
 */
import { CairnError, ExitCode } from "../errors.ts";
import { gitRaw } from "../scm/git.ts";
import { lstatOrNull } from "../fs/stat_or_null.ts";

/** A committed `.dvc/cache` link: the project would choose where cairn writes its data. */
const CACHE_LINK = ".dvc/cache";

/** `.dvc`, `.dvc/cache`, `.dvc/tmp` or an entry of it is a symlink cairn will not follow. */
export class LinkedDvcDirError extends CairnError {
  /**
   * `root`: the repository; `rel`: the link, relative to it; `target`: what
   * it points to; `why`: "tracked" (committed to git) or "unknown" (no git).
   */
  constructor(
    readonly root: string,
    readonly rel: string,
    readonly target: string,
    readonly why: "tracked" | "unknown",
  ) {
    super(
      `'${rel}' in '${root}' is a symbolic link (to '${target}')` +
        (why === "tracked"
          ? " committed to git"
          : " that git cannot vouch for (no git, or git failed)") +
        `: cairn writes ${
          rel === CACHE_LINK ? "the project's data there" : "its lock and state there in place"
        }, and such a link can lead anywhere; ` +
        `refusing to use this repository, nothing was written`,
      {
        // DVC raises its repository errors while opening the repo, outside the
        // command's own handler: main() reports a DvcException with 255.
        exitCode: ExitCode.other,
        hint: why === "tracked"
          ? `a cloned project may be hostile: check who committed it; to go on, replace it ` +
            `with a folder (git rm --cached '${rel}' && rm '${rel}' && mkdir '${rel}')`
          : `replace it with a folder (rm '${rel}' && mkdir '${rel}')`,
      },
    );
  }
}

/** Repo-relative paths of the symlinks among `.dvc`, `.dvc/tmp`, its entries and theirs. */
export function linkedDvcDirs(root: string): string[] {
  const dvc = lstatOrNull(`${root}/.dvc`);
  if (!dvc) return [];
  // behind a link git tracks nothing: what lies there is the link's owner's
  if (dvc.isSymlink) return [".dvc"];
  const links: string[] = [];
  if (lstatOrNull(`${root}/${CACHE_LINK}`)?.isSymlink) links.push(CACHE_LINK);
  const tmp = lstatOrNull(`${root}/.dvc/tmp`);
  if (!tmp || !tmp.isDirectory) return tmp?.isSymlink ? [...links, ".dvc/tmp"] : links;
  for (const e of Deno.readDirSync(`${root}/.dvc/tmp`)) {
    if (e.isSymlink) links.push(`.dvc/tmp/${e.name}`);
    // one level more: the experiment queue writes its lock, log and requests in `exps/`
    else if (e.isDirectory) {
      for (const f of Deno.readDirSync(`${root}/.dvc/tmp/${e.name}`)) {
        if (f.isSymlink) links.push(`.dvc/tmp/${e.name}/${f.name}`);
      }
    }
  }
  return links;
}

/** Whether git tracks `rel` (relative to `root`); undefined when git cannot say. */
function tracked(root: string, rel: string): boolean | undefined {
  let r;
  try {
    r = gitRaw(["ls-files", "-z", "--", rel], { cwd: root });
  } catch (err) {
    if (err instanceof CairnError) return undefined; // git not installed
    throw err;
  }
  if (r.code !== 0) return undefined;
  return r.stdout.split("\0").some(Boolean);
}

/**
 * Throws LinkedDvcDirError when `.dvc`, `.dvc/tmp` or an entry directly in it
 * is a symlink that git tracks, or any such symlink when `scmRoot` is null.
 */
export function guardDvcDirs(root: string, scmRoot: string | null): void {
  for (const rel of linkedDvcDirs(root)) {
    const isTracked = scmRoot ? tracked(root, rel) : undefined;
    if (isTracked === false) continue; // made here by the user: followed
    // a cache elsewhere is a common setup (`ln -s /big/disk .dvc/cache`): only a committed one is refused
    if (rel === CACHE_LINK && !isTracked) continue;
    let target = "?";
    try {
      target = Deno.readLinkSync(`${root}/${rel}`);
    } catch { /* gone meanwhile: the message still names the link */ }
    throw new LinkedDvcDirError(root, rel, target, isTracked ? "tracked" : "unknown");
  }
}
