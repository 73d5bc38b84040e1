/**
 * Helpers for the path-containment tests: a workspace inside an outer
 * folder (so `../x` lands somewhere the test owns), and a snapshot of every
 * file below the outer folder to prove a refused command wrote nothing.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { cairnOk, git, writeFiles } from "../_rig/rig.ts";

export interface Arena {
  /** the folder the test owns; the workspace is `${outer}/ws`. */
  outer: string;
  ws: string;
}

/** outer/ws = a git repo with `cairn init`, one committed file, and a user file outside. */
export function makeArena(): Arena {
  const outer = Deno.realPathSync(Deno.makeTempDirSync({ prefix: "cairn-sec-paths-" }));
  const ws = join(outer, "ws");
  Deno.mkdirSync(ws);
  git(["init", "-q", "-b", "main"], ws);
  cairnOk(["init", "-q"], { cwd: ws });
  writeFiles(outer, { "victim.txt": "the user's own file\n" });
  git(["add", "-A"], ws);
  git(["commit", "-qm", "init"], ws);
  return { outer, ws };
}

/**
 * path -> what is there (file content digest + mode, symlink target, "dir"),
 * for everything below `dir`, except cairn's own scratch folder `.dvc/tmp`
 * (state index, lock, parse cache), and the folders of the cache (created
 * lazily; the objects in them are compared).
 */
export function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (abs: string, rel: string) => {
    for (const e of Deno.readDirSync(abs)) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      const childAbs = `${abs}/${e.name}`;
      if (/(^|\/)\.dvc\/tmp$/.test(childRel)) continue;
      const st = Deno.lstatSync(childAbs);
      if (st.isSymlink) out.set(childRel, `link:${Deno.readLinkSync(childAbs)}`);
      else if (st.isDirectory) {
        // the cache's folders appear lazily (an empty fan-out folder holds nothing)
        if (!/(^|\/)\.dvc\/cache(\/|$)/.test(childRel)) out.set(childRel, "dir");
        walk(childAbs, childRel);
      } else {
        const digest = createHash("md5").update(Deno.readFileSync(childAbs)).digest("hex");
        out.set(childRel, `file:${digest}:${(st.mode ?? 0) & 0o777}`);
      }
    }
  };
  walk(dir, "");
  return out;
}

/** Human-readable difference of two snapshots ("" when equal). */
export function snapshotDiff(before: Map<string, string>, after: Map<string, string>): string {
  const lines: string[] = [];
  for (const [k, v] of after) {
    if (!before.has(k)) lines.push(`+ ${k} (${v})`);
    else if (before.get(k) !== v) lines.push(`~ ${k}`);
  }
  for (const k of before.keys()) if (!after.has(k)) lines.push(`- ${k}`);
  return lines.join("\n");
}

/** md5 of bytes, as DVC names objects. */
export function md5Hex(data: string | Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

/** Bytes of a `.dir` listing as DVC writes it (the exact serialisation does not matter to readers). */
export function dirListing(entries: { md5: string; relpath: string }[]): string {
  return JSON.stringify(entries.map((e) => ({ md5: e.md5, relpath: e.relpath })));
}

/** Store `bytes` as an object under `root` (a cache or a local remote): files/md5/xx/rest. */
export function putObject(root: string, bytes: string, suffix = ""): string {
  const md5 = md5Hex(bytes);
  const dir = join(root, "files", "md5", md5.slice(0, 2));
  Deno.mkdirSync(dir, { recursive: true });
  Deno.writeTextFileSync(join(dir, md5.slice(2) + suffix), bytes);
  return md5 + suffix;
}
