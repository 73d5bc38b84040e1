/**
 * dvc.yaml (dvc-spec §3): schema check, `${}` templating with params.yaml and
 * `vars`, foreach/do and matrix generation, and conversion of every
 * (generated) stage to the Stage model. Top-level `params`, `metrics`,
 * `plots`, `artifacts` and `datasets` are resolved too. Errors are
 * DvcFileSyntaxError with file, line, column and the stage concerned.
 */
import { CairnError, DvcFileSyntaxError, fsError } from "../errors.ts";
import { isPlainMapping, keyString, mapEntries, pyEquals } from "../py/value.ts";
import type { Output, OutputKind, ParamDependency, Stage } from "../stage/types.ts";
import { parseParams } from "../params/load.ts";
import {
  checkExpression,
  Context,
  hasInterpolation,
  isNode,
  type ParsingConfig,
  resolveData,
  ResolveError,
  resolveStr,
  toStr,
  type TrackedVars,
  unwrap,
} from "./_context.ts";
import { ordered } from "./_entries.ts";
import { dirName, joinPath } from "./_paths.ts";
import { Checker, typeName } from "./_schema.ts";
import { parseYaml, type PosIndex, type YamlPos } from "../py/yaml_parse.ts";
import { mergeLockIntoStages, readLockFile } from "./lock_file.ts";

export type { ParsingConfig, TrackedVars } from "./_context.ts";

export const DEFAULT_PARAMS_FILE = "params.yaml";
/** Most stages one `matrix` may generate (real ones have tens; 8 lists of 10 make 10^8). */
export const MAX_MATRIX_STAGES = 10_000;

/** Joins a foreach/matrix group name and its key: `build@us`. */
export const JOIN = "@";

/** A top-level `plots:` entry: `- path` / `- id: {props}` / `- id:`. */
export interface PlotDefinition {
  id: string;
  /** null for a bare string or an id without properties. */
  props: Record<string, unknown> | null;
}

/** A top-level `artifacts:` entry. */
export interface ArtifactDefinition {
  name: string;
  path: string;
  type?: string;
  desc?: string;
  labels?: string[];
  meta?: unknown;
}

export interface PipelineFile {
  /** repo-relative path of the dvc.yaml. */
  file: string;
  /** every stage, generated ones expanded in place (dvc.yaml order). */
  stages: Stage[];
  /**
   * per stage name: the file-sourced `${}` values it used
   * (`{"params.yaml": {"train.epochs": 3}}`), for params diff / exp show.
   */
  trackedVars: Record<string, TrackedVars>;
  /** resolved top-level sections; paths relative to the dvc.yaml's directory. */
  params: string[];
  metrics: string[];
  plots: PlotDefinition[];
  artifacts: ArtifactDefinition[];
  datasets: Record<string, unknown>[];
  /** the validated, uninterpolated file data. */
  raw: Record<string, unknown>;
}

export interface PipelineOptions {
  /**
   * Read a repo-relative file (params/vars files); undefined if it does not
   * exist. Default: read from disk under `root`.
   */
  readText?: (path: string) => string | undefined;
  /** repo root for the default reader. */
  root?: string;
  /** `parsing` config section (bool/list flag styles for dict-in-cmd). */
  parsing?: ParsingConfig;
}

/** Load `<root>/<file>` (a dvc.yaml) and merge its dvc.lock when present. */
export function loadPipelineFile(
  root: string,
  file: string,
  opts: PipelineOptions & { lock?: boolean } = {},
): PipelineFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(`${root}/${file}`);
  } catch (err) {
    throw fsError(err, "reading", file);
  }
  const pf = parsePipelineFile(text, file, { root, ...opts });
  if (opts.lock !== false) {
    const lockPath = lockPathFor(file);
    const lock = readLockFile(root, lockPath);
    if (lock) mergeLockIntoStages(pf.stages, lock);
  }
  return pf;
}

/** `dvc.yaml` -> `dvc.lock` next to it. */
export function lockPathFor(file: string): string {
  return file.replace(/\.yaml$/, "") + ".lock";
}

