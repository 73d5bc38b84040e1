/**
 * `.dvc` files (dvc-spec §2): `dvc add` data sources, imports, and legacy
 * single-stage files with `cmd`. Read into a Stage (kind "dvcfile", name =
 * file path) and written back byte-identical to DVC: key order of
 * `get_dump`/`Output.dumpd`, DVC 2.x entries (no `hash: md5`) kept as they
 * are, and an existing file updated the way DVC does (`apply_diff` onto
 * the old data, so unknown keys' positions survive).
 */
import { DvcFileSyntaxError, fsError, ignoreNotFound } from "../errors.ts";
import { md5Bytes } from "../hash/md5.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { canonicalJson } from "../py/canonical_json.ts";
import { isPlainMapping } from "../py/value.ts";
import type { Stage } from "../stage/types.ts";
import {
  depFromEntry,
  dvcDepEntry,
  dvcOutEntry,
  entriesOf,
  ordered,
  outFromEntry,
} from "./_entries.ts";
import { dirName, joinPath, relPath } from "./_paths.ts";
import { Checker, HASH_INFO_KEYS } from "./_schema.ts";
import { applyDiff } from "./apply_diff.ts";
import { emitYaml } from "../py/yaml_emit.ts";
import { loadYaml, parseYaml } from "../py/yaml_parse.ts";

const TOP_KEYS = [
  "md5",
  "cmd",
  "wdir",
  "deps",
  "outs",
  "locked",
  "frozen",
  "meta",
  "always_changed",
  "desc",
];
const ENTRY_KEYS = [
  "path",
  ...HASH_INFO_KEYS,
  "fs_config",
  "repo",
  "db",
  "dataset",
  "desc",
  "type",
  "labels",
  "meta",
  "cache",
  "remote",
  "push",
  "persist",
  "metric",
  "plot",
];

/**
 * Parse the text of a `.dvc` file. `file` is its repo-relative posix path
 * (used as the stage name and in errors). Throws DvcFileSyntaxError.
 */
export function parseDvcFile(text: string, file: string): Stage {
  const { value, positions } = parseYaml(text, file);
  const ck = new Checker(file, positions);
  const d: unknown = value ?? {};
  if (!isPlainMapping(d)) {
    return ck.fail(d, undefined, "expected a mapping at the top");
  }
  ck.keys(d, TOP_KEYS, file);
  const fileDir = dirName(file);
  const wdirField = d.wdir === undefined || d.wdir === null ? "." : ck.str(d, "wdir", "wdir");
  const stage: Stage = {
    name: file,
    kind: "dvcfile",
    file,
    wdir: joinPath(fileDir, wdirField),
    deps: [],
    params: [],
    outs: [],
    frozen: false,
    alwaysChanged: false,
  };
  if (d.md5 !== undefined && d.md5 !== null && d.md5 !== "") {
    stage.md5 = String(d.md5).toLowerCase();
  }
  if (d.cmd !== undefined) {
    const cmd = d.cmd;
    if (typeof cmd !== "string" && !Array.isArray(cmd)) {
      ck.fail(d, "cmd", "expected str or list for 'cmd'");
    }
    stage.cmd = cmd as string | string[];
  }
  for (const key of ["frozen", "locked", "always_changed"]) {
    if (d[key] !== undefined) ck.bool(d, key, key);
  }
  stage.frozen = d.frozen === true || d.locked === true;
  stage.alwaysChanged = d.always_changed === true;
  if (d.desc !== undefined && d.desc !== null) {
    stage.desc = ck.str(d, "desc", "desc");
  }
  if (d.meta !== undefined) stage.meta = d.meta;
  for (const key of ["deps", "outs"] as const) {
    if (d[key] === undefined || d[key] === null) continue;
    const list = ck.list(d, key, key);
    list.forEach((_, i) => {
      const e = ck.mapping(list, i, `${key}[${i}]`);
      ck.keys(e, ENTRY_KEYS, `${key}[${i}]`);
      ck.required(e, "path", `${key}[${i}]`);
      ck.str(e, "path", `${key}[${i}].path`);
      if (key === "deps") stage.deps.push(depFromEntry(e));
      else stage.outs.push(outFromEntry(e));
    });
  }
  return stage;
}

