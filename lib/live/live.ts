/**
 * A DVCLive-compatible logger: the files DVCLive 3 writes, in its formats,
 * so `metrics show`, `plots show`, `exp show` (of DVC or cairn) and DVC's VS
 * Code extension read them. Layout under `dir` (default `dvclive/`):
 * `params.yaml` (block YAML as ruamel writes it), `metrics.json` (the latest
 * value of each metric plus `step`, indent 4), `plots/metrics/<name>.tsv`
 * (`[timestamp] step <basename>` rows), `plots/images/<name>`,
 * `plots/custom/<name>.json`, and the `params`/`metrics`/`plots` sections of
 * `dvc.yaml`, merged into an existing file as DVCLive's `update_dvcyaml`
 * does (its own stale entries dropped, the user's kept).
 */
import { basename, dirname, extname, join, relative, resolve } from "node:path";
import { CairnError } from "../errors.ts";
import { writeFileAtomic, writeTextAtomic } from "../fs/atomic_write.ts";
import { editTopLevelText } from "../dvcfile/pipeline_edit.ts";
import { loadYaml } from "../py/yaml_parse.ts";
import { emitYaml } from "../py/yaml_emit.ts";
import { pyJsonDumps } from "../py/json_dumps.ts";
import { isPlainMapping, pyFloatRepr } from "../py/value.ts";
import { exists } from "../fs/stat_or_null.ts";

/** A value `logMetric` accepts. */
export type MetricValue = number | string;
/** A value `logParam` accepts (what YAML can hold). */
export type ParamValue =
  | string
  | number
  | boolean
  | null
  | ParamValue[]
  | { [key: string]: ParamValue };

/** Options of `new Live()`, named after DVCLive's `Live()` arguments. */
export interface LiveOptions {
  /** output folder, relative to `cwd` (DVCLive's `dir`, default `"dvclive"`). */
  dir?: string;
  /** continue the step count and summary of a previous run instead of starting clean. */
  resume?: boolean;
  /**
   * Where to write the `params`/`metrics`/`plots` configuration (a path ending
   * in `dvc.yaml`, default `"dvc.yaml"`), or false for none.
   */
  dvcyaml?: string | false;
  /**
   * Record the run as an experiment (`exp save`) in `end()` when not running
   * inside `repro`/`exp run`. DVCLive's `save_dvc_exp` defaults to true; here
   * it is opt-in so a plain script never creates refs by surprise.
   */
  save?: boolean;
  /** name for the saved experiment (`exp save -n`). */
  expName?: string;
  /** message for the saved experiment (`exp save -m`). */
  expMessage?: string;
  /** directory relative paths are resolved against (default `Deno.cwd()`). */
  cwd?: string;
}

/** Options of `Live.logMetric`. */
export interface LogMetricOptions {
  /** also write a `timestamp` column (milliseconds since the epoch). */
  timestamp?: boolean;
  /** append to the history file (default true); false: summary only. */
  plot?: boolean;
}

/** How a custom plot is drawn (the plot's entry in dvc.yaml). */
export interface LogPlotOptions {
  /** field of the data points on the x axis. */
  x: string;
  /** field (or fields) on the y axis. */
  y: string | string[];
  /** DVC plot template (default `"linear"`). */
  template?: string;
  /** title of the plot. */
  title?: string;
  /** label of the x axis. */
  xLabel?: string;
  /** label of the y axis. */
  yLabel?: string;
}

/** What `Live.end()` did. */
export interface LiveEndResult {
  /** name of the experiment saved (with `save: true` outside a pipeline). */
  experiment?: string;
  /** the experiment's commit. */
  sha?: string;
  /** why `save: true` recorded nothing (inside repro, no git repo or no commit yet), as DVCLive warns. */
  notSaved?: string;
}

const IMAGE_SUFFIXES = [".jpg", ".jpeg", ".gif", ".png"];
const PLOT_SUBFOLDERS = ["metrics", "images", "custom", "sklearn"];

/** A metric or plot value as Python's `str()` writes it (ints stay ints). */
function cellText(v: MetricValue): string {
  if (typeof v === "string") return v;
  if (Number.isInteger(v)) return String(v);
  return pyFloatRepr(v);
}