/** Parse and resolve dvc.yaml text. `file` is its repo-relative path. */
export function parsePipelineFile(
  text: string,
  file: string,
  opts: PipelineOptions = {},
): PipelineFile {
  const { value, positions } = parseYaml(text, file);
  const data = value ?? {};
  const ck = new Checker(file, positions);
  validatePipeline(data, ck);
  const raw = data as Record<string, unknown>;
  return new Resolver(raw, file, positions, opts).run();
}

// ---------------------------------------------------------------------------
// Schema (dvc/schema.py MULTI_STAGE_SCHEMA)

const TOP_KEYS = ["stages", "vars", "params", "metrics", "plots", "artifacts", "datasets"];
const STAGE_KEYS = [
  "matrix",
  "cmd",
  "wdir",
  "deps",
  "params",
  "vars",
  "frozen",
  "meta",
  "desc",
  "always_changed",
  "outs",
  "metrics",
  "plots",
];
const ANNOTATION_KEYS = ["desc", "type", "labels", "meta"];
const OUT_FLAG_KEYS = [...ANNOTATION_KEYS, "cache", "persist", "checkpoint", "remote", "push"];
const PLOT_PROP_KEYS = ["template", "x", "y", "x_label", "y_label", "title", "header"];
const PLOT_DEF_KEYS = ["x", "y", "x_label", "y_label", "title", "template"];

/** Characters a stage name may never contain in a dvc.yaml (address syntax). */
const BAD_NAME_CHARS = /[:@/\\]/;

