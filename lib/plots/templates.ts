/**
 * Plot templates (dvc-spec §13.1): Vega-Lite v5 specs whose string values
 * `<DVC_METRIC_...>` are anchors filled at render time. The built-in ones
 * have DVC's names, order and anchors; custom ones are JSON files found in
 * `.dvc/plots/` (`NAME` or `NAME.json`) or at a path.
 */
import { isAbsolute, join, resolve } from "node:path";
import { CairnError, ignoreNotFound } from "../errors.ts";

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** `<DVC_METRIC_NAME>` for an anchor name (`x_label` -> `<DVC_METRIC_X_LABEL>`). */
export function anchor(name: string): string {
  return `<DVC_METRIC_${name.toUpperCase()}>`;
}

const A = {
  data: anchor("data"),
  title: anchor("title"),
  x: anchor("x"),
  y: anchor("y"),
  xLabel: anchor("x_label"),
  yLabel: anchor("y_label"),
  color: anchor("color"),
  strokeDash: anchor("stroke_dash"),
  shape: anchor("shape"),
  tooltip: anchor("tooltip"),
  width: anchor("plot_width"),
  height: anchor("plot_height"),
  zoom: anchor("zoom_and_pan"),
  groupBy: anchor("group_by"),
  groupByX: anchor("group_by_x"),
  groupByY: anchor("group_by_y"),
  pivot: anchor("pivot_field"),
  row: anchor("row"),
  column: anchor("column"),
};

const SCHEMA = "https://vega.github.io/schema/vega-lite/v5.json";
const head = () => ({
  $schema: SCHEMA,
  data: { values: A.data },
  title: { text: A.title, anchor: "middle" },
});
const qx = () => ({ field: A.x, type: "quantitative", title: A.xLabel });
const qy = () => ({ field: A.y, type: "quantitative", title: A.yLabel, scale: { zero: false } });
const revColor = () => ({ field: "rev", type: "nominal" });

function simple(): Json {
  return {
    ...head(),
    params: [A.zoom],
    width: A.width,
    height: A.height,
    mark: { type: "line", tooltip: { content: "data" } },
    encoding: {
      x: qx(),
      y: qy(),
      color: A.color,
      strokeDash: A.strokeDash,
      tooltip: A.tooltip,
    },
  };
}

/** Lines smoothed with loess (slider), raw lines faint, last points, hover rule. */
function smooth(): Json {
  return {
    ...head(),
    width: A.width,
    height: A.height,
    params: [{
      name: "smooth",
      value: 0.001,
      bind: { input: "range", min: 0.001, max: 1, step: 0.001 },
    }],
    encoding: { x: qx(), color: A.color, strokeDash: A.strokeDash },
    layer: [
      {
        layer: [
          { params: [A.zoom], mark: "line" },
          { transform: [{ filter: { param: "hover", empty: false } }], mark: "point" },
        ],
        encoding: { y: qy(), color: revColor() },
        transform: [{ loess: A.y, on: A.x, groupby: A.groupBy, bandwidth: { signal: "smooth" } }],
      },
      { mark: { type: "line", opacity: 0.2 }, encoding: { x: qx(), y: qy(), color: revColor() } },
      {
        mark: { type: "circle", size: 10 },
        encoding: {
          x: { aggregate: "max", ...qx() },
          y: { aggregate: { argmax: A.x }, ...qy() },
          color: revColor(),
        },
      },
      {
        transform: [
          { calculate: A.pivot, as: "pivot_field" },
          { pivot: "pivot_field", op: "mean", value: A.y, groupby: [A.x] },
        ],
        mark: { type: "rule", tooltip: { content: "data" }, stroke: "grey" },
        encoding: {
          opacity: { condition: { value: 0.3, param: "hover", empty: false }, value: 0 },
        },
        params: [{
          name: "hover",
          select: {
            type: "point",
            fields: [A.x],
            nearest: true,
            on: "mouseover",
            clear: "mouseout",
          },
        }],
      },
    ],
  };
}

/**
 * Confusion matrix: counts of (actual, predicted) pairs as a heat map with
 * the count written in each cell, one panel per revision (and per data
 * source when several are plotted). `normalized` colours by the share of
 * the actual class (row) instead of the raw count.
 */
