/**
 * Editing dvc.yaml the way DVC does (`ProjectFile._dump_pipeline_file`,
 * `remove_stage`), while leaving every untouched byte of the file alone:
 * a stage is written as `to_pipeline_file` data applied onto the existing
 * definition (`apply_diff`: kept keys keep their place and text, changed
 * keys are rewritten, new keys go last, dropped keys disappear), new stages
 * are appended to `stages`. Comments outside rewritten keys survive.
 * Parametrized stages (templated, foreach, matrix) are refused.
 */
import type { Node as YNode } from "npm:yaml@^2.9.1";
import { yaml } from "../py/yaml_lib.ts";
import { CairnError, fsError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";
import { compareCodePoints } from "../py/canonical_json.ts";
import { isPlainMapping, keyString, mapEntries } from "../py/value.ts";
import type { Output, ParamDependency, Stage } from "../stage/types.ts";
import { entriesOf, ordered } from "./_entries.ts";
import { dirName, relPath } from "./_paths.ts";
import { applyDiff } from "./apply_diff.ts";
import {
  DEFAULT_PARAMS_FILE,
  loadPipelineFile,
  lockPathFor,
  type PipelineOptions,
} from "./pipeline_file.ts";
import { removeLockEntries } from "./lock_file.ts";
import { emitYaml } from "../py/yaml_emit.ts";
import { loadYaml } from "../py/yaml_parse.ts";

const { isMap, isPair, isScalar, isSeq, parseDocument } = yaml;

/** `dvc stage add` over an existing stage without `--force`. */
export class StageExistsError extends CairnError {
  constructor(name: string, file: string) {
    super(`Stage '${name}' already exists in '${file}'.`, {
      hint: "Use '--force' to overwrite.",
    });
  }
}

/** Writing a stage whose definition is templated/generated. */
export class ParametrizedDumpError extends CairnError {
  constructor(action: string, stage: Stage) {
    super(`cannot ${action} a parametrized stage: '${stage.name}'`);
  }
}

// ---------------------------------------------------------------------------
// to_pipeline_file

/**
 * Params of a stage as `dvc stage add` writes them (`_serialize_params_keys`):
 * params.yaml keys first (sorted), then `{file: [sorted keys] | null}` per
 * other file, files sorted.
 */
export function serializeParamsKeys(params: ParamDependency[]): unknown[] {
  let keys: unknown[] = [];
  const sorted = [...params].sort((a, b) => compareCodePoints(a.file, b.file));
  for (const p of sorted) {
    const k = [...(p.keys ?? [])].sort(compareCodePoints);
    if (k.length && p.file === DEFAULT_PARAMS_FILE) keys = [...k, ...keys];
    else keys.push(ordered([[p.file, k.length ? k : null]]));
  }
  return keys;
}

function outFlags(o: Output): [string, unknown][] {
  const f: [string, unknown][] = [];
  if (o.desc) f.push(["desc", o.desc]);
  if (o.type) f.push(["type", o.type]);
  if (o.labels?.length) f.push(["labels", o.labels]);
  if (o.meta !== undefined && o.meta !== null && !isEmpty(o.meta)) f.push(["meta", o.meta]);
  if (!o.cache) f.push(["cache", false]);
  if (o.persist) f.push(["persist", true]);
  if (o.kind === "plot" && o.plotProps) f.push(...entriesOf(o.plotProps));
  if (o.remote) f.push(["remote", o.remote]);
  if (!o.push) f.push(["push", false]);
  return f;
}

function isEmpty(v: unknown): boolean {
  if (Array.isArray(v)) return v.length === 0;
  if (isPlainMapping(v)) return Object.keys(v).length === 0;
  return v === "" || v === false;
}

/**
 * A stage's dvc.yaml definition as DVC writes it (`to_pipeline_file`): keys
 * `desc, cmd, wdir, deps, params, outs, metrics, plots, frozen,
 * always_changed, meta` (empty ones left out); deps and each output list
 * sorted by path; output flags in DVC's order.
 */
export function pipelineStageData(stage: Stage): Record<string, unknown> {
  const e: [string, unknown][] = [];
  if (stage.desc) e.push(["desc", stage.desc]);
  if (stage.cmd === undefined || stage.cmd === "" || isEmpty(stage.cmd)) {
    throw new CairnError(`'cmd' cannot be empty for stage '${stage.name}'`);
  }
  e.push(["cmd", stage.cmd]);
  const wdir = relPath(stage.wdir, dirName(stage.file));
  if (wdir !== ".") e.push(["wdir", wdir]);
  const deps = stage.deps.map((d) => d.path).sort(compareCodePoints);
  if (deps.length) e.push(["deps", deps]);
  const params = serializeParamsKeys(stage.params);
  if (params.length) e.push(["params", params]);
  const buckets: Record<string, unknown[]> = { outs: [], metrics: [], plots: [] };
  const outs = [...stage.outs].sort((a, b) => compareCodePoints(a.path, b.path));
  for (const o of outs) {
    const bucket = o.kind === "plot" ? "plots" : o.kind === "metric" ? "metrics" : "outs";
    const flags = outFlags(o);
    buckets[bucket].push(flags.length ? ordered([[o.path, ordered(flags)]]) : o.path);
  }
  for (const k of ["outs", "metrics", "plots"]) if (buckets[k].length) e.push([k, buckets[k]]);
  if (stage.frozen) e.push(["frozen", true]);
  if (stage.alwaysChanged) e.push(["always_changed", true]);
  if (stage.meta !== undefined && stage.meta !== null && !isEmpty(stage.meta)) {
    e.push(["meta", stage.meta]);
  }
  return ordered(e);
}

// ---------------------------------------------------------------------------
// Text surgery

interface Span {
  start: number;
  end: number;
}

class YamlText {
  doc;
  lc = new yaml.LineCounter();
  constructor(readonly text: string, readonly file: string) {
    // uniqueKeys off: the library checks duplicates in quadratic time; loadYaml did it
    this.doc = parseDocument(text, {
      lineCounter: this.lc,
      keepSourceTokens: false,
      uniqueKeys: false,
    });
  }

  lineStart(off: number): number {
    return this.text.lastIndexOf("\n", off - 1) + 1;
  }

  lineEnd(off: number): number {
    const nl = this.text.indexOf("\n", off);
    return nl < 0 ? this.text.length : nl + 1;
  }

  column(off: number): number {
    return off - this.lineStart(off);
  }

  /** End offset of the last real content of a node (trailing comments excluded). */
  contentEnd(n: YNode | null | undefined, fallback: number): number {
    if (!n || !n.range) return fallback;
    if ((isMap(n) || isSeq(n)) && !n.flow && n.items.length) {
      const last = n.items[n.items.length - 1];
      if (isPair(last)) {
        const k = last.key as YNode | null;
        return this.contentEnd(last.value as YNode | null, k?.range?.[1] ?? fallback);
      }
      return this.contentEnd(last as YNode, n.range[1]);
    }
    return n.range[1];
  }

  /** Lines of a pair: from its key's line start to the end of its last content line. */
  pairSpan(p: { key: unknown; value: unknown }): Span {
    const k = p.key as YNode;
    const start = this.lineStart(k.range![0]);
    const end = this.contentEnd(p.value as YNode | null, k.range![1]);
    return { start, end: this.lineEnd(Math.max(end - 1, start)) };
  }
}

/** Emit `{key: value}` so that `key` starts at `column` (folding as at that depth). */
function emitAt(key: string, value: unknown, column: number): string {
  let wrapped: unknown = ordered([[key, value]]);
  const levels = Math.floor(column / 2);
  for (let i = 0; i < levels; i++) wrapped = ordered([["_", wrapped]]);
  const lines = emitYaml(wrapped).split("\n").slice(levels);
  const pad = column % 2 ? " " : "";
  return lines.map((l) => (l ? pad + l : l)).join("\n");
}

/**
 * `key: [a, b]` as ruamel writes a flow sequence of plain scalars; undefined
 * when an item is not a one-line scalar that stays plain in flow context (the
 * caller then writes block style).
 */
function flowSeqAt(key: string, value: unknown, column: number): string | undefined {
  if (!Array.isArray(value)) return undefined;
  const items: string[] = [];
  for (const v of value) {
    if (v !== null && typeof v === "object") return undefined;
    const text = emitYaml([v]);
    if (!text.startsWith("- ") || text.indexOf("\n") !== text.length - 1) return undefined;
    const item = text.slice(2, -1);
    if (/[,[\]{}]/.test(item) || item === "") return undefined;
    items.push(item);
  }
  const line = `${" ".repeat(column)}${emitAt(key, "x", 0).split(":")[0]}: [${items.join(", ")}]\n`;
  return line.length > 81 ? undefined : line;
}

function splice(text: string, edits: { span: Span; text: string }[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.span.start - a.span.start)) {
    out = out.slice(0, e.span.start) + e.text + out.slice(e.span.end);
  }
  return out;
}