/** `dvc stage add` rule: no punctuation other than `_` and `-`. */
export function isValidStageName(name: string): boolean {
  return name !== "" && !/[!"#$%&'()*+,./:;<=>?@[\\\]^`{|}~]/.test(name);
}

function validatePipeline(data: unknown, ck: Checker): asserts data is Record<string, unknown> {
  if (!isPlainMapping(data)) {
    ck.fail(data, undefined, `expected a mapping at the top, got ${typeName(data)}`);
  }
  ck.keys(data, TOP_KEYS, "dvc.yaml");
  if (data.stages !== undefined) {
    const stages = ck.mapping(data, "stages", "stages");
    for (const [k, def] of mapEntries(stages)) {
      const name = keyString(k);
      if (typeof k !== "string" || name === "" || BAD_NAME_CHARS.test(name)) {
        ck.fail(stages, name, `invalid stage name '${name}'`, true);
      }
      const where = `stages.${name}`;
      ck.mapping(stages, name, where);
      validateStage(def as Record<string, unknown>, ck, where);
    }
  }
  if (data.vars !== undefined) validateVars(data, ck, "vars");
  for (const key of ["params", "metrics"]) {
    if (data[key] === undefined) continue;
    const list = ck.list(data, key, key);
    list.forEach((_, i) => ck.str(list, i, `${key}[${i}]`));
  }
  if (data.plots !== undefined) {
    const list = ck.list(data, "plots", "plots");
    list.forEach((item, i) => {
      if (typeof item === "string") return;
      const m = ck.mapping(list, i, `plots[${i}]`);
      for (const [id, props] of mapEntries(m)) {
        if (props === null) continue;
        const pw = `plots[${i}].${keyString(id)}`;
        const p = ck.mapping(m, keyString(id), pw);
        ck.keys(p, PLOT_DEF_KEYS, pw);
        validatePlotDef(p, ck, pw);
      }
    });
  }
  if (data.artifacts !== undefined) {
    const arts = ck.mapping(data, "artifacts", "artifacts");
    for (const [name] of mapEntries(arts)) {
      const where = `artifacts.${keyString(name)}`;
      const a = ck.mapping(arts, keyString(name), where);
      ck.keys(a, ["path", ...ANNOTATION_KEYS], where);
      ck.required(a, "path", where);
      ck.str(a, "path", `${where}.path`);
      validateAnnotations(a, ck, where);
    }
  }
}

function validatePlotDef(p: Record<string, unknown>, ck: Checker, where: string) {
  for (const k of ["x_label", "y_label", "title", "template"]) {
    if (p[k] !== undefined) ck.str(p, k, `${where}.${k}`);
  }
  if (p.x !== undefined && typeof p.x !== "string") {
    const x = ck.mapping(p, "x", `${where}.x`);
    for (const [f] of mapEntries(x)) ck.str(x, keyString(f), `${where}.x`);
  }
  if (p.y !== undefined && typeof p.y !== "string") {
    if (Array.isArray(p.y)) p.y.forEach((_, i) => ck.str(p.y, i, `${where}.y`));
    else {
      const y = ck.mapping(p, "y", `${where}.y`);
      for (const [f, v] of mapEntries(y)) {
        if (Array.isArray(v)) v.forEach((_, i) => ck.str(v, i, `${where}.y`));
        else ck.str(y, keyString(f), `${where}.y`);
      }
    }
  }
}

function validateAnnotations(a: Record<string, unknown>, ck: Checker, where: string) {
  for (const k of ["desc", "type"]) if (a[k] !== undefined) ck.str(a, k, `${where}.${k}`);
  if (a.labels !== undefined) {
    const l = ck.list(a, "labels", `${where}.labels`);
    l.forEach((_, i) => ck.str(l, i, `${where}.labels`));
  }
}

function validateVars(container: Record<string, unknown>, ck: Checker, where: string) {
  const list = ck.list(container, "vars", where);
  list.forEach((item, i) => {
    if (typeof item !== "string" && !isPlainMapping(item)) {
      ck.fail(list, i, `expected str or a mapping for '${where}[${i}]', got ${typeName(item)}`);
    }
  });
}

function validateStage(def: Record<string, unknown>, ck: Checker, where: string) {
  if ("foreach" in def || "do" in def) {
    ck.keys(def, ["foreach", "do"], where);
    ck.required(def, "foreach", where);
    ck.required(def, "do", where);
    const fe = def.foreach;
    if (typeof fe !== "string" && !Array.isArray(fe) && !isPlainMapping(fe)) {
      ck.fail(
        def,
        "foreach",
        `expected dict, list or str for '${where}.foreach', got ${typeName(fe)}`,
      );
    }
    const body = ck.mapping(def, "do", `${where}.do`);
    validateStage(body, ck, `${where}.do`);
    return;
  }
  ck.keys(def, STAGE_KEYS, where);
  ck.required(def, "cmd", where);
  if (typeof def.cmd !== "string" && !Array.isArray(def.cmd)) {
    ck.fail(def, "cmd", `expected str or list for '${where}.cmd', got ${typeName(def.cmd)}`);
  }
  if (def.matrix !== undefined) {
    const m = ck.mapping(def, "matrix", `${where}.matrix`);
    for (const [k, v] of mapEntries(m)) {
      if (typeof v !== "string" && !Array.isArray(v)) {
        ck.fail(m, keyString(k), `expected str or list for '${where}.matrix.${keyString(k)}'`);
      }
    }
  }
  if (def.wdir !== undefined) ck.str(def, "wdir", `${where}.wdir`);
  if (def.desc !== undefined) ck.str(def, "desc", `${where}.desc`);
  for (const k of ["frozen", "always_changed"]) {
    if (def[k] !== undefined) ck.bool(def, k, `${where}.${k}`);
  }
  if (def.deps !== undefined) {
    const deps = ck.list(def, "deps", `${where}.deps`);
    deps.forEach((_, i) => ck.str(deps, i, `${where}.deps[${i}]`));
  }
  if (def.params !== undefined) {
    const ps = ck.list(def, "params", `${where}.params`);
    ps.forEach((p, i) => {
      if (typeof p !== "string" && !isPlainMapping(p)) {
        ck.fail(ps, i, `expected str or a mapping for '${where}.params[${i}]', got ${typeName(p)}`);
      }
    });
  }
  if (def.vars !== undefined) validateVars(def, ck, `${where}.vars`);
  for (const kind of ["outs", "metrics", "plots"]) {
    if (def[kind] === undefined) continue;
    const list = ck.list(def, kind, `${where}.${kind}`);
    list.forEach((item, i) => {
      const iw = `${where}.${kind}[${i}]`;
      if (typeof item === "string") return;
      const m = ck.mapping(list, i, iw);
      for (const [p, flags] of mapEntries(m)) {
        const fw = `${iw}.${keyString(p)}`;
        const allowed = kind === "plots" ? [...OUT_FLAG_KEYS, ...PLOT_PROP_KEYS] : OUT_FLAG_KEYS;
        const check = (f: Record<string, unknown>) => {
          ck.keys(f, allowed, fw);
          for (const b of ["cache", "persist", "checkpoint", "push", "header"]) {
            if (f[b] !== undefined) ck.bool(f, b, `${fw}.${b}`);
          }
          for (const s of ["remote", "template", "x", "y", "x_label", "y_label", "title"]) {
            if (f[s] !== undefined) ck.str(f, s, `${fw}.${s}`);
          }
          validateAnnotations(f, ck, fw);
        };
        if (kind === "plots" && Array.isArray(flags)) {
          flags.forEach((_, j) => check(ck.mapping(flags, j, fw)));
        } else check(ck.mapping(m, keyString(p), fw));
      }
    });
  }
}

// ---------------------------------------------------------------------------
// Resolution (dvc/parsing/__init__.py)

class Resolver {
  dir: string;
  ctx: Context;
  ck: Checker;
  readText: (path: string) => string | undefined;
  trackedVars: Record<string, TrackedVars> = {};
  parsedFiles = new Map<string, unknown>();

  constructor(
    readonly raw: Record<string, unknown>,
    readonly file: string,
    readonly pos: PosIndex,
    readonly opts: PipelineOptions,
  ) {
    this.dir = dirName(file);
    this.ck = new Checker(file, pos);
    const root = opts.root ?? ".";
    this.readText = opts.readText ?? ((p) => {
      try {
        return Deno.readTextFileSync(`${root}/${p}`);
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return undefined;
        if (err instanceof Deno.errors.IsADirectory) {
          throw new ResolveError(`'${p}' is a directory`);
        }
        throw fsError(err, "reading", p);
      }
    });
    this.ctx = new Context();
  }

  /** Parsed params/vars file (cached); throws ResolveError when missing. */
  readData = (path: string): unknown => {
    if (this.parsedFiles.has(path)) return this.parsedFiles.get(path);
    const text = this.readText(path);
    if (text === undefined) throw new ResolveError(`'${path}' does not exist`);
    const data = parseParams(text, path);
    this.parsedFiles.set(path, data);
    return data;
  };

  error(msg: string, at?: YamlPos, container?: unknown, key?: string | number): never {
    let p = at;
    if (!p && container !== undefined && key !== undefined) p = this.pos.value(container, key);
    throw new DvcFileSyntaxError(this.file, msg, p ?? {});
  }

  run(): PipelineFile {
    const raw = this.raw;
    const vars = (raw.vars as unknown[] | undefined) ?? [];
    this.checkNoInterpolation(vars, "vars", raw, "vars");
    try {
      if (this.readText(joinPath(this.dir, DEFAULT_PARAMS_FILE)) !== undefined) {
        this.ctx.mergeFrom(DEFAULT_PARAMS_FILE, this.dir, this.readData);
      }
      this.ctx.loadVars(vars, this.dir, this.readData);
    } catch (e) {
      if (e instanceof ResolveError) {
        this.error(
          `failed to parse 'vars' in '${this.file}': ${e.message}`,
          undefined,
          raw,
          "vars",
        );
      }
      throw e;
    }
    const stages: Stage[] = [];
    const stagesData = (raw.stages ?? {}) as Record<string, unknown>;
    for (const [k, def] of mapEntries(stagesData)) {
      const name = keyString(k);
      const d = def as Record<string, unknown>;
      if ("matrix" in d) stages.push(...this.matrix(name, d, stagesData));
      else if ("foreach" in d) stages.push(...this.foreach(name, d, stagesData));
      else stages.push(this.entry(name, d, stagesData, false, name));
    }
    return {
      file: this.file,
      stages,
      trackedVars: this.trackedVars,
      params: this.top("params").map((x) => toStr(x)),
      metrics: this.top("metrics").map((x) => toStr(x)),
      plots: this.top("plots").map(plotDefinition),
      artifacts: this.artifacts(),
      datasets: this.top("datasets").filter(isPlainMapping),
      raw,
    };
  }

  checkNoInterpolation(v: unknown, where: string, container: unknown, key: string | number) {
    if (typeof v === "string") {
      if (hasInterpolation(v)) {
        this.error(
          `failed to parse '${where}' in '${this.file}': interpolating is not allowed`,
          undefined,
          container,
          key,
        );
      }
    } else if (Array.isArray(v)) {
      v.forEach((x, i) => this.checkNoInterpolation(x, where, v, i));
    } else if (isPlainMapping(v)) {
      for (const [k, x] of mapEntries(v)) {
        this.checkNoInterpolation(keyString(k), where, v, keyString(k));
        this.checkNoInterpolation(x, where, v, keyString(k));
      }
    }
  }

  /** Check `${}` syntax in every string of a stage definition. */
  checkSyntax(def: Record<string, unknown>, name: string) {
    for (const [k, v] of mapEntries(def)) {
      const key = keyString(k);
      const walk = (x: unknown, container: unknown, at: string | number) => {
        if (typeof x === "string") {
          try {
            checkExpression(x);
          } catch (e) {
            if (!(e instanceof ResolveError)) throw e;
            this.error(
              `failed to parse 'stages.${name}.${key}' in '${this.file}': ${e.message}`,
              undefined,
              container,
              at,
            );
          }
        } else if (Array.isArray(x)) x.forEach((y, i) => walk(y, x, i));
        else if (isPlainMapping(x)) {
          for (const [kk, y] of mapEntries(x)) {
            walk(keyString(kk), x, keyString(kk));
            walk(y, x, keyString(kk));
          }
        }
      };
      walk(v, def, key);
    }
  }

  /** Resolve one (possibly generated) stage definition into a Stage. */
  entry(
    name: string,
    def: Record<string, unknown>,
    stagesData: Record<string, unknown>,
    skipChecks: boolean,
    group: string,
  ): Stage {
    if (!skipChecks) this.checkSyntax(def, name);
    let ctx = this.ctx;
    let wdir = this.dir;
    let failAt: { c: unknown; k: string | number } | undefined;
    const at = (c: unknown, k: string | number) => {
      failAt ??= { c, k };
    };
    const where = (key: string) => `'stages.${name}.${key}'`;
    try {
      if (def.wdir !== undefined) {
        try {
          wdir = joinPath(this.dir, toStr(resolveStr(ctx, def.wdir as string)));
        } catch (e) {
          if (!(e instanceof ResolveError)) throw e;
          this.error(
            `failed to parse ${where("wdir")} in '${this.file}': ${e.message}`,
            undefined,
            def,
            "wdir",
          );
        }
      }
      const vars = (def.vars as unknown[] | undefined) ?? [];
      this.checkNoInterpolation(vars, `stages.${name}.vars`, def, "vars");
      if (vars.length) {
        ctx = ctx.clone();
        try {
          ctx.loadVars(vars, wdir, this.readData, name);
        } catch (e) {
          if (e instanceof ResolveError) {
            this.error(
              `failed to parse 'stages.${name}.vars' in '${this.file}': ${e.message}`,
              undefined,
              def,
              "vars",
            );
          }
          throw e;
        }
      }
      const tracking: TrackedVars = {};
      ctx.tracking = tracking;
      const resolved: [string, unknown][] = [];
      let current = "";
      try {
        for (const [k, v] of mapEntries(def)) {
          const key = keyString(k);
          if (key === "vars") continue;
          current = key;
          resolved.push([
            key,
            resolveData(ctx, v, {
              key,
              config: this.opts.parsing,
              at,
              origin: [def, key],
            }),
          ]);
        }
      } catch (e) {
        if (e instanceof ResolveError) {
          const p = failAt ? this.pos.value(failAt.c, failAt.k) : this.pos.value(def, current);
          this.error(
            `failed to parse ${where(current)} in '${this.file}': ${e.message}`,
            p,
          );
        }
        throw e;
      } finally {
        ctx.tracking = null;
      }
      this.trackedVars[name] = tracking;
      const data = ordered(resolved);
      const stage = this.toStage(name, data, wdir, def);
      const rawDef = stagesData[name];
      // DVC: the raw definition differs from the resolved one (vars count too).
      stage.parametrized = rawDef === undefined || !pyEquals(rawDef, data);
      if (group !== name) stage.group = group;
      return stage;
    } catch (e) {
      if (e instanceof ResolveError) {
        const p = failAt ? this.pos.value(failAt.c, failAt.k) : this.pos.of(def);
        this.error(`failed to parse stage '${name}' in '${this.file}': ${e.message}`, p);
      }
      throw e;
    }
  }

  foreach(
    name: string,
    def: Record<string, unknown>,
    stagesData: Record<string, unknown>,
  ): Stage[] {
    const template = def.do as Record<string, unknown>;
    let iterable: unknown;
    try {
      iterable = resolveData(this.ctx, def.foreach, { keepNodes: true });
    } catch (e) {
      if (e instanceof ResolveError) {
        this.error(
          `failed to parse 'stages.${name}.foreach' in '${this.file}': ${e.message}`,
          undefined,
          def,
          "foreach",
        );
      }
      throw e;
    }
    const plain = isNode(iterable) ? iterable.value : iterable;
    if (!Array.isArray(plain) && !isPlainMapping(plain)) {
      this.error(
        `failed to resolve 'stages.${name}.foreach' in '${this.file}': expected list/dictionary, got ${
          typeName(plain)
        }`,
        undefined,
        def,
        "foreach",
      );
    }
    this.checkSyntax(template, name);
    const items: [string, unknown][] = [];
    const isMap = isPlainMapping(plain);
    if (isNode(iterable) && "data" in iterable) {
      const data = iterable.data;
      if (data instanceof Map) { for (const [k, v] of data) items.push([toStr(k), v]); }
      else {
        const composite = data.some(isMapOrSeq);
        data.forEach((n, i) => items.push([composite ? String(i) : toStr(n), n]));
      }
    } else if (isMap) {
      for (const [k, v] of mapEntries(iterable as object)) items.push([toStr(k), v]);
    } else {
      const list = iterable as unknown[];
      const composite = list.some(isMapOrSeq);
      list.forEach((v, i) => items.push([composite ? String(i) : toStr(v), v]));
    }
    const seen = new Map<string, unknown>();
    for (const [k, v] of items) seen.set(k, v); // later duplicates win, first position kept
    const out: Stage[] = [];
    for (const [key, value] of seen) {
      const temp: Record<string, unknown> = { item: value };
      if (isMap) temp.key = key;
      const generated = `${name}${JOIN}${key}`;
      out.push(
        this.ctx.withTemporarily(
          temp,
          () => this.entry(generated, template, stagesData, true, name),
        ),
      );
    }
    return out;
  }

  matrix(name: string, def: Record<string, unknown>, stagesData: Record<string, unknown>): Stage[] {
    const template = ordered(
      mapEntries(def).filter(([k]) => k !== "matrix").map(([k, v]) => [keyString(k), v]),
    );
    copyPositions(this.pos, template, def);
    let resolved: unknown;
    try {
      resolved = resolveData(this.ctx, def.matrix, { keepNodes: true });
    } catch (e) {
      if (e instanceof ResolveError) {
        this.error(
          `failed to parse 'stages.${name}.matrix' in '${this.file}': ${e.message}`,
          undefined,
          def,
          "matrix",
        );
      }
      throw e;
    }
    this.checkSyntax(template, name);
    const dims: [string, unknown[]][] = [];
    for (const [k, v] of mapEntries(resolved as object)) {
      const list = isNode(v) ? ("data" in v && Array.isArray(v.data) ? v.data : [v]) : v;
      if (!Array.isArray(list)) {
        this.error(
          `failed to resolve 'stages.${name}.matrix' in '${this.file}': expected list for '${
            keyString(k)
          }'`,
          undefined,
          def,
          "matrix",
        );
      }
      dims.push([keyString(k), list]);
    }
    // A few short lists multiply into millions of stages (a cloned repo's dvc.yaml is
    // untrusted): refuse before building them.
    const count = dims.reduce((n, [, list]) => n * list.length, 1);
    if (count > MAX_MATRIX_STAGES) {
      this.error(
        `failed to resolve 'stages.${name}.matrix' in '${this.file}': it generates ${count} stages (more than ${MAX_MATRIX_STAGES})`,
        undefined,
        def,
        "matrix",
      );
    }
    let combos: [string, unknown][][] = [[]];
    for (const [k, list] of dims) {
      const next: [string, unknown][][] = [];
      for (const c of combos) {
        list.forEach((v, i) => next.push([...c, [`${k}\u0000${i}`, v]]));
      }
      combos = next;
    }
    const byKey = new Map<string, [string, unknown][]>();
    for (const combo of combos) {
      const d: [string, unknown][] = [];
      const fragments: string[] = [];
      for (const [ki, v] of combo) {
        const [k, i] = ki.split("\u0000");
        d.push([k, v]);
        fragments.push(isMapOrSeq(v) ? `${k}${i}` : toStr(v));
      }
      byKey.set(fragments.join("-"), d); // a repeated key keeps its first place, last value
    }
    const out: Stage[] = [];
    for (const [key, d] of byKey) {
      const generated = `${name}${JOIN}${key}`;
      out.push(
        this.ctx.withTemporarily(
          { key, item: ordered(d) },
          () => this.entry(generated, template, stagesData, true, name),
        ),
      );
    }
    return out;
  }

  top(section: string): unknown[] {
    const list = this.raw[section];
    if (!Array.isArray(list)) return [];
    return list.map((item, i) => {
      try {
        if (typeof item === "string") checkExpression(item);
        return unwrap(resolveData(this.ctx, item, {}));
      } catch (e) {
        if (e instanceof ResolveError) {
          this.error(
            `failed to parse '${section}.${i}' in '${this.file}': ${e.message}`,
            undefined,
            list,
            i,
          );
        }
        throw e;
      }
    });
  }

  artifacts(): ArtifactDefinition[] {
    const arts = this.raw.artifacts;
    if (!isPlainMapping(arts)) return [];
    const out: ArtifactDefinition[] = [];
    for (const [k, def] of mapEntries(arts)) {
      const rawName = keyString(k);
      try {
        checkExpression(rawName);
        const name = resolveStr(this.ctx, rawName);
        if (typeof name !== "string") {
          throw new ResolveError(`expected str, got ${typeName(name)}`);
        }
        const d = resolveData(this.ctx, def) as Record<string, unknown>;
        const a: ArtifactDefinition = { name, path: String(d.path) };
        if (typeof d.type === "string") a.type = d.type;
        if (typeof d.desc === "string") a.desc = d.desc;
        if (Array.isArray(d.labels)) a.labels = d.labels.map(String);
        if (d.meta !== undefined) a.meta = d.meta;
        out.push(a);
      } catch (e) {
        if (e instanceof ResolveError) {
          this.error(
            `failed to parse 'artifacts.${rawName}' in '${this.file}': ${e.message}`,
            this.pos.key(arts, rawName),
          );
        }
        throw e;
      }
    }
    return out;
  }

  /** dvc/stage/loader.py load_stage: resolved data -> Stage. */
  toStage(
    name: string,
    d: Record<string, unknown>,
    wdir: string,
    def: Record<string, unknown>,
  ): Stage {
    const stage: Stage = {
      name,
      kind: "pipeline",
      file: this.file,
      wdir,
      cmd: normalizeCmd(d.cmd),
      deps: asList(d.deps).map((p) => ({ path: toStr(p) })),
      params: mergeParams(asList(d.params), (msg) => this.error(msg, undefined, def, "params")),
      outs: [],
      frozen: d.frozen === true,
      alwaysChanged: d.always_changed === true,
    };
    if (typeof d.desc === "string") stage.desc = d.desc;
    if (d.meta !== undefined) stage.meta = d.meta;
    for (
      const [key, kind] of [["outs", "out"], ["metrics", "metric"], ["plots", "plot"]] as const
    ) {
      stage.outs.push(...loadOutputs(asList(d[key]), kind as OutputKind));
    }
    return stage;
  }
}

/** DVC's `is_map_or_seq` on plain values and context nodes. */
function isMapOrSeq(v: unknown): boolean {
  if (isNode(v)) return !("raw" in v);
  return Array.isArray(v) || isPlainMapping(v);
}

function copyPositions(pos: PosIndex, to: object, from: object) {
  pos.alias(to, from);
}

function asList(v: unknown): unknown[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function normalizeCmd(cmd: unknown): string | string[] {
  if (Array.isArray(cmd)) return cmd.map((c) => toStr(c));
  return typeof cmd === "string" ? cmd : toStr(cmd);
}

/** dvc/dependency `_merge_params` + `loads_params`. */
function mergeParams(list: unknown[], fail: (msg: string) => never): ParamDependency[] {
  const wholly = new Set<string>();
  for (const item of list) {
    if (!isPlainMapping(item)) continue;
    for (const [k, v] of mapEntries(item)) {
      if (v === null || v === undefined || (Array.isArray(v) && v.length === 0)) {
        wholly.add(keyString(k));
      }
    }
  }
  const files = new Map<string, string[]>();
  const add = (file: string, keys: string[]) => {
    const cur = files.get(file) ?? [];
    for (const k of keys) if (!cur.includes(k)) cur.push(k);
    files.set(file, cur);
  };
  for (const item of list) {
    if (typeof item === "string") {
      if (!wholly.has(DEFAULT_PARAMS_FILE)) add(DEFAULT_PARAMS_FILE, [item]);
      continue;
    }
    if (!isPlainMapping(item)) {
      fail(`Only list of str/dict is supported. Got: '${typeName(item)}'.`);
    }
    for (const [k, v] of mapEntries(item)) {
      const file = keyString(k);
      if (wholly.has(file)) {
        files.set(file, []);
        continue;
      }
      if (!Array.isArray(v)) {
        fail(`Expected list of params for custom params file '${file}', got '${typeName(v)}'.`);
      }
      add(file, v.map((x) => toStr(x)));
    }
  }
  return [...files].map(([file, keys]) => ({ file, keys: keys.length ? keys : null }));
}

/** dvc/output.py `load_from_pipeline`. */
function loadOutputs(list: unknown[], kind: OutputKind): Output[] {
  const merged = new Map<string, Record<string, unknown>>();
  for (const item of list) {
    if (typeof item === "string" || !isPlainMapping(item)) {
      const p = toStr(item);
      if (!merged.has(p)) merged.set(p, {});
      continue;
    }
    for (const [k, flags] of mapEntries(item)) {
      const p = keyString(k);
      const cur = merged.get(p) ?? {};
      const f = Array.isArray(flags) ? Object.assign({}, ...flags) : flags;
      merged.set(p, Object.assign(cur, isPlainMapping(f) ? f : {}));
    }
  }
  const outs: Output[] = [];
  for (const [path, flags] of merged) {
    const out: Output = {
      path,
      kind,
      cache: flags.cache !== false,
      persist: flags.persist === true,
      push: flags.push !== false,
    };
    if (typeof flags.remote === "string") out.remote = flags.remote;
    if (typeof flags.desc === "string") out.desc = flags.desc;
    if (typeof flags.type === "string") out.type = flags.type;
    if (Array.isArray(flags.labels)) out.labels = flags.labels.map(String);
    if (flags.meta !== undefined) out.meta = flags.meta;
    if (kind === "plot") {
      const props = mapEntries(flags).filter(([k]) => PLOT_PROP_KEYS.includes(String(k)));
      if (props.length) out.plotProps = ordered(props.map(([k, v]) => [String(k), v]));
    }
    outs.push(out);
  }
  return outs;
}

function plotDefinition(item: unknown): PlotDefinition {
  if (typeof item === "string") return { id: item, props: null };
  const [[id, props]] = mapEntries(item as object);
  return {
    id: keyString(id),
    props: isPlainMapping(props) ? props : null,
  };
}

/** Raised by callers that need a stage that is not in the file. */
export class StageNotInFileError extends CairnError {
  constructor(file: string, name: string) {
    super(`Stage '${name}' not found inside '${file}' file`);
  }
}
