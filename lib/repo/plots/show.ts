/**
 * `plots show` / `plots diff` (dvc-spec §13.2-13.3): per revision, the plot
 * definitions (top-level `plots:` of each dvc.yaml, stage `plots:` outputs,
 * or targets) and their data files; then, per plot id across revisions, the
 * datapoints overlaid (colour = revision) ready to fill a template, or the
 * images of each revision.
 */
import { join, posix } from "node:path";
import { CairnError } from "../../errors.ts";
import type { Repo } from "../repo.ts";
import { gitRaw } from "../../scm/git.ts";
import { isPlainMapping, keyString, mapEntries } from "../../py/value.ts";
import {
  experimentBaseline,
  namedRevision,
  openRevision,
  type RevisionView,
  stageOutPath,
} from "../revisions.ts";
import {
  type Datapoint,
  flatDatapoints,
  inferDataSources,
  type PlotProps,
} from "../../plots/convert.ts";
import { isImagePath, parsePlotData } from "../../plots/data.ts";
import { getTemplate, type Template } from "../../plots/templates.ts";

import type {
  ImageDatapoint,
  PlotRenderer,
  PlotsResult,
  RendererWithErrors,
  RevisionPlots,
  SourceResult,
} from "../../plots/result.ts";
export type {
  ImageDatapoint,
  PlotRenderer,
  PlotsResult,
  RendererWithErrors,
  RevisionPlots,
  SourceResult,
};

/** Display properties a plot may have (dvc.yaml names). */
export const PLOT_PROPS = ["template", "x", "y", "x_label", "y_label", "title", "header"];

export interface PlotsOptions {
  /** plot ids (regex prefixes, as DVC) or data paths, relative to the repo root. */
  targets?: string[];
  /** revision names; default `["workspace"]`. */
  revs?: string[];
  /** properties from the command line (override the definitions'). */
  props?: PlotProps;
  /** where custom templates live (default `.dvc/plots`). */
  templatesDir?: string;
}

function norm(p: string): string {
  const n = posix.normalize(p);
  return n === "." ? "" : n.replace(/\/$/, "");
}

/** `re.match(target, id)`: a regex anchored at the start (a literal prefix if not a valid regex). */
function matches(targets: string[], configFile: string, id: string): boolean {
  if (!targets.length) return true;
  const full = configFile ? `${configFile}::${id}` : id;
  return targets.some((t) => {
    let re: RegExp;
    try {
      re = new RegExp(`^(?:${t})`);
    } catch (err) {
      if (!(err instanceof SyntaxError)) throw err; // not a pattern: a prefix
      return id.startsWith(t) || full.startsWith(t);
    }
    return re.test(id) || re.test(full);
  });
}

function projectProps(p: Record<string, unknown> | undefined): PlotProps {
  const out: PlotProps = {};
  if (!p) return out;
  for (const k of PLOT_PROPS) if (p[k] !== undefined) out[k] = p[k];
  return out;
}

function unpack(view: RevisionView, path: string): string[] {
  return view.isDir(path) ? view.find(path) : [path];
}

function closestParent(path: string, parents: string[]): string {
  let best = "";
  for (const parent of parents) {
    const a = path.split("/");
    const b = parent.split("/");
    let n = 0;
    while (n < a.length && n < b.length && a[n] === b[n]) n++;
    const common = a.slice(0, n).join("/");
    if (common.length > best.length) best = common;
  }
  return best;
}

/** Rebase `{file: field}` keys of x/y onto the dvc.yaml's directory. */
function adjustSources(props: PlotProps, dir: string): PlotProps {
  const out: PlotProps = { ...props };
  for (const axis of ["x", "y"]) {
    const v = out[axis];
    if (axis === "x" && (v === undefined || typeof v === "string")) continue;
    const rebased: Record<string, unknown> = {};
    if (isPlainMapping(v)) {
      for (const [k, f] of mapEntries(v)) rebased[norm(posix.join(dir, keyString(k)))] = f;
    }
    out[axis] = rebased;
  }
  return out;
}