function withNewline(text: string): string {
  return text === "" || text.endsWith("\n") ? text : text + "\n";
}

/**
 * New dvc.yaml text with stage `name` set to `data` (applied onto an existing
 * definition as DVC's apply_diff does) or removed (`data` null).
 * Returns the text unchanged if there is nothing to do.
 */
export function editStageText(
  text: string,
  file: string,
  name: string,
  data: Record<string, unknown> | null,
): string {
  if (text.trim() === "" || loadYaml(text, file) === null) {
    return data ? emitYaml(ordered([["stages", ordered([[name, data]])]])) : text;
  }
  const yt = new YamlText(text, file);
  const top = yt.doc.contents;
  if (!isMap(top) || top.flow) {
    throw new CairnError(`'${file}' is invalid: expected a mapping at the top`);
  }
  const stagesPair = top.items.find((p) => isScalar(p.key) && p.key.value === "stages");
  if (!stagesPair) {
    if (!data) return text;
    const block = emitYaml(ordered([["stages", ordered([[name, data]])]]));
    return withNewline(text) + block;
  }
  const stages = stagesPair.value as YNode | null;
  const plain = loadYaml(text, file) as Record<string, unknown>;
  const plainStages = isPlainMapping(plain.stages) ? plain.stages : {};
  if (!isMap(stages) || stages.flow || stages.items.length === 0) {
    // `stages:` empty or in flow style: rewrite that key as a whole.
    const entries = entriesOf(plainStages).filter(([k]) => k !== name);
    if (data) entries.push([name, data]);
    const span = yt.pairSpan(stagesPair);
    const col = yt.column((stagesPair.key as YNode).range![0]);
    if (!entries.length) return splice(text, [{ span, text: "" }]);
    return splice(text, [{ span, text: emitAt("stages", ordered(entries), col) }]);
  }
  const pair = stages.items.find((p) => isScalar(p.key) && keyString(p.key.value) === name);
  const col = yt.column((stages.items[0].key as YNode).range![0]);
  if (!pair) {
    if (!data) return text;
    const last = stages.items[stages.items.length - 1];
    let at = yt.pairSpan(last).end;
    let base = text;
    if (at === text.length && !text.endsWith("\n")) {
      base = text + "\n";
      at++;
    }
    return splice(base, [{ span: { start: at, end: at }, text: emitAt(name, data, col) }]);
  }
  const stageSpan = yt.pairSpan(pair);
  if (!data) return splice(text, [{ span: stageSpan, text: "" }]);
  const orig = plainStages[name];
  const merged = applyDiff(data, orig) as Record<string, unknown>;
  const body = pair.value as YNode | null;
  if (!isMap(body) || body.flow || !isPlainMapping(orig)) {
    return splice(text, [{ span: stageSpan, text: emitAt(name, merged, col) }]);
  }
  const edits: { span: Span; text: string }[] = [];
  const keyCol = yt.column((body.items[0].key as YNode).range![0]);
  let lastEnd = stageSpan.start;
  const origKeys = new Set<string>();
  for (const p of body.items) {
    const k = keyString((p.key as { value?: unknown }).value);
    origKeys.add(k);
    const span = yt.pairSpan(p);
    lastEnd = Math.max(lastEnd, span.end);
    if (!Object.hasOwn(merged, k)) {
      edits.push({ span, text: "" });
      continue;
    }
    const before = emitAt(k, orig[k], keyCol);
    const after = emitAt(k, merged[k], keyCol);
    if (before === after) continue;
    // ruamel keeps a flow sequence in flow style when apply_diff edits its items
    const flow = isSeq(p.value) && p.value.flow ? flowSeqAt(k, merged[k], keyCol) : undefined;
    edits.push({ span, text: flow ?? after });
  }
  const added = mapEntries(merged).filter(([k]) => !origKeys.has(keyString(k)));
  if (added.length) {
    const block = added.map(([k, v]) => emitAt(keyString(k), v, keyCol)).join("");
    edits.push({ span: { start: lastEnd, end: lastEnd }, text: block });
  }
  if (!edits.length) return text;
  const needsNl = lastEnd === text.length && !text.endsWith("\n");
  return splice(needsNl ? text + "\n" : text, edits);
}

