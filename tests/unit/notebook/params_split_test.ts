/** Notebook parameters (papermill's convention) and how nb migrate cuts a notebook into stages. */
import { assertEquals, assertThrows } from "../../_rig/assert.ts";
import {
  parseParamArg,
  pyDeclaredParams,
  pyInjectedCell,
  tsApplyParams,
  tsDeclaredParams,
} from "../../../lib/notebook/params.ts";
import { splitStages } from "../../../lib/notebook/migrate.ts";
import { denoModule } from "../../../lib/notebook/run.ts";
import type { Cell, Notebook } from "../../../lib/notebook/ipynb.ts";

Deno.test("-p values are read as YAML scalars; bad names are usage errors", () => {
  assertEquals(parseParamArg("lr=0.05"), ["lr", 0.05]);
  assertEquals(parseParamArg("epochs=3"), ["epochs", 3]);
  assertEquals(parseParamArg("on=true"), ["on", true]);
  assertEquals(parseParamArg("name=adam"), ["name", "adam"]);
  assertEquals(parseParamArg("sizes=[1, 2]"), ["sizes", [1, 2]]);
  assertEquals(parseParamArg("msg=a=b"), ["msg", "a=b"]);
  assertThrows(() => parseParamArg("nokey"), Error, "key=value");
  assertThrows(() => parseParamArg("a.b=1"), Error, "not a valid variable name");
});

Deno.test("TypeScript parameters: one-line declarations rewritten, new names declared after", () => {
  const cell = 'const lr: number = 0.1; // step size\nlet name = "x"\nconst keep = 1;\n';
  assertEquals([...tsDeclaredParams(cell).keys()], ["lr", "name", "keep"]);
  assertEquals(
    tsApplyParams(cell, { lr: 0.5, name: "y", extra: [1] }),
    'const lr: number = 0.5; // step size\nlet name = "y";\nconst keep = 1;\n' +
      "// injected parameters\nconst extra = [1];\n",
  );
});

Deno.test("Python parameters: papermill's injected cell", () => {
  assertEquals(
    [...pyDeclaredParams("alpha = 1\nbeta: float = 2.0  # b\nif x == 1: pass\n").keys()],
    [
      "alpha",
      "beta",
    ],
  );
  assertEquals(
    pyInjectedCell({ alpha: 0.5, name: "it's", flag: false, none: null, l: [1, "a"] }),
    "# Parameters\nalpha = 0.5\nname = \"it's\"\nflag = False\nnone = None\nl = [1, 'a']\n",
  );
});

const code = (source: string, tags: string[] = []): Cell => ({
  cell_type: "code",
  metadata: { tags },
  outputs: [],
  source,
});
const md = (source: string): Cell => ({ cell_type: "markdown", metadata: {}, source });

Deno.test("stages from stage:NAME tags; prelude code shared; the parameters cell left out", () => {
  const cells = [
    code("const a = 1;", ["parameters"]),
    code("import x from './x.ts';"),
    code("load();", ["stage:load"]),
    md("notes"),
    code("more();"),
    code("fit();", ["stage:train"]),
  ];
  const { prelude, sections } = splitStages(cells, 0);
  assertEquals(prelude.map((c) => c.source), ["import x from './x.ts';"]);
  assertEquals(sections.map((s) => [s.name, s.cells.map((c) => c.source)]), [
    ["load", ["load();", "more();"]],
    ["train", ["fit();"]],
  ]);
  assertThrows(() => splitStages([code("a", ["stage:x y"])], -1), Error, "not a valid stage name");
  assertThrows(
    () => splitStages([code("a", ["stage:x"]), code("b", ["stage:x"])], -1),
    Error,
    "twice",
  );
  assertThrows(() => splitStages([code("a")], -1), Error, "no stages found");
});

Deno.test("stages from chosen markdown headings (--split)", () => {
  const cells = [
    code("setup();"),
    md("# Data Loading\ntext"),
    code("load();"),
    md("## A remark"),
    code("still_load();"),
    md("## Model training"),
    code("fit();"),
  ];
  const { prelude, sections } = splitStages(cells, -1, ["data loading", "Model training"]);
  assertEquals(prelude.length, 1);
  assertEquals(sections.map((s) => [s.name, s.cells.length]), [["data_loading", 2], [
    "model_training",
    1,
  ]]);
  assertThrows(() => splitStages(cells, -1, ["Evaluation"]), Error, "'Evaluation'");
});

Deno.test("a Deno notebook's module: cells in order with markers, parameters applied", () => {
  const nb: Notebook = {
    cells: [code("const n = 1;", ["parameters"]), md("x"), code("console.log(n);")],
    metadata: {},
    nbformat: 4,
    nbformat_minor: 5,
  };
  const mod = denoModule(nb, { n: 5 });
  const body = mod.slice(mod.indexOf(";__cairnNb.cell(0);"));
  assertEquals(body, ";__cairnNb.cell(0);\nconst n = 5;\n\n;__cairnNb.cell(2);\nconsole.log(n);\n");
});
