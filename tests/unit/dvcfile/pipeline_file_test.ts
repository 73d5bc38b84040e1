import { assert, assertEquals, assertMatch } from "../../_rig/assert.ts";
import { DvcFileSyntaxError } from "../../../lib/errors.ts";
import { isValidStageName, parsePipelineFile } from "../../../lib/dvcfile/pipeline_file.ts";
import { PyFloat } from "../../../lib/py/value.ts";

/** Parse with an in-memory file system of repo-relative paths. */
function parse(yaml: string, files: Record<string, string> = {}, file = "dvc.yaml") {
  return parsePipelineFile(yaml, file, { readText: (p) => files[p] });
}

function parseError(yaml: string, files: Record<string, string> = {}): DvcFileSyntaxError {
  try {
    parse(yaml, files);
  } catch (e) {
    if (e instanceof DvcFileSyntaxError) return e;
    throw e;
  }
  throw new Error("expected a DvcFileSyntaxError");
}

Deno.test("stage fields: cmd, wdir, deps, params forms, outs flags, frozen, desc, meta", () => {
  const pf = parse(`stages:
  s:
    desc: a stage
    cmd:
    - echo 1
    - echo 2
    wdir: sub
    deps: [a, b]
    params:
    - lr
    - other.yaml: [x, y.z]
    - whole.yaml:
    - params.yaml:
    outs:
    - o1
    - o2:
        cache: false
        persist: true
        remote: r
        push: false
        desc: d
    metrics:
    - m.json
    plots:
    - p.csv:
        x: step
        y: loss
        cache: false
    frozen: true
    always_changed: true
    meta: {owner: me}
`);
  const s = pf.stages[0];
  assertEquals(s.name, "s");
  assertEquals(s.kind, "pipeline");
  assertEquals(s.file, "dvc.yaml");
  assertEquals(s.wdir, "sub");
  assertEquals(s.cmd, ["echo 1", "echo 2"]);
  assertEquals(s.deps.map((d) => d.path), ["a", "b"]);
  // `- params.yaml:` tracks the whole file: the `lr` key is then ignored.
  assertEquals(s.params, [
    { file: "other.yaml", keys: ["x", "y.z"] },
    { file: "whole.yaml", keys: null },
    { file: "params.yaml", keys: null },
  ]);
  assertEquals(s.outs.map((o) => [o.path, o.kind, o.cache, o.persist, o.push]), [
    ["o1", "out", true, false, true],
    ["o2", "out", false, true, false],
    ["m.json", "metric", true, false, true],
    ["p.csv", "plot", false, false, true],
  ]);
  assertEquals(s.outs[1].remote, "r");
  assertEquals(s.outs[1].desc, "d");
  assertEquals(s.outs[3].plotProps, { x: "step", y: "loss" });
  assertEquals([s.frozen, s.alwaysChanged, s.desc], [true, true, "a stage"]);
  assertEquals(s.meta, { owner: "me" });
  assertEquals(s.parametrized, false);
});

Deno.test("templating: params.yaml, vars (inline, files, partial), type-keeping, escapes", () => {
  const pf = parse(
    `vars:
- config.json
- extra.toml:sec
- {inline: {n: 3}, flag: true}
stages:
  s:
    cmd: run \${lr} \${model.layers[1]} \${inline.n} \${flag} \${ratio} \\\${literal} \${none}
    deps:
    - \${data_dir}/in.csv
    outs:
    - out-\${sec.name}.txt
    frozen: false
`,
    {
      "params.yaml": "lr: 0.001\nmodel: {layers: [16, 8]}\nratio: 1.0\nnone: null\n",
      "config.json": '{"data_dir": "data"}',
      "extra.toml": '[sec]\nname = "x"\n[other]\nv = 1\n',
    },
  );
  const s = pf.stages[0];
  assertEquals(s.cmd, "run 0.001 8 3 true 1.0 ${literal} None");
  assertEquals(s.deps[0].path, "data/in.csv");
  assertEquals(s.outs[0].path, "out-x.txt");
  assertEquals(s.parametrized, true);
  assertEquals(pf.trackedVars.s, {
    "params.yaml": { lr: 0.001, "model.layers.1": 8, ratio: new PyFloat(1), none: null },
    "config.json": { data_dir: "data" },
    "extra.toml": { "sec.name": "x" },
  });
});

Deno.test("templating: dict in cmd expands to CLI flags (shell-quoted)", () => {
  const pf = parse(
    `stages:
  s:
    cmd: train \${opts}
`,
    {
      "params.yaml": `opts:
  lr: 0.1
  name: my model
  verbose: true
  quiet: false
  layers: [1, 2]
  nested: {depth: 3}
  tags: ["a b", c]
`,
    },
  );
  assertEquals(
    pf.stages[0].cmd,
    "train --lr 0.1 --name 'my model' --verbose --layers 1 2 --nested.depth 3 --tags 'a b' c",
  );
  const bo = parsePipelineFile(`stages:\n  s:\n    cmd: t \${o}\n`, "dvc.yaml", {
    readText: (p) => p === "params.yaml" ? "o: {a: false, l: [1, 2]}\n" : undefined,
    parsing: { bool: "boolean_optional", list: "append" },
  });
  assertEquals(bo.stages[0].cmd, "t --no-a --l 1 --l 2");
});

