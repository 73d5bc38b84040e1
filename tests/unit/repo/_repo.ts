/** Temp repos for the repo-verb unit tests: real git, `cairn init`, the verbs called directly. */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { git, makeRepo, removeDir, run, writeFiles } from "../../_rig/rig.ts";
import { openRepo, type Repo } from "../../../lib/repo/repo.ts";

export interface TestRepo {
  dir: string;
  /** a fresh Repo (config and caches re-read), as each CLI command opens one. */
  open(): Repo;
  write(files: Record<string, string>): void;
  read(rel: string): string;
  exists(rel: string): boolean;
  commitAll(message: string): string;
  /** md5 names of the objects in the cache (`xx` + rest), sorted. */
  objects(): string[];
}

/** Run `fn` in a fresh git + cairn repo; removed afterwards. */
export async function withRepo(fn: (t: TestRepo) => Promise<void> | void): Promise<void> {
  const dir = makeRepo();
  const t: TestRepo = {
    dir,
    open: () => openRepo(dir, { cwd: dir }),
    write: (files) => writeFiles(dir, files),
    read: (rel) => Deno.readTextFileSync(join(dir, rel)),
    exists: (rel) => {
      try {
        Deno.lstatSync(join(dir, rel));
        return true;
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return false;
        throw err;
      }
    },
    commitAll: (message) => {
      git(["add", "-A"], dir);
      git(["commit", "-qm", message], dir);
      return git(["rev-parse", "HEAD"], dir).trim();
    },
    objects: () =>
      run("find", [".dvc/cache/files/md5", "-type", "f"], { cwd: dir }).stdout.split("\n")
        .filter(Boolean).map((p) => p.split("/").slice(-2).join("")).sort(),
  };
  try {
    await fn(t);
  } finally {
    removeDir(dir);
  }
}

/** md5 of a string, as the cache names objects (node:crypto: an implementation other than cairn's). */
export function md5Of(text: string): string {
  return createHash("md5").update(text).digest("hex");
}