function confusion(normalized: boolean): Json {
  const value = normalized ? "percent_of_y" : "xy_count";
  const transform: Json[] = [
    // Facets split revisions and sources, so counting per (x, y) is enough here.
    { aggregate: [{ op: "count", as: "xy_count" }], groupby: [A.x, A.y] },
    { impute: "xy_count", groupby: A.groupByY, key: A.x, value: 0 },
    { impute: "xy_count", groupby: A.groupByX, key: A.y, value: 0 },
    { joinaggregate: [{ op: "max", field: "xy_count", as: "max_count" }], groupby: [] },
    { calculate: "datum.xy_count / datum.max_count", as: "percent_of_max" },
  ];
  if (normalized) {
    transform.push(
      { joinaggregate: [{ op: "sum", field: "xy_count", as: "sum_y" }], groupby: A.groupByY },
      { calculate: "datum.sum_y > 0 ? datum.xy_count / datum.sum_y : 0", as: "percent_of_y" },
    );
  }
  return {
    ...head(),
    facet: { column: { field: "rev", sort: [] }, row: A.row },
    params: [{ name: "showValues", bind: { input: "checkbox" }, value: true }],
    spec: {
      width: A.width,
      height: A.height,
      transform,
      encoding: {
        x: { field: A.x, type: "nominal", sort: "ascending", title: A.xLabel },
        y: { field: A.y, type: "nominal", sort: "ascending", title: A.yLabel },
      },
      layer: [
        {
          mark: "rect",
          encoding: {
            color: {
              field: value,
              type: "quantitative",
              title: normalized ? "share of row" : "count",
              scale: normalized ? { domain: [0, 1] } : { domainMin: 0, nice: true },
            },
          },
        },
        {
          mark: "text",
          transform: [{ filter: "showValues" }],
          encoding: {
            text: normalized
              ? { field: value, type: "quantitative", format: ".2f" }
              : { field: value, type: "quantitative" },
            color: {
              condition: {
                test: normalized ? "datum.percent_of_y > 0.5" : "datum.percent_of_max > 0.5",
                value: "white",
              },
              value: "black",
            },
          },
        },
      ],
    },
  };
}

function scatter(jitter: boolean): Json {
  const enc: Record<string, Json> = {
    x: jitter ? { field: A.x, type: "nominal", title: A.xLabel } : qx(),
    y: jitter ? { field: A.y, type: "nominal", title: A.yLabel } : qy(),
    color: A.color,
    shape: A.shape,
    tooltip: A.tooltip,
  };
  if (jitter) {
    enc.xOffset = { field: "random_x", type: "quantitative" };
    enc.yOffset = { field: "random_y", type: "quantitative" };
  }
  return {
    ...head(),
    width: A.width,
    height: A.height,
    ...(jitter
      ? {
        transform: [
          { calculate: "sqrt(-2*log(random()))*cos(2*PI*random())", as: "random_x" },
          { calculate: "sqrt(-2*log(random()))*cos(2*PI*random())", as: "random_y" },
        ],
      }
      : {}),
    params: [A.zoom],
    mark: { type: "point", tooltip: { content: "data" } },
    encoding: enc,
  };
}

function bar(sorted: boolean): Json {
  return {
    ...head(),
    width: A.width,
    height: A.height,
    mark: { type: "bar" },
    params: [A.zoom],
    encoding: {
      x: { field: A.x, type: "quantitative", title: A.xLabel, scale: { zero: false } },
      y: sorted
        ? { field: A.y, type: "nominal", title: A.yLabel, sort: "-x" }
        : { field: A.y, type: "nominal", title: A.yLabel },
      yOffset: { field: "rev" },
      color: A.color,
      tooltip: A.tooltip,
    },
  };
}

/** Built-in templates in DVC's order (`plots templates` lists them so). */
const BUILTINS: [string, () => Json][] = [
  ["simple", simple],
  ["linear", smooth],
  ["confusion", () => confusion(false)],
  ["confusion_normalized", () => confusion(true)],
  ["scatter", () => scatter(false)],
  ["scatter_jitter", () => scatter(true)],
  ["smooth", smooth],
  ["bar_horizontal_sorted", () => bar(true)],
  ["bar_horizontal", () => bar(false)],
];

export const TEMPLATE_NAMES: string[] = BUILTINS.map(([n]) => n);
export const DEFAULT_TEMPLATE = "linear";