Deno.test("foreach over a list, a list of dicts, a dict and \${...}; matrix", () => {
  const pf = parse(
    `vars:
- {models: {cnn: {size: 1}, xgb: {size: 2}}}
stages:
  a:
    foreach: [us, uk]
    do:
      cmd: echo \${item}
  b:
    foreach:
    - {n: 1}
    - {n: 2}
    do:
      cmd: echo \${item.n}
  c:
    foreach: \${models}
    do:
      cmd: echo \${key} \${item.size}
      outs: ["\${key}.txt"]
  d:
    matrix:
      model: [cnn, xgb]
      flag: [true, false]
      cfg: [{x: 1}]
    cmd: echo \${item.model} \${item.flag} \${item.cfg.x} \${key}
`,
  );
  const names = pf.stages.map((s) => s.name);
  assertEquals(names, [
    "a@us",
    "a@uk",
    "b@0",
    "b@1",
    "c@cnn",
    "c@xgb",
    "d@cnn-true-cfg0",
    "d@cnn-false-cfg0",
    "d@xgb-true-cfg0",
    "d@xgb-false-cfg0",
  ]);
  const cmd = (n: string) => pf.stages.find((s) => s.name === n)!.cmd;
  assertEquals(cmd("a@uk"), "echo uk");
  assertEquals(cmd("b@1"), "echo 2");
  assertEquals(cmd("c@xgb"), "echo xgb 2");
  assertEquals(pf.stages.find((s) => s.name === "c@xgb")!.outs[0].path, "xgb.txt");
  assertEquals(cmd("d@xgb-false-cfg0"), "echo xgb false 1 xgb-false-cfg0");
  assert(pf.stages.every((s) => s.parametrized));
  assertEquals(pf.stages[0].group, "a");
});

Deno.test("a whole-string reference keeps the value's type", () => {
  const pf = parse(
    "stages:\n  s:\n    foreach: ${runs}\n    do:\n      cmd: echo ${item.n}\n      wdir: ${item.n}\n",
    { "params.yaml": "runs:\n- n: 3\n" },
  );
  assertEquals(pf.stages[0].name, "s@0");
  assertEquals(pf.stages[0].wdir, "3");
  // the schema runs before templating: a templated bool is refused, as by DVC
  const e = parseError("stages:\n  s:\n    cmd: a\n    frozen: ${f}\n");
  assertMatch(e.message, /expected bool for 'stages\.s\.frozen'/);
});

Deno.test("stage vars are relative to the stage wdir and local to the stage", () => {
  const pf = parse(
    `stages:
  s:
    wdir: sub
    vars:
    - local.yaml
    - {k: v}
    cmd: echo \${x} \${k}
  t:
    cmd: echo \${y}
`,
    { "sub/local.yaml": "x: 1\n", "params.yaml": "y: 2\n" },
  );
  assertEquals(pf.stages.map((s) => s.cmd), ["echo 1 v", "echo 2"]);
  const e = parseError(
    `stages:\n  s:\n    vars: [{k: 1}]\n    cmd: a\n  t:\n    cmd: echo \${k}\n`,
  );
  assertMatch(e.message, /stages\.t\.cmd.*Could not find 'k'/);
});

Deno.test("top-level sections are resolved and typed", () => {
  const pf = parse(
    `params: [custom.yaml]
metrics: ["\${dir}/m.json"]
plots:
- a.csv
- roc:
    x: fpr
    y: {r/t.json: tpr}
- b.csv:
artifacts:
  \${name}:
    path: model.pkl
    type: model
datasets:
- {name: ds, type: dvc, url: x}
stages: {}
`,
    { "params.yaml": "dir: out\nname: mdl\n" },
  );
  assertEquals(pf.params, ["custom.yaml"]);
  assertEquals(pf.metrics, ["out/m.json"]);
  assertEquals(pf.plots, [
    { id: "a.csv", props: null },
    { id: "roc", props: { x: "fpr", y: { "r/t.json": "tpr" } } },
    { id: "b.csv", props: null },
  ]);
  assertEquals(pf.artifacts, [{ name: "mdl", path: "model.pkl", type: "model" }]);
  assertEquals(pf.datasets.length, 1);
});

Deno.test("nested dvc.yaml: stage file and wdir are repo-relative, params.yaml next to it", () => {
  const pf = parsePipelineFile(
    "stages:\n  s:\n    cmd: echo ${v}\n    wdir: w\n",
    "sub/dir/dvc.yaml",
    { readText: (p) => (p === "sub/dir/params.yaml" ? "v: 5\n" : undefined) },
  );
  assertEquals(pf.stages[0].file, "sub/dir/dvc.yaml");
  assertEquals(pf.stages[0].wdir, "sub/dir/w");
  assertEquals(pf.stages[0].cmd, "echo 5");
  assertEquals(pf.trackedVars.s, { "sub/dir/params.yaml": { v: 5 } });
});