/** Read `<root>/<file>` (a `.dvc` file). */
export function loadDvcFile(root: string, file: string): Stage {
  const full = `${root}/${file}`;
  let text: string;
  try {
    text = Deno.readTextFileSync(full);
  } catch (err) {
    throw fsError(err, "reading", file);
  }
  return parseDvcFile(text, file);
}

/**
 * The data DVC writes for a `.dvc` stage (`get_dump`): keys `desc, md5,
 * cmd, wdir, frozen, deps, outs, always_changed, meta`, falsy ones omitted.
 * `md5` is the recorded `stage.md5` (see computeStageMd5).
 */
export function dvcFileData(stage: Stage): Record<string, unknown> {
  const e: [string, unknown][] = [];
  if (stage.desc) e.push(["desc", stage.desc]);
  if (stage.md5) e.push(["md5", stage.md5]);
  if (stage.cmd !== undefined && stage.cmd !== "" && !isEmptyList(stage.cmd)) {
    e.push(["cmd", stage.cmd]);
  }
  const wdir = relPath(stage.wdir, dirName(stage.file));
  if (wdir !== ".") e.push(["wdir", wdir]);
  if (stage.frozen) e.push(["frozen", true]);
  if (stage.deps.length) e.push(["deps", stage.deps.map(dvcDepEntry)]);
  if (stage.outs.length) e.push(["outs", stage.outs.map(dvcOutEntry)]);
  if (stage.alwaysChanged) e.push(["always_changed", true]);
  if (stage.meta !== undefined && stage.meta !== null && truthy(stage.meta)) {
    e.push(["meta", stage.meta]);
  }
  return ordered(e);
}

function isEmptyList(v: unknown): boolean {
  return Array.isArray(v) && v.length === 0;
}

function truthy(v: unknown): boolean {
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainMapping(v)) return Object.keys(v).length > 0;
  return v !== false && v !== "" && v !== 0;
}

const MD5_EXCLUDE = new Set([
  "desc",
  "type",
  "labels",
  "meta",
  "locked",
  "frozen",
  "metric",
  "persist",
  "isexec",
  "size",
  "nfiles",
]);

/** True for stages that record a stage md5: imports and command stages (not `dvc add`). */
export function needsStageMd5(stage: Stage): boolean {
  const isDataSource = stage.cmd === undefined;
  const isImport = isDataSource && stage.deps.length === 1 &&
    stage.outs.length === 1;
  return !isDataSource || isImport;
}

/**
 * Stage checksum of a `.dvc` file (dvc-spec §2.4): md5 of the canonical JSON
 * of the written data without md5/meta/desc and without annotation, size,
 * nfiles, isexec, frozen, metric, persist keys at any depth.
 * Returns undefined for plain `dvc add` stages.
 */
export function computeStageMd5(stage: Stage): string | undefined {
  if (!needsStageMd5(stage)) return undefined;
  const d = dvcFileData({ ...stage, md5: undefined, desc: undefined });
  delete d.meta;
  return md5Bytes(canonicalJson(filterKeys(d)));
}

function filterKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(filterKeys);
  if (!isPlainMapping(v)) return v;
  return ordered(
    entriesOf(v).filter(([k]) => !MD5_EXCLUDE.has(k)).map((
      [k, x],
    ) => [k, filterKeys(x)]),
  );
}

/**
 * Text of the `.dvc` file for `stage`. With `previous` (the file's current
 * text), the new data is applied onto the old as DVC's `apply_diff` does:
 * untouched keys keep their place, new keys go last.
 */
export function formatDvcFile(stage: Stage, previous?: string): string {
  const data = dvcFileData(stage);
  if (previous !== undefined) {
    let old: unknown;
    try {
      old = loadYaml(previous, stage.file);
    } catch (err) {
      if (!(err instanceof DvcFileSyntaxError)) throw err;
      old = undefined; // unreadable old file: overwrite it
    }
    if (isPlainMapping(old)) return emitYaml(applyDiff(data, old));
  }
  return emitYaml(data);
}

/** Write `<root>/<stage.file>` atomically, updating an existing file in place. */
export function saveDvcFile(root: string, stage: Stage): void {
  const full = `${root}/${stage.file}`;
  let previous: string | undefined;
  try {
    previous = Deno.readTextFileSync(full);
  } catch (err) {
    ignoreNotFound(err);
    previous = undefined;
  }
  writeTextAtomic(full, formatDvcFile(stage, previous));
}
