/**
 * `du`: disk usage of a path of the repository at a revision, as DVC's
 * DVCFileSystem sees it: git's files (the workspace's without a revision)
 * and DVC-tracked data, without DVC's own metafiles.
 */
import { basename, posix, resolve } from "node:path";
import { CairnError, ExitCode } from "../errors.ts";
import { repoForUrl } from "./ls.ts";
import { openRepo, type Repo } from "./repo.ts";
import { openRevision, resolveRevision, type RevisionView } from "./revisions.ts";

/** A `.dvc` file, dvc.yaml or `.dvcignore`: hidden by DVC's filesystem (dvc.lock is shown). */
function isMetafile(path: string): boolean {
  if (path.startsWith(".dvc/") || path.startsWith(".git/")) return true;
  const name = basename(path);
  return name.endsWith(".dvc") || name === "dvc.yaml" || name === ".dvcignore";
}

function fileSize(view: RevisionView, repo: Repo, p: string): number {
  if (view.isWorkspace) {
    try {
      return Deno.statSync(`${repo.root}/${p}`).size;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  }
  // an output not in the workspace: the size its .dvc/dvc.lock entry records
  const recorded = view.outputs().get(p)?.out.hash?.size;
  if (recorded !== undefined) return recorded;
  const r = view.read(p);
  return r.status === "ok" ? r.bytes.length : 0;
}

/**
 * `[path, bytes]` rows: one per entry of directory `path` then the total
 * under `path`, or only the total with `summarize` or for a file.
 */
export function du(
  repo: Repo,
  path = "",
  opts: { rev?: string; summarize?: boolean } = {},
): [string, number][] {
  const rev = opts.rev === undefined
    ? undefined
    : { key: opts.rev, sha: resolveRevision(repo, opts.rev) };
  const view = openRevision(repo, rev);
  const dir = posix.normalize(path || ".").replace(/^\.$/, "").replace(/\/+$/, "");
  if (dir !== "" && !view.exists(dir)) {
    // DVC 3.64 reports the FileNotFoundError as an unexpected error (exit 255)
    throw new CairnError(
      `unexpected error - [Errno 2] No such file or directory: '${repo.root}/${dir}'`,
      { exitCode: ExitCode.other },
    );
  }
  const files = (dir === "" || view.isDir(dir) ? view.find(dir) : [dir])
    .filter((f) => !isMetafile(f));
  const sizes = new Map(files.map((f) => [f, fileSize(view, repo, f)]));
  // directory outputs whose listing is not at hand count with their recorded size
  for (const [p, o] of view.outputs()) {
    const size = o.out.hash?.size;
    if (size === undefined || !o.out.hash!.md5.endsWith(".dir")) continue;
    if (!(dir === "" || p.startsWith(`${dir}/`)) || files.some((f) => f.startsWith(`${p}/`))) {
      continue;
    }
    sizes.set(p, size);
  }
  const total = [...sizes.values()].reduce((a, b) => a + b, 0);
  if (opts.summarize || (dir !== "" && !view.isDir(dir))) return [[path, total]];
  const entries = new Map<string, number>();
  for (const [f, size] of sizes) {
    const rest = dir ? f.slice(dir.length + 1) : f;
    const entry = (dir ? `${dir}/` : "") + rest.split("/")[0];
    entries.set(entry, (entries.get(entry) ?? 0) + size);
  }
  return [...entries, [path, total]];
}

/**
 * `dvc du URL PATH`: a local repository (read at `rev`), or a git URL cloned
 * at `rev` as `ls` does (outputs count with their recorded sizes there).
 */
export function duOfUrl(
  url: string,
  cwd: string,
  path = "",
  opts: { rev?: string; summarize?: boolean } = {},
): [string, number][] {
  const local = resolve(cwd, url);
  let isLocal = false;
  try {
    isLocal = Deno.statSync(local).isDirectory;
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  if (isLocal) return du(openRepo(local), path, opts);
  const { repo, cleanup } = repoForUrl(url, cwd, opts.rev);
  try {
    return du(repo, path, { summarize: opts.summarize }); // the clone is at rev already
  } finally {
    cleanup();
  }
}

/** DVC's naturalsize: bytes below 1024, else tqdm's format_sizeof with divisor 1024. */
export function naturalSize(value: number): string {
  if (value < 1024) return value.toFixed(0);
  let num = value;
  for (const unit of ["", "k", "M", "G", "T", "P", "E", "Z"]) {
    if (Math.abs(num) < 999.5) {
      if (Math.abs(num) < 99.95) {
        if (Math.abs(num) < 9.995) return num.toFixed(2) + unit;
        return num.toFixed(1).padStart(2) + unit;
      }
      return num.toFixed(0).padStart(3) + unit;
    }
    num /= 1024;
  }
  return num.toFixed(1).padStart(3) + "Y";
}