// -- errors: each names file, line and column ------------------------------

function assertAt(e: DvcFileSyntaxError, line: number, column: number, re: RegExp) {
  assertEquals([e.path, e.line, e.column], ["dvc.yaml", line, column], e.message);
  assertMatch(e.message, re);
  assert(e.message.includes(`dvc.yaml:${line}:${column}`), e.message);
}

Deno.test("error: YAML syntax", () => {
  assertAt(parseError("stages:\n  s:\n    cmd: [a, b\n"), 4, 1, /Flow sequence|end with a \]/);
  assertAt(parseError("stages:\n  s:\n    cmd: a\n    cmd: b\n"), 4, 5, /unique|duplicate/);
});

Deno.test("error: unknown keys at the top, in a stage, in an output", () => {
  assertAt(parseError("stagez: {}\n"), 1, 1, /extra key 'stagez'/);
  assertAt(
    parseError("stages:\n  train:\n    cmd: a\n    dep: [x]\n"),
    4,
    5,
    /extra key 'dep' not allowed in 'stages\.train'/,
  );
  assertAt(
    parseError("stages:\n  s:\n    cmd: a\n    outs:\n    - o:\n        cahce: false\n"),
    6,
    9,
    /extra key 'cahce'/,
  );
});

Deno.test("error: wrong types and missing cmd", () => {
  assertAt(
    parseError("stages:\n  s:\n    cmd: a\n    deps: x\n"),
    4,
    11,
    /expected a list for 'stages\.s\.deps', got str/,
  );
  assertAt(parseError("stages:\n  s:\n    cmd: a\n    frozen: yes\n"), 4, 13, /expected bool/);
  assertAt(
    parseError("stages:\n  s:\n    cmd: 1\n"),
    3,
    10,
    /expected str or list for 'stages\.s\.cmd'/,
  );
  assertAt(parseError("stages:\n  s:\n    deps: [a]\n"), 3, 5, /required key 'cmd'.*stages\.s/);
  assertAt(
    parseError("stages:\n  s:\n    cmd: a\n    outs:\n    - [x]\n"),
    5,
    7,
    /expected a mapping/,
  );
});

Deno.test("error: undefined \${} variable names the stage and the field", () => {
  const e = parseError(
    "stages:\n  train:\n    cmd: python t.py\n    deps:\n    - ok\n    - ${nope.x}\n",
    {
      "params.yaml": "a: 1\n",
    },
  );
  assertAt(e, 6, 7, /stages\.train\.deps.*Could not find 'nope\.x'/);
  const g = parseError(
    "stages:\n  g:\n    foreach: [a]\n    do:\n      cmd: echo ${item} ${missing}\n",
  );
  assertAt(g, 5, 12, /stages\.g@a\.cmd.*Could not find 'missing'/);
  const f = parseError("stages:\n  g:\n    foreach: ${nothing}\n    do:\n      cmd: x\n");
  assertAt(f, 3, 14, /stages\.g\.foreach.*Could not find 'nothing'/);
});

Deno.test("error: bad \${} syntax, non-primitive interpolation, vars problems", () => {
  assertAt(parseError("stages:\n  s:\n    cmd: echo ${a..b}\n"), 3, 10, /invalid interpolation/);
  assertAt(
    parseError("stages:\n  s:\n    cmd: echo ${l}\n", { "params.yaml": "l: [1]\n" }),
    3,
    10,
    /Cannot interpolate data of type 'list'/,
  );
  assertAt(
    parseError("vars: [missing.yaml]\nstages: {}\n"),
    1,
    7,
    /'missing\.yaml' does not exist/,
  );
  assertAt(
    parseError("vars:\n- {a: 1}\n- other.yaml\nstages: {}\n", { "other.yaml": "a: 2\n" }),
    2,
    1,
    /cannot redefine 'a' from 'other\.yaml' as it already exists in 'vars\[0\]'/,
  );
  assertAt(parseError("vars: ['${x}']\nstages: {}\n"), 1, 8, /interpolating is not allowed/);
  assertAt(
    parseError("stages:\n  g:\n    foreach: ${n}\n    do:\n      cmd: x\n", {
      "params.yaml": "n: 3\n",
    }),
    3,
    14,
    /expected list\/dictionary, got int/,
  );
});

Deno.test("error: illegal stage names", () => {
  assertAt(parseError("stages:\n  a:b:\n    cmd: x\n"), 2, 3, /invalid stage name 'a:b'/);
  assertAt(parseError("stages:\n  x@1:\n    cmd: x\n"), 2, 3, /invalid stage name 'x@1'/);
  assertEquals(isValidStageName("train_2-b"), true);
  assertEquals(isValidStageName("a.b"), false);
  assertEquals(isValidStageName(""), false);
});