/** Plot definitions of a revision: config file -> plot id -> props. */
export function collectDefinitions(
  view: RevisionView,
  targets: string[],
  cliProps: PlotProps,
): Map<string, Map<string, PlotProps>> {
  const result = new Map<string, Map<string, PlotProps>>();
  const put = (config: string, id: string, props: PlotProps) => {
    let m = result.get(config);
    if (!m) result.set(config, m = new Map());
    m.set(id, { ...(m.get(id) ?? {}), ...props });
  };
  const idx = view.index();
  for (const pf of idx.pipelineFiles) {
    if (!pf.plots.length) continue;
    const dir = posix.dirname(pf.file) === "." ? "" : posix.dirname(pf.file);
    const pathIds = pf.plots.map((d) => norm(posix.join(dir, d.id)));
    for (const def of pf.plots) {
      const props = def.props ?? {};
      if (!isPlainMapping(props.y)) {
        if (!matches(targets, pf.file, def.id)) continue;
        const dataPath = norm(posix.join(dir, def.id));
        for (const f of unpack(view, dataPath)) {
          if (f !== dataPath && closestParent(f, pathIds) !== dataPath) continue;
          put(pf.file, f, { ...props, ...cliProps });
        }
      } else if (matches(targets, pf.file, def.id)) {
        put(pf.file, def.id, { ...adjustSources(props, dir), ...cliProps });
      }
    }
  }
  for (const stage of idx.stages) {
    for (const out of stage.outs) {
      if (out.kind !== "plot") continue;
      if (!matches(targets, stage.file, out.path)) continue;
      const props = projectProps(out.plotProps);
      for (const f of unpack(view, stageOutPath(stage, out.path))) {
        put("", f, { ...props, ...cliProps });
      }
    }
  }
  for (const t of targets) {
    const p = norm(t);
    if (result.size === 0 || view.exists(p)) {
      for (const f of unpack(view, p)) put("", f, { ...cliProps });
    }
  }
  return result;
}

const dec = new TextDecoder();

/** Read and parse the data files the definitions need. */
export function collectSources(
  view: RevisionView,
  definitions: Map<string, Map<string, PlotProps>>,
  cliProps: PlotProps,
): Map<string, SourceResult> {
  const paths = new Set<string>();
  for (const defs of definitions.values()) {
    for (const [id, props] of defs) for (const s of inferDataSources(id, props)) paths.add(s);
  }
  const outProps = new Map<string, PlotProps>();
  for (const stage of view.index().stages) {
    for (const out of stage.outs) {
      if (out.kind === "plot") {
        outProps.set(stageOutPath(stage, out.path), projectProps(out.plotProps));
      }
    }
  }
  const res = new Map<string, SourceResult>();
  for (const p of paths) {
    const props = { ...(outProps.get(p) ?? {}), ...cliProps };
    const r = view.read(p);
    if (r.status === "not-found") {
      res.set(p, { error: new CairnError(`'${p}' does not exist`, { hint: "" }) });
      res.get(p)!.error!.name = "FileNotFoundError";
      continue;
    }
    if (r.status === "missing") {
      res.set(p, {
        error: Object.assign(
          new CairnError(`'${p}' is not in the cache (object ${r.md5} of '${r.output}')`),
          { name: "FileMissingError" },
          r.md5.endsWith(".dir") ? { dirOutput: r.output } : {},
        ),
      });
      continue;
    }
    if (r.status === "dir") {
      res.set(p, { error: new CairnError(`'${p}' is a directory`) });
      continue;
    }
    try {
      res.set(p, { data: isImagePath(p) ? r.bytes : parsePlotData(dec.decode(r.bytes), p, props) });
    } catch (err) {
      res.set(p, { error: err instanceof Error ? err : new Error(String(err)) });
    }
  }
  return res;
}

