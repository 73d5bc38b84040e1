/**
 * Every built-in template, filled with data, compiles with Vega-Lite and
 * renders (headless Vega, no browser) the expected number of marks.
 */
import { join } from "node:path";
import * as vl from "vega-lite";
import * as vega from "vega";
import { assert, assertEquals, assertMatch, assertThrows } from "../../_rig/assert.ts";
import {
  anchor,
  BadTemplateError,
  builtinTemplate,
  fillAnchor,
  getTemplate,
  hasAnchor,
  TEMPLATE_NAMES,
  TemplateNotFoundError,
} from "../../../lib/plots/templates.ts";
import { flatDatapoints } from "../../../lib/plots/convert.ts";
import { fillTemplate, type VegaPlot } from "../../../lib/plots/vega.ts";
import { divId } from "../../../lib/plots/output.ts";

/** Count scenegraph items of role "mark" per mark type. */
async function render(spec: unknown): Promise<Record<string, number>> {
  const compiled = vl.compile(spec as vl.TopLevelSpec, { logger: vega.logger(vega.None) }).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: "none", logLevel: vega.None });
  await view.runAsync();
  const counts: Record<string, number> = {};
  // deno-lint-ignore no-explicit-any
  const walk = (node: any) => {
    if (!node) return;
    if (node.marktype && node.role === "mark") {
      const n = node.marktype === "line" || node.marktype === "area"
        ? (node.items.length ? 1 : 0)
        : node.items.length;
      counts[node.marktype] = (counts[node.marktype] ?? 0) + n;
    }
    for (const it of node.items ?? []) walk(it);
  };
  // deno-lint-ignore no-explicit-any
  walk((view.scenegraph() as any).root);
  view.finalize();
  return counts;
}

function plot(
  template: string,
  props: Record<string, unknown>,
  data: Map<string, unknown>,
  revs = ["w"],
): VegaPlot {
  const datapoints = [];
  let fprops = {};
  for (const rev of revs) {
    const r = flatDatapoints("p", props, data, rev);
    datapoints.push(...r.datapoints);
    fprops = r.props;
  }
  return {
    name: "p",
    datapoints,
    props: { ...fprops, title: "p" },
    template: builtinTemplate(template)!,
    revs,
  };
}

const numeric = new Map<string, unknown>([[
  "p",
  Array.from({ length: 6 }, (_, i) => ({ x: i, y: i * i, name: `n${i}` })),
]]);
const classes = ["a", "b"];
const cm = new Map<string, unknown>([[
  "p",
  Array.from(
    { length: 10 },
    (_, i) => ({ actual: classes[i % 2], predicted: classes[(i >> 1) % 2] }),
  ),
]]);

Deno.test("built-in templates: DVC's names and order, all with the data anchor", () => {
  assertEquals(TEMPLATE_NAMES, [
    "simple",
    "linear",
    "confusion",
    "confusion_normalized",
    "scatter",
    "scatter_jitter",
    "smooth",
    "bar_horizontal_sorted",
    "bar_horizontal",
  ]);
  for (const n of TEMPLATE_NAMES) assert(hasAnchor(builtinTemplate(n)!.content, anchor("data")), n);
});

Deno.test("line templates draw one line per revision, points per row", async () => {
  const props = { x: "x", y: "y" };
  assertEquals(
    (await render(fillTemplate(plot("simple", props, numeric, ["a", "b"])).content)).line,
    2,
  );
  const lin = await render(fillTemplate(plot("linear", props, numeric)).content);
  assertEquals(lin.line, 2); // smoothed + raw
  assertEquals(lin.symbol, 1); // last point
  assertEquals(lin.rule, 6); // hover rule per x
  assertEquals((await render(fillTemplate(plot("scatter", props, numeric)).content)).symbol, 6);
  assertEquals(
    (await render(fillTemplate(plot("scatter_jitter", props, numeric)).content)).symbol,
    6,
  );
});

Deno.test("bar templates: a bar per row (and per revision)", async () => {
  const props = { x: "x", y: "name" };
  assertEquals(
    (await render(fillTemplate(plot("bar_horizontal", props, numeric)).content)).rect,
    6,
  );
  assertEquals(
    (await render(fillTemplate(plot("bar_horizontal_sorted", props, numeric, ["a", "b"])).content))
      .rect,
    12,
  );
});

