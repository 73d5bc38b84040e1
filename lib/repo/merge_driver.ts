/**
 * The git merge driver `install` registers (`git-hook merge-driver`), with
 * the behaviour of DVC 3.64's: a `.dvc` file written by `add` whose single
 * output is a directory is merged three ways on its `.dir` listing (files
 * added, removed or changed on one side are taken; the same file changed
 * differently on both sides, or deleted on both, is a conflict). The merged
 * listing is stored in the cache and the merged `.dvc` replaces `%A`
 * atomically; on a conflict nothing is written and git records one.
 */
import { CairnError, ExitCode, fsError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { ObjectStore } from "../cache/object_store.ts";
import { buildDirObject, type DirEntry } from "../hash/dir_listing.ts";
import { dvcOutEntry } from "../dvcfile/_entries.ts";
import { formatDvcFile, parseDvcFile } from "../dvcfile/dvc_file.ts";
import { pyStrRepr } from "../py/format.ts";
import { yaml } from "../py/yaml_lib.ts";
import { loadYaml } from "../py/yaml_parse.ts";
import type { Output, Stage } from "../stage/types.ts";
import type { Repo } from "./repo.ts";

/** A `.dvc` merge git must leave to the user (DVC's MergeError, exit 255). */
export class MergeConflictError extends CairnError {
  constructor(message: string) {
    super(message, { exitCode: ExitCode.other });
  }
}

/** The three versions git hands the driver (`%O`, `%A`, `%B`). */
export interface MergeDriverFiles {
  ancestor: string;
  our: string;
  their: string;
}

function readStage(path: string): { stage: Stage; text: string } {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    throw fsError(err, "reading", path);
  }
  return { stage: parseDvcFile(text, path), text };
}

/** DVC: only `add`-made files (no command, no deps, at most one output) merge. */
function checkStage(stage: Stage): void {
  if (stage.cmd !== undefined || stage.deps.length > 0 || stage.outs.length > 1) {
    throw new MergeConflictError(
      "unable to auto-merge DVC files that weren't created by `dvc add`",
    );
  }
}

/** The output's options: its entry without hash, size and file count. */
function options(o: Output): string {
  const e = { ...dvcOutEntry(o) } as Record<string, unknown>;
  for (const k of ["md5", "size", "nfiles", "hash"]) delete e[k];
  return JSON.stringify(e);
}

function checkOutput(ours: Output, other: Output): void {
  if (options(ours) !== options(other)) {
    throw new MergeConflictError("unable to auto-merge outputs with different options");
  }
  if (!other.hash?.md5.endsWith(".dir")) {
    throw new MergeConflictError("unable to auto-merge outputs that are not directories");
  }
}

/** All three listings are read from our output's cache, as DVC does. */
function listing(
  store: ObjectStore,
  o: Output | undefined,
  legacy: boolean,
): Map<string, string> {
  const map = new Map<string, string>();
  if (!o?.hash) return map;
  let entries: DirEntry[];
  try {
    entries = store.readDirObject(o.hash.md5, { legacy });
  } catch (err) {
    if (err instanceof CairnError) {
      throw new CairnError(
        `unable to auto-merge '${o.path}': its listing ${o.hash.md5} is not in the cache`,
        { cause: err, exitCode: ExitCode.other, hint: "fetch it first ('cairn fetch')" },
      );
    }
    throw err;
  }
  for (const e of entries) map.set(e.relpath, e.md5);
  return map;
}

type Op = ["add" | "change", string, string] | ["remove", string];

/** Changes from `a` to `b`, in the order DVC lists them: changed, added, removed. */
function diff(a: Map<string, string>, b: Map<string, string>): Op[] {
  const ops: Op[] = [];
  for (const [k, v] of a) if (b.has(k) && b.get(k) !== v) ops.push(["change", k, b.get(k)!]);
  for (const [k, v] of b) if (!a.has(k)) ops.push(["add", k, v]);
  for (const k of a.keys()) if (!b.has(k)) ops.push(["remove", k]);
  return ops;
}