/** Definitions and sources of one revision. */
export function plotsAt(view: RevisionView, targets: string[], cliProps: PlotProps): RevisionPlots {
  let definitions: Map<string, Map<string, PlotProps>>;
  try {
    definitions = collectDefinitions(view, targets, cliProps);
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
  if (!definitions.size) return { definitions };
  const sources = collectSources(view, definitions, cliProps);
  // DVC's data index fails the whole revision when a directory listing is not in the cache
  for (const r of sources.values()) {
    const dir = (r.error as { dirOutput?: string } | undefined)?.dirOutput;
    if (dir === undefined) continue;
    const parts = dir.split("/").map((p) => `'${p}'`);
    const err = new CairnError(
      `failed to load directory (${parts.join(", ")}${parts.length === 1 ? "," : ""})`,
    );
    err.name = "DataIndexDirError";
    return { error: err };
  }
  return { definitions, sources };
}

/** Plot id -> (config file, id in that file) with `config::id` only for ids in several files. */
function groupById(
  definitions: Map<string, Map<string, PlotProps>>,
): Map<string, [string, PlotProps]> {
  const byId = new Map<string, Map<string, [string, PlotProps]>>();
  for (const [config, defs] of definitions) {
    for (const [id, props] of defs) {
      let m = byId.get(id);
      if (!m) byId.set(id, m = new Map());
      m.set(config, [id, props]);
    }
  }
  const out = new Map<string, [string, PlotProps]>();
  for (const [id, configs] of byId) {
    if (configs.size === 1) out.set(id, [...configs.values()][0]);
    else for (const [config, v] of configs) out.set(config ? `${config}::${id}` : id, v);
  }
  return out;
}

function truthyData(v: unknown): boolean {
  if (v === undefined || v === null) return false;
  if (v instanceof Uint8Array) return v.length > 0;
  if (Array.isArray(v)) return v.length > 0;
  if (isPlainMapping(v)) return Object.keys(v).length > 0;
  return true;
}

/** Match definitions across revisions to renderers (dvc `match_defs_renderers`). */
export function matchRenderers(
  perRev: Map<string, RevisionPlots>,
  opts: { templatesDir?: string; cwd?: string } = {},
): RendererWithErrors[] {
  const groups = new Map<string, [string, string, PlotProps][]>();
  for (const [rev, rp] of perRev) {
    if (!rp.definitions) continue;
    for (const [plotId, [inner, def]] of groupById(rp.definitions)) {
      let g = groups.get(plotId);
      if (!g) groups.set(plotId, g = []);
      g.push([rev, inner, def]);
    }
  }
  const out: RendererWithErrors[] = [];
  for (const [plotId, group] of groups) {
    // The earliest revision's properties win.
    let props: PlotProps = {};
    for (const [, , def] of [...group].reverse()) props = { ...props, ...def };
    const sourceErrors: Record<string, Record<string, Error>> = {};
    const definitionErrors: Record<string, Error> = {};
    const isImage = isImagePath(group[0][1]);
    const datapoints: Datapoint[] = [];
    const images: ImageDatapoint[] = [];
    const revs: string[] = [];
    let firstProps: PlotProps = {};
    for (const [rev, inner, def] of group) {
      const sources = inferDataSources(inner, def);
      const srcs = perRev.get(rev)?.sources ?? new Map<string, SourceResult>();
      const data = new Map<string, unknown>();
      for (const s of sources) {
        const r = srcs.get(s);
        if (r?.error) (sourceErrors[rev] ??= {})[s] = r.error;
        if (r && truthyData(r.data)) data.set(s, r.data);
      }
      if (isImage) {
        for (const [file, bytes] of data) {
          images.push({ rev, filename: file, bytes: bytes as Uint8Array });
        }
        if (data.size && !revs.includes(rev)) revs.push(rev);
        continue;
      }
      try {
        const conv = flatDatapoints(inner, props, data, rev);
        if (conv.datapoints.length && !revs.includes(rev)) revs.push(rev);
        if (!Object.keys(firstProps).length && Object.keys(conv.props).length) {
          firstProps = conv.props;
        }
        for (const dp of conv.datapoints) datapoints.push(dp); // no spread: may be huge
      } catch (err) {
        definitionErrors[rev] = err instanceof Error ? err : new Error(String(err));
      }
    }
    const name = isImage ? group[0][1] : plotId;
    if (isImage) {
      out.push({ renderer: { type: "image", name, images }, sourceErrors, definitionErrors });
      continue;
    }
    if (!Object.keys(firstProps).length) firstProps = { ...props };
    if (firstProps.title === undefined || firstProps.title === null) firstProps.title = name;
    const tname = firstProps.template;
    const template: Template = getTemplate(typeof tname === "string" ? tname : undefined, opts);
    out.push({
      renderer: { type: "vega", plot: { name, datapoints, props: firstProps, template, revs } },
      sourceErrors,
      definitionErrors,
    });
  }
  return out;
}

/** Plots of the given revisions (default the workspace). */
export function showPlots(repo: Repo, opts: PlotsOptions = {}): PlotsResult {
  let revs = opts.revs ?? ["workspace"];
  if (revs.includes("workspace")) revs = ["workspace", ...revs.filter((r) => r !== "workspace")];
  const targets = (opts.targets ?? []).map(norm);
  const perRev = new Map<string, RevisionPlots>();
  const errors: Record<string, Error> = {};
  for (const rev of revs) {
    const view = openRevision(repo, namedRevision(repo, rev));
    const rp = plotsAt(view, targets, opts.props ?? {});
    if (rp.error) errors[rev] = rp.error;
    perRev.set(rev, rp);
  }
  const templatesDir = opts.templatesDir ?? join(repo.dvcDir, "plots");
  const renderers = matchRenderers(perRev, { templatesDir, cwd: repo.cwd });
  return { revs, renderers, errors, perRev };
}

/** True if tracked files differ from HEAD (untracked files do not count). */
export function workspaceIsDirty(repo: Repo): boolean {
  if (!repo.scmRoot) return false;
  const r = gitRaw(["status", "--porcelain", "--untracked-files=no"], { cwd: repo.root });
  return r.stdout.trim() !== "";
}

/**
 * `plots diff` revisions: none -> `[HEAD, workspace]` when tracked files
 * changed, else `[workspace]`; one -> `[rev, workspace]` (with `experiment`:
 * `[exp, baseline]`); more -> as given.
 */
export function diffRevisions(
  repo: Repo,
  revs: string[],
  opts: { experiment?: boolean } = {},
): string[] {
  const out = [...revs];
  if (opts.experiment && out.length === 1) {
    // `-e EXP`: overlay the experiment on its baseline
    const baseline = experimentBaseline(repo, out[0]);
    if (baseline) out.push(baseline.slice(0, 7));
  }
  if (out.length <= 1) {
    if (out.length === 0 && workspaceIsDirty(repo)) out.push("HEAD");
    out.push("workspace");
  }
  return out;
}
