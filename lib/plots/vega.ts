/**
 * Filling a template with a plot's datapoints (dvc-render's VegaRenderer
 * behaviour): colours per revision, stroke dash / shape per data source when
 * several are overlaid, group-by / pivot / tooltip anchors, then title,
 * axes (field names with `.`, `[`, `]` escaped) and data.
 */
import { CairnError } from "../errors.ts";
import { keyString, mapEntries, setKeyOrder } from "../py/value.ts";
import { assignOrdered } from "./data.ts";
import { FIELD, FILENAME, REVISION } from "./convert.ts";
import type { Datapoint, PlotProps } from "./convert.ts";
import {
  anchor,
  BadTemplateError,
  fillAnchor,
  hasAnchor,
  type Json,
  type Template,
} from "./templates.ts";

const SEP = "::";
const FILENAME_FIELD = [FILENAME, FIELD];

/** Anchors `--split` leaves in the template (their values go to `anchor_definitions`). */
export const SPLIT_ANCHORS = [
  "color",
  "data",
  "plot_height",
  "plot_width",
  "shape",
  "stroke_dash",
  "title",
  "tooltip",
  "x_label",
  "y_label",
  "zoom_and_pan",
];

const OPTIONAL_ANCHORS = [
  "color",
  "column",
  "group_by_x",
  "group_by_y",
  "group_by",
  "pivot_field",
  "plot_height",
  "plot_width",
  "row",
  "shape",
  "stroke_dash",
  "tooltip",
  "zoom_and_pan",
];

/** Revision colours, then stroke dashes and point shapes per data source. */
export const RANGES: Record<string, Json[]> = {
  stroke_dash: [[1, 0], [8, 8], [8, 4], [4, 4], [4, 2], [2, 1], [1, 1]],
  color: ["#945dd6", "#13adc7", "#f46837", "#48bb78", "#4299e1", "#ed8936", "#f56565"],
  shape: ["circle", "square", "triangle", "diamond"],
};

export class NoFieldInDataError extends CairnError {
  constructor(field: string, plot: string, files: string[]) {
    super(
      `Field '${field}' does not exist in provided data` +
        (files.length ? ` (${files.map((f) => `'${f}'`).join(", ")})` : "") + ` of plot '${plot}'.`,
    );
  }
}

/** Escape Vega-Lite's field path characters. */
export function escapeField(v: string): string {
  return v.replace(/[.[\]]/g, (c) => "\\" + c);
}

function toJson(v: unknown): Json {
  // Datapoints keep Python-typed values; the page/JSON writers know them.
  return v as Json;
}

export interface FilledPlot {
  /** the filled Vega-Lite spec. */
  content: Json;
  /** `--split`: anchor -> value left out of `content`. */
  anchorDefinitions?: Record<string, Json>;
}

export interface VegaPlot {
  /** plot id (div id source, JSON key). */
  name: string;
  datapoints: Datapoint[];
  props: PlotProps;
  template: Template;
  /** revisions that had datapoints, in order. */
  revs: string[];
}

/** The revisions of a plot in first-seen order. */
export function plotRevs(plot: VegaPlot): string[] {
  if (plot.revs.length) return plot.revs;
  const revs: string[] = [];
  for (const d of plot.datapoints) {
    const r = d[REVISION];
    if (typeof r === "string" && r && !revs.includes(r)) revs.push(r);
  }
  return revs;
}