export interface Template {
  name: string;
  content: Json;
  /** true for a built-in template. */
  builtin: boolean;
}

/** A built-in template by name (a fresh copy), or undefined. */
export function builtinTemplate(name: string): Template | undefined {
  const hit = BUILTINS.find(([n]) => n === name);
  return hit ? { name, content: hit[1](), builtin: true } : undefined;
}

export class TemplateNotFoundError extends CairnError {
  constructor(name: string, templatesDir?: string) {
    super(`Template '${name}' not found.`, {
      hint: `built-in templates: ${TEMPLATE_NAMES.join(", ")}` +
        (templatesDir ? `; custom templates are looked up in '${templatesDir}'` : ""),
    });
  }
}

export class BadTemplateError extends CairnError {}

const MAX_TEMPLATE_DEPTH = 500;

/** Whether JSON data nests deeper than `max` (checked without recursion). */
function nestedDeeperThan(v: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[v, 0]];
  while (stack.length) {
    const [x, d] = stack.pop()!;
    if (x === null || typeof x !== "object") continue;
    if (d > max) return true;
    for (const y of Array.isArray(x) ? x : Object.values(x)) stack.push([y, d + 1]);
  }
  return false;
}

function isFile(p: string): boolean {
  try {
    return Deno.statSync(p).isFile;
  } catch (err) {
    ignoreNotFound(err);
    return false;
  }
}

/**
 * Find a template: `<templatesDir>/<name>`, `<templatesDir>/<name>.json`,
 * `<name>` as a path (relative to `cwd`), then the built-ins. Default
 * `linear`.
 */
export function getTemplate(
  name: string | undefined,
  opts: { templatesDir?: string; cwd?: string } = {},
): Template {
  const n = name ?? DEFAULT_TEMPLATE;
  const candidates: string[] = [];
  if (opts.templatesDir) {
    candidates.push(join(opts.templatesDir, n));
    if (!n.endsWith(".json")) candidates.push(join(opts.templatesDir, n + ".json"));
  }
  candidates.push(isAbsolute(n) ? n : resolve(opts.cwd ?? Deno.cwd(), n));
  for (const c of candidates) {
    if (!isFile(c)) continue;
    let content: Json;
    try {
      content = JSON.parse(Deno.readTextFileSync(c));
    } catch (err) {
      throw new BadTemplateError(
        `Template '${n}' ('${c}') is not valid JSON: ${(err as Error).message}`,
      );
    }
    if (content === null || typeof content !== "object" || Array.isArray(content)) {
      throw new BadTemplateError(`Template '${n}' ('${c}') must be a JSON object`);
    }
    if (nestedDeeperThan(content, MAX_TEMPLATE_DEPTH)) {
      // templates come with the repo; filling one walks it recursively
      throw new BadTemplateError(
        `Template '${n}' ('${c}') is nested too deeply (more than ${MAX_TEMPLATE_DEPTH} levels)`,
      );
    }
    return { name: n, content, builtin: false };
  }
  const b = builtinTemplate(n);
  if (b) return b;
  throw new TemplateNotFoundError(n, opts.templatesDir);
}

/** True if some string value of `v` equals `a`. */
export function hasAnchor(v: Json, a: string): boolean {
  if (typeof v === "string") return v === a;
  if (Array.isArray(v)) return v.some((x) => hasAnchor(x, a));
  if (v && typeof v === "object") return Object.values(v).some((x) => hasAnchor(x, a));
  return false;
}

/**
 * Replace anchor `a`: a string equal to it becomes `value` (any JSON); a
 * string merely containing it gets the text substituted when `value` is a
 * string (mapping values only, as DVC).
 */
export function fillAnchor(v: Json, a: string, value: Json): Json {
  if (Array.isArray(v)) return v.map((x) => (x === a ? value : fillAnchor(x, a, value)));
  if (v && typeof v === "object") {
    const out: { [k: string]: Json } = {};
    for (const [k, x] of Object.entries(v)) {
      if (x === a) out[k] = value;
      else if (typeof x === "string") {
        out[k] = typeof value === "string" && x.includes(a) ? x.replaceAll(a, value) : x;
      } else out[k] = fillAnchor(x, a, value);
    }
    return out;
  }
  return v;
}