/** Python csv's QUOTE_MINIMAL for a tab-separated field. */
function tsvField(s: string): string {
  return /[\t"\r\n]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
}

/** A name logged under `dir`: relative, no `..` (a name must not write outside the folder). */
function checkName(what: string, name: string): void {
  const parts = name.split(/[\\/]/);
  if (!name || name.startsWith("/") || parts.includes("..") || parts.every((p) => p === "")) {
    throw new CairnError(`${what} name '${name}' must be a relative path without '..'`);
  }
}

/** Posix relative path from directory `from` to `to`. */
function relPosix(to: string, from: string): string {
  return relative(from, to).split("\\").join("/") || ".";
}

function removeIfExists(path: string, recursive = false): void {
  try {
    Deno.removeSync(path, { recursive });
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
}

/**
 * The DVCLive logger.
 *
 * @example Log a training loop
 * ```ts ignore
 * import { Live } from "./mod.ts";
 * const live = new Live();
 * live.logParam("epochs", 2);
 * for (const loss of [0.4, 0.2]) {
 *   live.logMetric("train/loss", loss);
 *   live.nextStep();
 * }
 * live.end();
 * ```
 */
export class Live {
  /** absolute output folder. */
  readonly dir: string;
  /** latest value of each metric (nested at `/`), written to `metrics.json`. */
  summary: Record<string, unknown> = {};
  readonly #cwd: string;
  readonly #dvcFile: string | undefined;
  readonly #opts: LiveOptions;
  #step: number | undefined;
  #params: Record<string, unknown> = {};
  #metrics = new Set<string>();
  #images = new Set<string>();
  #plots = new Map<string, Record<string, unknown>>();
  #ended = false;

  /** Start logging; without `resume`, DVCLive's files of a previous run are removed. */
  constructor(opts: LiveOptions = {}) {
    this.#opts = opts;
    this.#cwd = resolve(opts.cwd ?? Deno.cwd());
    this.dir = resolve(this.#cwd, opts.dir ?? "dvclive");
    const dvcyaml = opts.dvcyaml ?? "dvc.yaml";
    if (dvcyaml !== false && basename(dvcyaml) !== "dvc.yaml") {
      throw new CairnError(`dvcyaml must be a path to a file named 'dvc.yaml', not '${dvcyaml}'`);
    }
    this.#dvcFile = dvcyaml === false ? undefined : resolve(this.#cwd, dvcyaml);
    Deno.mkdirSync(this.dir, { recursive: true });
    if (opts.resume || Deno.env.get("DVCLIVE_RESUME") === "true") this.#resume();
    else this.#cleanup();
  }

  /** `dir/params.yaml`. */
  get paramsFile(): string {
    return join(this.dir, "params.yaml");
  }

  /** `dir/metrics.json`. */
  get metricsFile(): string {
    return join(this.dir, "metrics.json");
  }

  /** `dir/plots`. */
  get plotsDir(): string {
    return join(this.dir, "plots");
  }

  /** The current step (0 until `nextStep()`). */
  get step(): number {
    return this.#step ?? 0;
  }

  /** Set the step by hand (DVCLive's `live.step = n`). */
  set step(value: number) {
    this.#step = value;
  }

  /** true when running as a stage command of `repro` / `exp run`. */
  get insidePipeline(): boolean {
    return Deno.env.get("DVC_ROOT") !== undefined;
  }

  /** true when running as a stage command of `exp run`. */
  get insideExperiment(): boolean {
    return this.insidePipeline && Deno.env.get("DVC_EXP_BASELINE_REV") !== undefined;
  }

  #resume(): void {
    try {
      const p = loadYaml(Deno.readTextFileSync(this.paramsFile), this.paramsFile);
      if (isPlainMapping(p)) this.#params = { ...p };
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    try {
      this.summary = JSON.parse(Deno.readTextFileSync(this.metricsFile));
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    const step = typeof this.summary.step === "number" ? this.summary.step : 0;
    this.#step = step === 0 ? 0 : step + 1;
  }

  #cleanup(): void {
    for (const sub of PLOT_SUBFOLDERS) removeIfExists(join(this.plotsDir, sub), true);
    for (const f of ["metrics.json", "params.yaml", "report.html", "report.md", "dvc.yaml"]) {
      removeIfExists(join(this.dir, f));
    }
  }

  /** Log one parameter to `params.yaml` (see `logParams`). */
  logParam(name: string, value: ParamValue): void {
    this.logParams({ [name]: value });
  }

  /** Merge parameters into `params.yaml`. */
  logParams(params: Record<string, ParamValue>): void {
    Object.assign(this.#params, params);
    writeTextAtomic(this.paramsFile, emitYaml(this.#params), { mkdirs: true });
  }

  /**
   * Log a metric at the current step: a row appended to
   * `plots/metrics/<name>.tsv` and the value kept in the summary. A `/` in the
   * name makes folders and nests the summary (`train/loss` ->
   * `{train: {loss}}`). NaN and infinities are written as text, as DVCLive does.
   */
  logMetric(name: string, value: MetricValue, opts: LogMetricOptions = {}): void {
    checkName("metric", name);
    if (typeof value !== "number" && typeof value !== "string") {
      throw new CairnError(`metric '${name}': cannot log a value of type ${typeof value}`);
    }
    let v: MetricValue = value;
    if (typeof v === "number" && !Number.isFinite(v)) v = pyFloatRepr(v);
    this.#metrics.add(name);
    if (opts.plot !== false) this.#appendHistory(name, v, opts.timestamp === true);
    const keys = name.split("/").filter((k) => k !== "" && k !== ".");
    let node = this.summary;
    for (const k of keys.slice(0, -1)) {
      if (!isPlainMapping(node[k])) node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]] = v;
  }

  #appendHistory(name: string, v: MetricValue, timestamp: boolean): void {
    const path = join(this.plotsDir, "metrics", `${name}.tsv`);
    const header = [...(timestamp ? ["timestamp"] : []), "step", basename(name)];
    const row = [...(timestamp ? [String(Date.now())] : []), String(this.step), cellText(v)];
    Deno.mkdirSync(dirname(path), { recursive: true });
    const line = (cells: string[]) => cells.map(tsvField).join("\t") + "\n";
    const text = (exists(path) ? "" : line(header)) + line(row);
    // Appending a whole line at once; DVCLive appends too (a history, not a document).
    Deno.writeTextFileSync(path, text, { append: true });
  }

  /**
   * Save an image under `plots/images/<name>` (overwritten each step; use
   * `` `folder/${live.step}.png` `` names for a slider). `image` is the
   * encoded file (PNG, JPEG or GIF bytes) or the path of one.
   */
  logImage(name: string, image: Uint8Array | string): void {
    checkName("image", name);
    let data: Uint8Array;
    if (typeof image === "string") {
      const suffix = extname(image).toLowerCase();
      if (!extname(name) && IMAGE_SUFFIXES.includes(suffix)) name = `${name}${suffix}`;
      data = Deno.readFileSync(resolve(this.#cwd, image));
    } else if (image instanceof Uint8Array) {
      data = image;
    } else {
      throw new CairnError(`image '${name}': expected bytes or a file path`);
    }
    if (!IMAGE_SUFFIXES.includes(extname(name).toLowerCase())) {
      throw new CairnError(
        `image '${name}': the name must end in one of ${IMAGE_SUFFIXES.join(", ")}`,
      );
    }
    this.#images.add(name);
    writeFileAtomic(join(this.plotsDir, "images", name), data, { mkdirs: true });
  }

  /**
   * Write data points to `plots/custom/<name>.json` and declare the plot
   * (template, axes, title) in dvc.yaml.
   */
  logPlot(name: string, datapoints: Record<string, unknown>[], opts: LogPlotOptions): void {
    checkName("plot", name);
    if (!Array.isArray(datapoints) || !datapoints.every(isPlainMapping)) {
      throw new CairnError(`plot '${name}': expected a list of objects`);
    }
    const stem = name.replace(/\.json$/, "");
    const config: Record<string, unknown> = {};
    const template = opts.template === undefined ? "linear" : opts.template;
    if (template) config.template = template;
    config.x = opts.x;
    config.y = opts.y;
    if (opts.title !== undefined) config.title = opts.title;
    if (opts.xLabel !== undefined) config.x_label = opts.xLabel;
    if (opts.yLabel !== undefined) config.y_label = opts.yLabel;
    this.#plots.set(stem, config);
    const path = join(this.plotsDir, "custom", `${stem}.json`);
    writeTextAtomic(path, pyJsonDumps(datapoints, { indent: 4 }) + "\n", { mkdirs: true });
  }

  /** Write `metrics.json` from the summary (with `step` once steps are counted). */
  makeSummary(): void {
    if (this.#step !== undefined) this.summary.step = this.step;
    writeTextAtomic(this.metricsFile, pyJsonDumps(this.summary, { indent: 4 }) + "\n", {
      mkdirs: true,
    });
  }

  /** The params/metrics/plots entries DVCLive writes to dvc.yaml for this run. */
  dvcYamlSections(): Record<string, unknown[]> {
    const base = dirname(this.#dvcFile ?? join(this.#cwd, "dvc.yaml"));
    const out: Record<string, unknown[]> = {};
    if (Object.keys(this.#params).length) out.params = [relPosix(this.paramsFile, base)];
    if (this.#metrics.size || Object.keys(this.summary).length) {
      out.metrics = [relPosix(this.metricsFile, base)];
    }
    const plots: unknown[] = [];
    const metricsDir = join(this.plotsDir, "metrics");
    if (exists(metricsDir)) plots.push({ [relPosix(metricsDir, base)]: { x: "step" } });
    if (this.#images.size) plots.push(relPosix(join(this.plotsDir, "images"), base));
    for (const [stem, config] of this.#plots) {
      plots.push({ [relPosix(join(this.plotsDir, "custom", `${stem}.json`), base)]: config });
    }
    if (plots.length) out.plots = plots;
    return out;
  }

  /** Write or update dvc.yaml's `params`, `metrics` and `plots` (no-op with `dvcyaml: false`). */
  makeDvcYaml(): void {
    const file = this.#dvcFile;
    if (!file) return;
    const sections = this.dvcYamlSections();
    let text: string;
    try {
      text = Deno.readTextFileSync(file);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
      writeTextAtomic(file, emitYaml(sections), { mkdirs: true });
      return;
    }
    const doc = loadYaml(text, file);
    const old = isPlainMapping(doc) ? doc : {};
    const mine = relPosix(this.dir, dirname(file)) + "/";
    const stale = (e: unknown) => {
      if (typeof e === "string") return e.includes(mine);
      if (isPlainMapping(e) && Object.keys(e).length === 1) return Object.keys(e)[0].includes(mine);
      return false;
    };
    let next = text;
    for (const key of ["params", "metrics", "plots"]) {
      const before = Array.isArray(old[key]) ? old[key] as unknown[] : [];
      const merged = [...before.filter((e) => !stale(e)), ...(sections[key] ?? [])];
      const had = Object.hasOwn(old, key);
      if (!merged.length && !had) continue;
      next = editTopLevelText(next, file, key, merged.length ? merged : undefined);
    }
    if (next !== text) writeTextAtomic(file, next);
  }

  /** End the step: write summary and dvc.yaml, then count one more step. */
  nextStep(): void {
    if (this.#step === undefined) this.#step = 0;
    this.#sync();
    this.#step += 1;
  }

  #sync(): void {
    this.makeSummary();
    this.makeDvcYaml();
  }

  /**
   * Finish: write summary and dvc.yaml. Inside `exp run`, the files DVCLive
   * would add to git are added; outside a pipeline with `save: true` the
   * workspace is saved as an experiment (`exp save`).
   */
  async end(): Promise<LiveEndResult> {
    if (this.#ended) return {};
    this.#ended = true;
    if (typeof this.summary.step === "number") this.#step = this.summary.step;
    this.#sync();
    if (this.insideExperiment) {
      const { trackForExperiment } = await import("./save.ts");
      trackForExperiment(this.dir, this.#dvcFile);
      return {};
    }
    if (!this.#opts.save) return {};
    if (this.insidePipeline) {
      return { notSaved: "repro is running: use exp run to record an experiment" };
    }
    const { saveLiveExperiment, cannotSave } = await import("./save.ts");
    const reason = cannotSave(this.#cwd);
    if (reason) return { notSaved: reason };
    return saveLiveExperiment(this.#cwd, {
      name: this.#opts.expName,
      message: this.#opts.expMessage,
      include: [this.dir, ...(this.#dvcFile ? [this.#dvcFile] : [])],
    });
  }
}
