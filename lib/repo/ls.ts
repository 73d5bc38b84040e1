/**
 * `ls`: list a repository's files and DVC-tracked outputs (including files
 * inside tracked directories), as `dvc ls` does.
 */
import { join, resolve } from "node:path";
import { ignoreNotFound, ScmError } from "../errors.ts";
import { isUnusableListing, ObjectStore } from "../cache/object_store.ts";
import { git, gitRaw } from "../scm/git.ts";
import { allOutputs, collectStages, isInside } from "./collect.ts";
import { openRepo, type Repo } from "./repo.ts";

export interface LsEntry {
  isout: boolean;
  isdir: boolean;
  isexec: boolean;
  size: number | null;
  md5: string | null;
  path: string;
}

export interface LsOptions {
  recursive?: boolean;
  dvcOnly?: boolean;
  rev?: string;
}

/** Open the repository a `dvc ls URL` points at (a local path, or cloned git URL). */
export function repoForUrl(
  url: string,
  cwd: string,
  rev?: string,
): { repo: Repo; cleanup: () => void } {
  const local = resolve(cwd, url);
  let isLocalDir = false;
  try {
    isLocalDir = Deno.statSync(local).isDirectory;
  } catch (err) {
    ignoreNotFound(err); // not a local path
  }
  if (isLocalDir && !rev) return { repo: openRepo(local, { cwd: local }), cleanup: () => {} };
  const tmp = Deno.makeTempDirSync({ prefix: "cairn-ls-" });
  const src = isLocalDir ? local : url;
  const r = gitRaw(["clone", "-q", "--no-checkout", src, tmp], { cwd });
  if (r.code !== 0) {
    Deno.removeSync(tmp, { recursive: true });
    throw new ScmError(`failed to clone '${url}'`, r.stderr.trim());
  }
  git(["checkout", "-q", rev ?? "HEAD"], tmp);
  return {
    repo: openRepo(tmp, { cwd: tmp }),
    cleanup: () => Deno.removeSync(tmp, { recursive: true }),
  };
}

export function ls(repo: Repo, path = "", opts: LsOptions = {}): LsEntry[] {
  const base = path.replace(/^\.?\/?/, "").replace(/\/+$/, "");
  const store = new ObjectStore(repo.cacheDir);
  const entries = new Map<string, LsEntry>();
  const add = (e: LsEntry) => {
    if (!isInside(e.path, base) || e.path === base && e.isdir) return;
    const rel = base ? e.path.slice(base.length + 1) : e.path;
    if (!opts.recursive && rel.includes("/")) {
      const top = base ? `${base}/${rel.split("/")[0]}` : rel.split("/")[0];
      if (!entries.has(top)) {
        let size: number | null = null;
        try {
          size = Deno.statSync(join(repo.root, top)).size; // DVC: the directory's own st_size
        } catch (err) {
          ignoreNotFound(err);
        }
        entries.set(top, {
          isout: false,
          isdir: true,
          isexec: false,
          size,
          md5: null,
          path: top,
        });
      }
      return;
    }
    const prev = entries.get(e.path);
    if (!prev || e.isout) entries.set(e.path, e);
  };
  for (const { out, rel } of allOutputs(collectStages(repo))) {
    if (!out.hash?.md5) continue;
    const isDir = out.hash.md5.endsWith(".dir");
    if (!isDir || !opts.recursive || !isInside(rel, base)) {
      let size = out.hash.size ?? null;
      try {
        size = Deno.statSync(join(repo.root, rel)).size; // DVC: the workspace's st_size first
      } catch (err) {
        ignoreNotFound(err);
      }
      add({
        isout: true,
        isdir: isDir,
        isexec: !!out.hash.isexec,
        size,
        md5: out.hash.md5,
        path: rel,
      });
    }
    if (isDir && (opts.recursive || (base && isInside(base, rel)))) {
      try {
        for (
          const f of store.readDirObject(out.hash.md5, { legacy: out.hash.hashName !== "md5" })
        ) {
          add({
            isout: true,
            isdir: false,
            isexec: false,
            size: null,
            md5: f.md5,
            path: `${rel}/${f.relpath}`,
          });
        }
      } catch (err) {
        if (!isUnusableListing(err)) throw err; // else not in the local cache
      }
    }
  }
  if (!opts.dvcOnly && repo.scmRoot) {
    const files = gitRaw(["ls-files", "-z"], { cwd: repo.root }).stdout.split("\0").filter(Boolean);
    for (const f of files) {
      if (f.startsWith(".dvc/")) continue; // DVC's filesystem hides its own folder
      let st: Deno.FileInfo | undefined;
      try {
        st = Deno.statSync(join(repo.root, f));
      } catch (err) {
        ignoreNotFound(err); // deleted
      }
      add({
        isout: false,
        isdir: false,
        isexec: !!st && (st.mode! & 0o111) !== 0,
        size: st?.size ?? null,
        md5: null,
        path: f,
      });
    }
  }
  return [...entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
