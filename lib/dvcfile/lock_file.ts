/**
 * dvc.lock, schema 2.0 (dvc-spec §4): read, merge into pipeline stages
 * (`fill_from_lock`), produce a stage's entry (`to_single_stage_lockfile`)
 * and update the file the way DVC does: `schema: '2.0'` first, existing
 * stages keep their place, new ones are appended, the file is deleted when
 * its last stage is removed. Writes are atomic.
 */
import { fsError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { compareCodePoints } from "../py/canonical_json.ts";
import { isPlainMapping, keyString, mapEntries } from "../py/value.ts";
import type { Dependency, Output, Stage } from "../stage/types.ts";
import { entriesOf, hashFromRaw, lockItemEntry, ordered } from "./_entries.ts";
import { Checker, HASH_INFO_KEYS } from "./_schema.ts";
import { emitYaml } from "../py/yaml_emit.ts";
import { parseYaml } from "../py/yaml_parse.ts";

export const LOCK_SCHEMA_VERSION = "2.0";
const DEFAULT_PARAMS_FILE = "params.yaml";

/** One stage's entry as stored in dvc.lock (YAML key names). */
export type LockEntry = Record<string, unknown>;

export interface LockData {
  /** stage name -> entry, in file order. */
  stages: Map<string, LockEntry>;
  /** the whole file's data (keeps `datasets` and any other top-level key). */
  raw: Record<string, unknown>;
}

const STAGE_KEYS = ["cmd", "deps", "params", "outs"];
const ITEM_KEYS = ["path", ...HASH_INFO_KEYS, "dataset"];

/** Parse dvc.lock text; `file` names it in errors. */
export function parseLockFile(text: string, file: string): LockData {
  const { value, positions } = parseYaml(text, file);
  const ck = new Checker(file, positions);
  const d: unknown = value ?? {};
  if (!isPlainMapping(d)) return ck.fail(d, undefined, "expected a mapping at the top");
  if (Object.keys(d).length === 0) return { stages: new Map(), raw: d };
  ck.keys(d, ["schema", "stages", "datasets"], file);
  if (d.schema !== LOCK_SCHEMA_VERSION) {
    ck.fail(
      d,
      d.schema === undefined ? undefined : "schema",
      d.schema === undefined
        ? "required key 'schema' not provided (lock files of DVC 1.x are not supported)"
        : `invalid schema version '${String(d.schema)}', expected '2.0'`,
    );
  }
  const stages = new Map<string, LockEntry>();
  if (d.stages !== undefined && d.stages !== null) {
    const st = ck.mapping(d, "stages", "stages");
    for (const [k] of mapEntries(st)) {
      const name = keyString(k);
      const where = `stages.${name}`;
      const entry = ck.mapping(st, name, where);
      ck.keys(entry, STAGE_KEYS, where);
      ck.required(entry, "cmd", where);
      if (typeof entry.cmd !== "string" && !Array.isArray(entry.cmd)) {
        ck.fail(entry, "cmd", `expected str or list for '${where}.cmd'`);
      }
      for (const key of ["deps", "outs"]) {
        if (entry[key] === undefined) continue;
        const list = ck.list(entry, key, `${where}.${key}`);
        list.forEach((_, i) => {
          const item = ck.mapping(list, i, `${where}.${key}[${i}]`);
          ck.keys(item, ITEM_KEYS, `${where}.${key}[${i}]`);
          ck.required(item, "path", `${where}.${key}[${i}]`);
          ck.str(item, "path", `${where}.${key}[${i}].path`);
        });
      }
      if (entry.params !== undefined) {
        const ps = ck.mapping(entry, "params", `${where}.params`);
        for (const [f] of mapEntries(ps)) ck.mapping(ps, keyString(f), `${where}.params`);
      }
      stages.set(name, entry);
    }
  }
  return { stages, raw: d };
}

/** Read `<root>/<file>`; undefined when the file does not exist. */
export function readLockFile(root: string, file: string): LockData | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${root}/${file}`);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw fsError(err, "reading", file);
  }
  return parseLockFile(text, file);
}

/**
 * Fill stages from their lock entries (DVC `fill_from_lock`): `lockedCmd`,
 * `locked`, dep/out hashes matched by exact path, param values restricted
 * to the declared keys (all for whole-file params).
 */
export function mergeLockIntoStages(stages: Stage[], lock: LockData): void {
  for (const stage of stages) {
    const entry = lock.stages.get(stage.name);
    if (!entry) continue;
    stage.locked = true;
    stage.lockedCmd = entry.cmd as string | string[];
    const byPath = (key: string) => {
      const m = new Map<string, Record<string, unknown>>();
      for (const item of (entry[key] as Record<string, unknown>[] | undefined) ?? []) {
        m.set(String(item.path), item);
      }
      return m;
    };
    const deps = byPath("deps");
    const outs = byPath("outs");
    for (const dep of stage.deps) fillItem(dep, deps.get(dep.path));
    for (const out of stage.outs) fillItem(out, outs.get(out.path));
    const params = isPlainMapping(entry.params) ? entry.params : {};
    for (const p of stage.params) {
      const values = params[p.file];
      if (!isPlainMapping(values)) continue;
      if (p.keys === null) p.values = values;
      else {
        p.values = ordered(
          p.keys.filter((k) => Object.hasOwn(values, k)).map((k) => [k, values[k]]),
        );
      }
    }
  }
}

function fillItem(item: Dependency | Output, raw: Record<string, unknown> | undefined) {
  if (!raw) return;
  const hash = hashFromRaw(raw);
  if (hash) item.hash = hash;
  const known = new Set(["path", "hash", "md5", "size", "nfiles", "isexec"]);
  const extra = entriesOf(raw).filter(([k]) => !known.has(k));
  if (extra.length) item.extra = ordered([...entriesOf(item.extra ?? {}), ...extra]);
}

function byPath<T extends { path: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => compareCodePoints(a.path, b.path));
}

/**
 * A stage's dvc.lock entry as ordered plain data (DVC
 * `to_single_stage_lockfile`): `cmd`, then `deps` sorted by path, `params`
 * (params.yaml first, other files sorted, keys sorted at the top level),
 * `outs` (outs, metrics and plots together) sorted by path. Empty parts are
 * left out. The run-cache stores exactly this.
 */
export function lockEntry(stage: Stage): LockEntry {
  const e: [string, unknown][] = [["cmd", stage.cmd ?? ""]];
  const deps = byPath(stage.deps).map(lockItemEntry);
  if (deps.length) e.push(["deps", deps]);
  const params = lockParams(stage);
  if (params) e.push(["params", params]);
  const outs = byPath(stage.outs).map(lockItemEntry);
  if (outs.length) e.push(["outs", outs]);
  return ordered(e);
}

function lockParams(stage: Stage): Record<string, unknown> | undefined {
  const files: [string, unknown][] = [];
  const sorted = [...stage.params].sort((a, b) => compareCodePoints(a.file, b.file));
  for (const p of sorted) {
    let values: Record<string, unknown>;
    if (p.values !== undefined) values = p.values;
    else if (p.keys === null || p.keys.length === 0) values = {};
    else continue; // keys never read: DVC dumps a list and skips it
    const keys = mapEntries(values).map(([k]) => keyString(k)).sort(compareCodePoints);
    const kv = ordered(keys.map((k) => [k, values[k]]));
    if (p.file === DEFAULT_PARAMS_FILE) files.unshift([p.file, kv]);
    else files.push([p.file, kv]);
  }
  return files.length ? ordered(files) : undefined;
}

/** The YAML text of `lockEntry(stage)`, as DVC dumps it (e.g. into the run-cache). */
export function dumpLockEntry(stage: Stage): string {
  return emitYaml(lockEntry(stage));
}

/**
 * The YAML of each stage entry as it appears under `stages:`, remembered
 * per entry object (entries are replaced, never mutated), so that a writer
 * rewriting dvc.lock after every stage emits each entry once instead of the
 * whole file each time. See formatLockFile.
 */
export type LockEntryTexts = WeakMap<LockEntry, { name: string; text: string }>;

/** The top-level keys of the lock document in order (stages in map order, `schema` first). */
function lockTop(lock: LockData): [string, unknown][] {
  const top: [string, unknown][] = [];
  const raw = lock.raw;
  const rawKeys = entriesOf(raw).map(([k]) => k);
  if (!rawKeys.includes("schema")) top.push(["schema", LOCK_SCHEMA_VERSION]);
  let stagesDone = false;
  const stages = ordered([...lock.stages]);
  for (const [k, v] of entriesOf(raw)) {
    if (k === "stages") {
      top.push(["stages", stages]);
      stagesDone = true;
    } else top.push([k, v]);
  }
  if (!stagesDone) top.push(["stages", stages]);
  return top;
}

/**
 * The dvc.lock text for `lock` (stages in map order, `schema` first). With
 * `texts`, the document is put together from the YAML of each top-level key
 * and of each stage entry (cached there): a block mapping's emission depends
 * only on its indentation, never on its siblings, so the pieces join into
 * exactly the text of one emission (tests/unit/dvcfile/lock_file_test.ts
 * checks it).
 */
export function formatLockFile(lock: LockData, texts?: LockEntryTexts): string {
  const top = lockTop(lock);
  if (!texts) return emitYaml(ordered(top));
  let out = "";
  for (const [k, v] of top) {
    if (k !== "stages" || lock.stages.size === 0) {
      out += emitYaml(ordered([[k, v]]));
      continue;
    }
    out += "stages:\n";
    for (const [name, entry] of lock.stages) {
      let t = texts.get(entry);
      if (t?.name !== name) {
        const one = emitYaml(ordered([["stages", ordered([[name, entry]])]]));
        if (!one.startsWith("stages:\n")) return emitYaml(ordered(top)); // never expected
        t = { name, text: one.slice("stages:\n".length) };
        texts.set(entry, t);
      }
      out += t.text;
    }
  }
  return out;
}

/**
 * Write the entries of `stages` into `<root>/<file>` (DVC
 * `Lockfile.dump_stages`): replaced in place or appended. Returns true if
 * the file changed (DVC then tells git to track it).
 */
export function updateLockFile(root: string, file: string, stages: Stage[]): boolean {
  const full = `${root}/${file}`;
  let before: string | undefined;
  try {
    before = Deno.readTextFileSync(full);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw fsError(err, "reading", file);
  }
  const lock = before === undefined ? { stages: new Map(), raw: {} } : parseLockFile(before, file);
  for (const stage of stages) lock.stages.set(stage.name, lockEntry(stage));
  const text = formatLockFile(lock);
  if (text === before) return false;
  writeTextAtomic(full, text);
  return true;
}

/**
 * Remove the entries of the named stages; the file is deleted when no
 * stage is left. Returns true if anything changed.
 */
export function removeLockEntries(root: string, file: string, names: string[]): boolean {
  const lock = readLockFile(root, file);
  if (!lock) return false;
  let changed = false;
  for (const n of names) changed = lock.stages.delete(n) || changed;
  if (!changed) return false;
  if (lock.stages.size === 0) {
    try {
      Deno.removeSync(`${root}/${file}`);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw fsError(err, "removing", file);
    }
    return true;
  }
  writeTextAtomic(`${root}/${file}`, formatLockFile(lock));
  return true;
}