Deno.test("confusion templates: a cell per class pair per revision, counts written", async () => {
  const props = { x: "actual", y: "predicted" };
  const one = await render(fillTemplate(plot("confusion", props, cm)).content);
  assertEquals(one.rect, 4);
  assertEquals(one.text, 4);
  const two = await render(
    fillTemplate(plot("confusion_normalized", props, cm, ["v1", "v2"])).content,
  );
  assertEquals(two.rect, 8);
});

Deno.test("several sources: stroke dash per source, filename/field kept only when they vary", () => {
  const data = new Map<string, unknown>([
    ["a/train.json", [{ x: 0, y: 1 }, { x: 1, y: 2 }]],
    ["a/test.json", [{ x: 0, y: 3 }, { x: 1, y: 4 }]],
  ]);
  const p = plot("simple", { x: "x", y: { "a/train.json": "y", "a/test.json": "y" } }, data);
  // deno-lint-ignore no-explicit-any
  const spec = fillTemplate(p).content as any;
  assertEquals(spec.encoding.strokeDash, {
    field: "filename",
    scale: { domain: ["test.json", "train.json"], range: [[1, 0], [8, 8]] },
    legend: { symbolFillColor: "transparent", symbolStrokeColor: "grey" },
  });
  assertEquals(Object.keys(spec.data.values[0]), ["x", "y", "rev", "filename"]);
  assertEquals(spec.encoding.color.scale, { domain: ["w"], range: ["#945dd6"] });
});

Deno.test("anchors: whole values replaced by any JSON, embedded ones by text; x/y escaped", () => {
  assertEquals(
    fillAnchor(
      { a: "<DVC_METRIC_X>", b: ["<DVC_METRIC_X>"], c: "datum.<DVC_METRIC_X>" },
      anchor("x"),
      "v",
    ),
    {
      a: "v",
      b: ["v"],
      c: "datum.v",
    },
  );
  const data = new Map<string, unknown>([["p", [{ "a.b": 1, "c[0]": 2 }]]]);
  // deno-lint-ignore no-explicit-any
  const spec = fillTemplate(plot("simple", { x: "a.b", y: "c[0]" }, data)).content as any;
  assertEquals(spec.encoding.x.field, "a\\.b");
  assertEquals(spec.encoding.y.field, "c\\[0\\]");
  assertEquals(spec.encoding.x.title, "a.b");
});

Deno.test("custom templates: .dvc/plots/NAME(.json) or a path; missing ones list the built-ins", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const custom = { $schema: "x", data: { values: "<DVC_METRIC_DATA>" }, mark: "point" };
    Deno.mkdirSync(join(dir, "plots"));
    Deno.writeTextFileSync(join(dir, "plots", "mine.json"), JSON.stringify(custom));
    Deno.writeTextFileSync(join(dir, "nodata.json"), JSON.stringify({ mark: "point" }));
    assertEquals(getTemplate("mine", { templatesDir: join(dir, "plots") }).content, custom);
    assertEquals(getTemplate("mine.json", { templatesDir: join(dir, "plots") }).builtin, false);
    assertEquals(getTemplate(undefined).name, "linear");
    const bad = getTemplate("nodata.json", { cwd: dir });
    const data = new Map<string, unknown>([["p", [{ x: 1, y: 2 }]]]);
    const p = { ...plot("simple", { x: "x", y: "y" }, data), template: bad };
    assertThrows(() => fillTemplate(p), BadTemplateError);
    try {
      getTemplate("nosuch", { templatesDir: join(dir, "plots") });
      throw new Error("no error");
    } catch (e) {
      assert(e instanceof TemplateNotFoundError);
      assertMatch(e.hint ?? "", /simple, linear, confusion/);
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("div ids replace DVC's special characters", () => {
  assertEquals(divId("eval/prc.csv"), "eval_prc_csv");
  assertEquals(divId("dvc.yaml::a b(c)"), "dvc_yaml__a_b_c_");
});