/** DVC names a file in this message by its path parts, as a Python tuple. */
function tupleRepr(relpath: string): string {
  const parts = relpath.split("/").map(pyStrRepr);
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(", ")})`;
}

function apply(base: Map<string, string>, ops: Op[]): Map<string, string> {
  const out = new Map(base);
  for (const op of ops) {
    if (op[0] !== "remove") {
      out.set(op[1], op[2]);
    } else if (!out.delete(op[1])) {
      const m = `unable to auto-merge the following paths:\nboth deleted: ${tupleRepr(op[1])}`;
      throw new MergeConflictError(`${m}: ${m}`);
    }
  }
  return out;
}

/**
 * Three-way merge of listings: one side unchanged takes the other; else both
 * sides' changes must give the same listing whichever is applied first.
 */
export function mergeListings(
  ancestor: Map<string, string>,
  our: Map<string, string>,
  their: Map<string, string>,
): Map<string, string> {
  const ourOps = diff(ancestor, our);
  if (ourOps.length === 0) return new Map(their);
  const theirOps = diff(ancestor, their);
  if (theirOps.length === 0) return new Map(our);
  const oursFirst = apply(ancestor, [...ourOps, ...theirOps]);
  const theirsFirst = apply(ancestor, [...theirOps, ...ourOps]);
  const clash = diff(oursFirst, theirsFirst).map((op) => op[1]);
  if (clash.length) {
    // DVC 3.64 crashes ("unexpected error") when the clash is a file one side
    // removed and the other changed; cairn reports it as the conflict it is.
    const m = "unable to auto-merge the following paths:\n" + [...new Set(clash)].join("\n");
    throw new MergeConflictError(`${m}: ${m}`);
  }
  return oursFirst;
}

/**
 * Merge `their` into `our` (the file git will take as the result). Returns
 * true when `our` was rewritten. Throws MergeConflictError (nothing written)
 * when DVC would not merge.
 */
export function mergeDvcFiles(repo: Repo, files: MergeDriverFiles): boolean {
  const ancestor = readStage(files.ancestor).stage;
  const our = readStage(files.our);
  const their = readStage(files.their).stage;
  if (their.outs.length === 0) return false;
  const stage = our.stage;
  if (stage.outs.length === 0) {
    stage.outs = their.outs;
    writeTextAtomic(files.our, formatDvcFile(stage, our.text));
    return true;
  }
  checkStage(ancestor);
  const ancestorOut = ancestor.outs[0];
  checkStage(stage);
  checkStage(their);
  const ours = stage.outs[0];
  if (ancestorOut) checkOutput(ours, ancestorOut);
  checkOutput(ours, ours);
  checkOutput(ours, their.outs[0]);

  const store = new ObjectStore(repo.cacheDir);
  const legacy = ours.hash!.hashName !== "md5";
  const merged = mergeListings(
    listing(store, ancestorOut, legacy),
    listing(store, ours, legacy),
    listing(store, their.outs[0], legacy),
  );
  const entries: DirEntry[] = [...merged].map(([relpath, md5]) => ({ relpath, md5 }));
  const dir = buildDirObject(entries);
  store.addDirObject(dir, { legacy });
  // DVC's size: the cached objects' sizes, none when one is not cached
  let size: number | undefined = 0;
  for (const e of entries) {
    try {
      size += Deno.statSync(store.pathFor(e.md5, { legacy })).size;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      size = undefined;
      break;
    }
  }
  ours.hash = { md5: dir.md5, size, nfiles: dir.nfiles, hashName: ours.hash!.hashName };
  writeTextAtomic(files.our, mergedText(files.our, stage, our.text));
  return true;
}

/**
 * The merged file's text. DVC's round-trip dump keeps comments and layout:
 * when only the output's hash scalars change, they are replaced in place;
 * otherwise (a key added or dropped) the file is written as `add` would.
 */
function mergedText(path: string, stage: Stage, previous: string): string {
  const full = formatDvcFile(stage, previous);
  const want = JSON.stringify(loadYaml(full, path));
  const doc = yaml.parseDocument(previous);
  const entry = doc.getIn(["outs", 0], true);
  if (!yaml.isMap(entry)) return full;
  const hash = stage.outs[0].hash!;
  const edits: [number, number, string][] = [];
  for (const [key, value] of [["md5", hash.md5], ["size", hash.size], ["nfiles", hash.nfiles]]) {
    const node = entry.get(key, true);
    if (value === undefined || !yaml.isScalar(node) || !node.range) continue;
    if (node.type !== "PLAIN") return full;
    edits.push([node.range[0], node.range[1], String(value)]);
  }
  let text = previous;
  for (const [start, end, value] of edits.sort((a, b) => b[0] - a[0])) {
    text = text.slice(0, start) + value + text.slice(end);
  }
  // anything else to change (a key added or dropped): DVC's dump as `add` writes it
  return JSON.stringify(loadYaml(text, path)) === want ? text : full;
}