/**
 * New dvc.yaml text with the top-level key `key` (`metrics`, `plots`,
 * `params`, ...) set to `value`, or removed when `value` is undefined: the
 * key is rewritten in place or appended at the end (as ruamel's round-trip
 * dump does), every other byte is kept. Used by the Live logger, which
 * updates these sections the way DVCLive's `modify_yaml` does.
 */
export function editTopLevelText(
  text: string,
  file: string,
  key: string,
  value: unknown,
): string {
  if (text.trim() === "" || loadYaml(text, file) === null) {
    return value === undefined ? text : emitYaml(ordered([[key, value]]));
  }
  const yt = new YamlText(text, file);
  const top = yt.doc.contents;
  if (!isMap(top) || top.flow) {
    throw new CairnError(`'${file}' is invalid: expected a mapping at the top`);
  }
  const pair = top.items.find((p) => isScalar(p.key) && keyString(p.key.value) === key);
  if (!pair) {
    if (value === undefined) return text;
    return withNewline(text) + emitAt(key, value, 0);
  }
  const span = yt.pairSpan(pair);
  const col = yt.column((pair.key as YNode).range![0]);
  const next = value === undefined ? "" : emitAt(key, value, col);
  const base = span.end === text.length && !text.endsWith("\n") ? text + "\n" : text;
  const end = base === text ? span.end : span.end + 1;
  if (base.slice(span.start, end) === next) return text;
  return splice(base, [{ span: { start: span.start, end }, text: next }]);
}