/** Fill the template of `plot`; anchors in `split` are left in place and returned separately. */
export function fillTemplate(
  plot: VegaPlot,
  opts: { split?: string[]; strict?: boolean } = {},
): FilledPlot {
  const split = opts.split ?? [];
  let content: Json = structuredClone(plot.template.content);
  const defs: Record<string, Json> = {};
  if (!plot.datapoints.length) return { content: {} };
  // Work on copies: removing filename/field must not change the caller's data.
  const datapoints = plot.datapoints.map(copyOrdered);
  const props = { ...plot.props };
  if (opts.strict !== false) {
    for (const axis of ["x", "y"]) {
      const f = props[axis];
      if (typeof f === "string" && f && !datapoints.some((d) => Object.hasOwn(d, f))) {
        const files = [
          ...new Set(datapoints.map((d) => d[FILENAME]).filter((x) => typeof x === "string")),
        ];
        throw new NoFieldInDataError(f, plot.name, files as string[]);
      }
    }
  }
  props.title ??= "";
  props.x_label ??= props.x;
  props.y_label ??= props.y;

  const set = (name: string, value: Json) => {
    if (split.includes(name)) defs[anchor(name)] = value;
    else content = fillAnchor(content, anchor(name), value);
  };
  const optional = OPTIONAL_ANCHORS.filter((a) => hasAnchor(content, anchor(a)));
  const take = (name: string): boolean => {
    const i = optional.indexOf(name);
    if (i < 0) return false;
    optional.splice(i, 1);
    return true;
  };
  const fillOpt = (name: string, value: Json) => {
    if (take(name)) set(name, value);
  };
  const mapping = (field: string, name: string, domain: string[]): Json => {
    const full = RANGES[name] ?? [];
    const range = domain.map((_, i) => full[i % full.length]);
    const out: { [k: string]: Json } = { field, scale: { domain, range } };
    // stroke dash and shape legends: empty symbols
    if (name !== "color") {
      out.legend = { symbolFillColor: "transparent", symbolStrokeColor: "grey" };
    }
    return out;
  };
  const fillMapping = (field: string, name: string, domain: string[]) => {
    if (take(name)) set(name, mapping(field, name, domain));
  };
  const x = props.x as string | undefined;
  const y = props.y as string | undefined;
  const groupBy = (g: string[]) => {
    fillOpt("group_by", g);
    fillOpt("group_by_x", [...g, x ?? null]);
    fillOpt("group_by_y", [...g, y ?? null]);
  };
  const tooltip = (extra: string[] = []) =>
    fillOpt("tooltip", [
      { field: REVISION },
      { field: x ?? null },
      { field: y ?? null },
      ...extra.map((f) => ({ field: f })),
    ]);

  let varied: string[] | null = null;
  if (optional.length) {
    fillMapping(REVISION, "color", plotRevs(plot));
    fillOpt("zoom_and_pan", { name: "grid", select: "interval", bind: "scales" });
    fillOpt("plot_height", 300);
    fillOpt("plot_width", 300);
    const yDefs = (props.anchors_y_definitions as Record<string, string>[] | undefined) ?? [];
    if (yDefs.length <= 1) {
      groupBy([REVISION]);
      fillOpt("pivot_field", "datum.rev");
      tooltip();
      for (const a of [...optional]) {
        take(a);
        // dvc-render fills the unused ones in place, even with --split
        content = fillAnchor(content, anchor(a), {});
      }
      varied = [];
    } else {
      const values: Record<string, Set<string>> = {
        filename: new Set(),
        field: new Set(),
        concat: new Set(),
      };
      for (const d of yDefs) {
        values.filename.add(d[FILENAME]);
        values.field.add(d[FIELD]);
        values.concat.add(`${d[FILENAME] ?? ""}${SEP}${d[FIELD] ?? ""}`);
      }
      varied = FILENAME_FIELD.filter((k) => values[k].size > 1);
      const domain = [...(varied.length === 2 ? values.concat : values[varied[0] ?? "filename"])]
        .sort();
      const concat = varied.join(SEP);
      groupBy([REVISION, concat]);
      fillOpt("pivot_field", [REVISION, ...varied].map((k) => `datum.${k}`).join(` + '${SEP}' + `));
      fillOpt("row", { field: concat, sort: [] });
      fillOpt("column", { field: concat, sort: [] });
      tooltip([concat]);
      for (const a of ["stroke_dash", "shape"]) fillMapping(concat, a, domain);
    }
  }
  if (varied !== null) {
    const concatenate = varied.length === 2 ? varied : [];
    const remove = varied.length === 2
      ? varied
      : FILENAME_FIELD.filter((k) => !varied!.includes(k));
    for (const d of datapoints) {
      if (concatenate.length) {
        assignOrdered(d, concatenate.join(SEP), concatenate.map((k) => String(d[k])).join(SEP));
      }
      const keep = datapointKeys(d).filter((k) => !remove.includes(k));
      for (const k of remove) delete d[k];
      setKeyOrder(d, keep);
    }
  }
  for (const name of ["title", "x", "y", "x_label", "y_label", "data"]) {
    let value: unknown = name === "data" ? datapoints : props[name];
    if (value === undefined || value === null) continue;
    if (split.includes(name)) {
      defs[anchor(name)] = toJson(value);
      continue;
    }
    if (name === "data" && !hasAnchor(content, anchor("data"))) {
      throw new BadTemplateError(
        `Template '${plot.template.name}' is not using '${anchor("data")}' anchor`,
      );
    }
    if ((name === "x" || name === "y") && typeof value === "string") value = escapeField(value);
    content = fillAnchor(content, anchor(name), toJson(value));
  }
  return split.length ? { content, anchorDefinitions: defs } : { content };
}

/** A copy keeping the key order. */
function copyOrdered(d: Datapoint): Datapoint {
  return setKeyOrder({ ...d }, mapEntries(d).map(([k]) => k));
}

/** Keys of a datapoint in order. */
export function datapointKeys(d: Datapoint): string[] {
  return mapEntries(d).map(([k]) => keyString(k));
}