function readMaybe(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return undefined;
    throw fsError(err, "reading", path);
  }
}

function writeIfChanged(full: string, before: string | undefined, after: string): boolean {
  if (after === before) return false;
  writeTextAtomic(full, after, { mkdirs: true });
  return true;
}

export interface AddStageOptions {
  /** replace an existing stage of that name (`dvc stage add -f`). */
  force?: boolean;
}

export interface AddStageResult {
  /** the dvc.yaml did not exist before. */
  created: boolean;
  /** an existing stage was replaced. */
  replaced: boolean;
}

/**
 * `dvc stage add`: write `stage` into `<root>/<stage.file>` (created if
 * missing). An existing stage needs `force` and must not be parametrized.
 */
export function addStage(
  root: string,
  stage: Stage,
  opts: AddStageOptions & PipelineOptions = {},
): AddStageResult {
  const full = `${root}/${stage.file}`;
  const before = readMaybe(full);
  let replaced = false;
  if (before !== undefined) {
    const plain = loadYaml(before, stage.file);
    const stages = isPlainMapping(plain) && isPlainMapping(plain.stages) ? plain.stages : {};
    if (Object.hasOwn(stages, stage.name)) {
      if (!opts.force) throw new StageExistsError(stage.name, stage.file);
      const existing = loadPipelineFile(root, stage.file, { ...opts, root, lock: false })
        .stages.find((s) => s.name === stage.name);
      if (!existing || existing.parametrized) {
        throw new ParametrizedDumpError("dump", existing ?? stage);
      }
      replaced = true;
    }
  }
  const data = pipelineStageData(stage);
  writeIfChanged(full, before, editStageText(before ?? "", stage.file, stage.name, data));
  return { created: before === undefined, replaced };
}

/**
 * Rewrite an existing, non-parametrized stage from `stage` (DVC
 * `stage.dump(update_lock=False)`): used by freeze/unfreeze, plots modify.
 * Returns true if the file changed.
 */
export function dumpStage(root: string, stage: Stage): boolean {
  if (stage.parametrized) throw new ParametrizedDumpError("dump", stage);
  const full = `${root}/${stage.file}`;
  const before = readMaybe(full) ?? "";
  return writeIfChanged(
    full,
    before,
    editStageText(before, stage.file, stage.name, pipelineStageData(stage)),
  );
}

function loadStage(root: string, file: string, name: string, opts: PipelineOptions): Stage {
  const pf = loadPipelineFile(root, file, { ...opts, root, lock: false });
  const stage = pf.stages.find((s) => s.name === name);
  if (!stage) throw new CairnError(`Stage '${name}' not found inside '${file}' file`);
  return stage;
}

/** `dvc freeze` / `dvc unfreeze` of stage `name` in `<root>/<file>`. */
export function setFrozen(
  root: string,
  file: string,
  name: string,
  frozen: boolean,
  opts: PipelineOptions = {},
): boolean {
  const stage = loadStage(root, file, name, opts);
  stage.frozen = frozen;
  return dumpStage(root, stage);
}

export interface PlotPropsEdit {
  /** properties to set (`template`, `x`, `y`, `x_label`, `y_label`, `title`, `header`). */
  props?: Record<string, unknown>;
  /** properties to remove. */
  unset?: string[];
}

/**
 * `dvc plots modify` for output `outPath` (as written in the stage) of stage
 * `name`: the output becomes a plot (if it was not) with updated props.
 */
export function modifyPlotProps(
  root: string,
  file: string,
  name: string,
  outPath: string,
  edit: PlotPropsEdit,
  opts: PipelineOptions = {},
): boolean {
  const stage = loadStage(root, file, name, opts);
  const out = stage.outs.find((o) => o.path === outPath);
  if (!out) throw new CairnError(`Unable to find DVC file with output '${outPath}'`);
  if (out.kind !== "plot" && edit.unset !== undefined) {
    throw new CairnError(`'${outPath}' is not a plot.`);
  }
  const props = new Map(out.kind === "plot" ? entriesOf(out.plotProps ?? {}) : []);
  for (const k of edit.unset ?? []) props.delete(k);
  for (const [k, v] of Object.entries(edit.props ?? {})) props.set(k, v);
  out.kind = "plot";
  out.plotProps = props.size ? ordered([...props]) : undefined;
  return dumpStage(root, stage);
}

/**
 * `dvc remove <stage>`: drop the stage from dvc.yaml and its entry from
 * dvc.lock. Like DVC, a dvc.yaml (and dvc.lock) left without stages is
 * deleted. Returns true if anything changed.
 */
export function removeStage(
  root: string,
  file: string,
  name: string,
  opts: PipelineOptions = {},
): boolean {
  const full = `${root}/${file}`;
  const before = readMaybe(full);
  const stage = before === undefined ? undefined : loadPipelineFile(root, file, {
    ...opts,
    root,
    lock: false,
  }).stages.find((s) => s.name === name);
  if (stage?.parametrized) throw new ParametrizedDumpError("remove", stage);
  const lockChanged = removeLockEntries(root, lockPathFor(file), [name]);
  if (before === undefined || !stage) return lockChanged;
  const after = editStageText(before, file, name, null);
  const plain = loadYaml(after, file);
  const left = isPlainMapping(plain) && isPlainMapping(plain.stages)
    ? Object.keys(plain.stages).length
    : 0;
  if (left === 0) {
    Deno.removeSync(full);
    return true;
  }
  return writeIfChanged(full, before, after) || lockChanged;
}
