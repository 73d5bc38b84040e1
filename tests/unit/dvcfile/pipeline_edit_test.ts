import { assert, assertEquals, assertThrows } from "../../_rig/assert.ts";
import { FIXTURES } from "../../_rig/rig.ts";
import {
  addStage,
  editStageText,
  modifyPlotProps,
  ParametrizedDumpError,
  pipelineStageData,
  removeStage,
  serializeParamsKeys,
  setFrozen,
  StageExistsError,
} from "../../../lib/dvcfile/pipeline_edit.ts";
import { loadPipelineFile } from "../../../lib/dvcfile/pipeline_file.ts";
import { emitYaml } from "../../../lib/py/yaml_emit.ts";
import { QUOTING_NAMES } from "../py/_quoting_names.ts";
import type { Output, OutputKind, ParamDependency, Stage } from "../../../lib/stage/types.ts";

const LF = `${FIXTURES}/lock_formats`;

interface Def {
  cmd: string;
  deps?: string[];
  outs?: (string | [string, Partial<Output>])[];
  params?: ParamDependency[];
  wdir?: string;
  desc?: string;
  alwaysChanged?: boolean;
}

function out(path: string, kind: OutputKind = "out", flags: Partial<Output> = {}): Output {
  return { path, kind, cache: true, persist: false, push: true, ...flags };
}

function stage(name: string, d: Def): Stage {
  return {
    name,
    kind: "pipeline",
    file: "dvc.yaml",
    wdir: d.wdir ?? "",
    cmd: d.cmd,
    deps: (d.deps ?? []).map((path) => ({ path })),
    params: d.params ?? [],
    outs: (d.outs ?? []).map((o) => typeof o === "string" ? out(o) : out(o[0], o[1].kind, o[1])),
    frozen: false,
    alwaysChanged: d.alwaysChanged ?? false,
    desc: d.desc,
  };
}

const tmpDirs: string[] = [];
globalThis.addEventListener("unload", () => {
  for (const d of tmpDirs) Deno.removeSync(d, { recursive: true });
});

function tmpRepo(files: Record<string, string>): string {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-edit-" });
  tmpDirs.push(dir);
  for (const [p, t] of Object.entries(files)) Deno.writeTextFileSync(`${dir}/${p}`, t);
  return dir;
}

const p = (file: string, keys: string[] | null): ParamDependency => ({ file, keys });

/** The `dvc stage add` lines of the lock_formats fixture generator. */
function lockFormatsStages(): Stage[] {
  return [
    stage("long_cmd", {
      cmd:
        'python3 w.py --out out/long.txt --alpha 0.5 --beta 0.25 --gamma-correction-factor 2.0 --description "a long quoted description that goes past eighty columns" --flag',
      deps: ["w.py"],
      outs: ["out/long.txt"],
    }),
    stage("list_cmd", {
      cmd: "python3 w.py --out out/list1.txt first",
      deps: ["w.py"],
      outs: ["out/list1.txt", "out/list2.txt"],
    }),
    stage("quoting", {
      cmd:
        "python3 w.py --out true --out 123 --out 1e5 --out null --out 0x1F --out yes --out 'colon: space.txt' --out 'hash #sign.txt' --out '[brackets].txt' --out '{braces}.txt' --out @at.txt --out \"it's.txt\" --out '!bang.txt' --out '&amp.txt' --out '*star.txt' --out -dash.txt",
      deps: ["w.py"],
      outs: [...QUOTING_NAMES],
    }),
    stage("digits", {
      cmd: "cp digits.txt out/digits_copy.txt && cp floaty.txt out/floaty_copy.txt",
      deps: ["digits.txt", "floaty.txt"],
      outs: ["out/digits_copy.txt", "out/floaty_copy.txt"],
    }),
    stage("unicode", {
      cmd: "python3 w.py --out 'données/résumé.txt' --out '😀/emoji ✓.txt' ünïcödé",
      deps: ["w.py", "données/entrée.txt"],
      outs: ["données/résumé.txt", "😀/emoji ✓.txt"],
    }),
    stage("params", {
      cmd: "python3 w.py --out out/params_used.txt",
      deps: ["w.py"],
      params: [
        p("params.yaml", ["floats", "nested", "lists", "strings", "null_value"]),
        p("params.json", ["json_floats", "json_nested"]),
        p("params.toml", ["toml_section"]),
      ],
      outs: ["out/params_used.txt"],
    }),
    stage("params_keys", {
      cmd: "python3 w.py --out out/params_keys.txt",
      deps: ["w.py"],
      params: [p("params.yaml", [
        "floats.sci",
        "floats.tiny",
        "floats.one",
        "lists.of_maps",
        "nested.level1.level2.value",
        "strings.looks_int",
      ])],
      outs: ["out/params_keys.txt"],
    }),
    stage("flags", {
      cmd:
        "python3 w.py --out out/persist.txt --out out/nocache.txt --out out/metric.json --out out/metric_nc.json --out out/plot.csv --out out/plot_nc.csv --out out/persist_nc.txt",
      deps: ["w.py"],
      desc:
        "A long description that goes past the eighty column limit so that the YAML writer has to fold it",
      outs: [
        ["out/persist.txt", { persist: true }],
        ["out/nocache.txt", { cache: false }],
        ["out/metric.json", { kind: "metric" }],
        ["out/metric_nc.json", { kind: "metric", cache: false }],
        ["out/plot.csv", { kind: "plot" }],
        ["out/plot_nc.csv", { kind: "plot", cache: false }],
        ["out/persist_nc.txt", { persist: true, cache: false }],
      ],
    }),
    stage("always", {
      cmd: "python3 w.py --out out/always.txt",
      deps: ["w.py"],
      outs: ["out/always.txt"],
      alwaysChanged: true,
    }),
  ];
}

Deno.test("addStage: the lock_formats `dvc stage add` sequence gives DVC's bytes", () => {
  const root = tmpRepo({});
  for (const s of lockFormatsStages()) {
    const r = addStage(root, s);
    assertEquals(r.replaced, false);
  }
  assertEquals(
    Deno.readTextFileSync(`${root}/dvc.yaml`),
    Deno.readTextFileSync(`${LF}/expected/dvc.yaml.after_stage_add`),
  );
});

Deno.test("addStage: pipeline_repo stages (params in another file, wdir, -O/-M/--plots)", () => {
  const root = tmpRepo({});
  addStage(
    root,
    stage("prepare", {
      cmd: "python3 src/prepare.py data/raw.csv data/prepared",
      params: [p("params.yaml", ["prepare.seed", "prepare.split"])],
      deps: ["src/prepare.py", "src/util.py", "data/raw.csv"],
      outs: ["data/prepared"],
    }),
  );
  addStage(
    root,
    stage("train", {
      cmd:
        "python3 src/train.py data/prepared model.json logs/train_log.txt --epochs ${train.epochs}",
      params: [p("params.yaml", ["train.lr", "train.layers", "train.use_bias", "train.optimizer"])],
      deps: ["src/train.py", "src/util.py", "data/prepared"],
      outs: ["model.json", ["logs/train_log.txt", { cache: false }]],
    }),
  );
  addStage(
    root,
    stage("evaluate", {
      cmd: "python3 ../src/evaluate.py",
      wdir: "eval",
      params: [p("../params.yaml", ["evaluate.thresholds"])],
      deps: ["../src/evaluate.py", "../src/util.py", "../model.json", "../data/prepared/test.csv"],
      outs: [["metrics.json", { kind: "metric", cache: false }], ["prc.csv", { kind: "plot" }]],
    }),
  );
  assertEquals(
    Deno.readTextFileSync(`${root}/dvc.yaml`),
    Deno.readTextFileSync(`${FIXTURES}/pipeline_repo/expected/dvc.yaml.after_stage_add`),
  );
});

function lockFormatsCopy(dvcYaml: string): string {
  const files: Record<string, string> = { "dvc.yaml": dvcYaml };
  for (const f of ["params.yaml", "params.json", "params.toml"]) {
    files[f] = Deno.readTextFileSync(`${LF}/repo/${f}`);
  }
  return tmpRepo(files);
}

Deno.test("setFrozen: freeze appends `frozen: true`, unfreeze gives the file back", () => {
  const handEdit = Deno.readTextFileSync(`${LF}/expected/dvc.yaml.after_hand_edit`);
  const root = lockFormatsCopy(handEdit);
  assertEquals(setFrozen(root, "dvc.yaml", "long_cmd", true), true);
  assertEquals(
    Deno.readTextFileSync(`${root}/dvc.yaml`),
    Deno.readTextFileSync(`${LF}/expected/dvc.yaml.after_freeze`),
  );
  assertEquals(setFrozen(root, "dvc.yaml", "long_cmd", true), false);
  assertEquals(setFrozen(root, "dvc.yaml", "long_cmd", false), true);
  assertEquals(
    Deno.readTextFileSync(`${root}/dvc.yaml`),
    Deno.readTextFileSync(`${LF}/expected/dvc.yaml.after_unfreeze`),
  );
});

Deno.test("editStageText keeps comments and untouched text; new keys go last", () => {
  const text = [
    "# my pipeline",
    "stages:",
    "  a:  # stage a",
    "    cmd: echo a   # the command",
    "    deps:",
    "    - x",
    "    # trailing comment in a",
    "  b:",
    "    cmd: echo b",
    "plots:",
    "- p.csv",
    "",
  ].join("\n");
  const data = pipelineStageData(stage("a", { cmd: "echo a", deps: ["x", "y"] }));
  const out = editStageText(text, "dvc.yaml", "a", data);
  assertEquals(
    out,
    [
      "# my pipeline",
      "stages:",
      "  a:  # stage a",
      "    cmd: echo a   # the command",
      "    deps:",
      "    - x",
      "    - y",
      "    # trailing comment in a",
      "  b:",
      "    cmd: echo b",
      "plots:",
      "- p.csv",
      "",
    ].join("\n"),
  );
  const added = editStageText(
    text,
    "dvc.yaml",
    "c",
    pipelineStageData(stage("c", { cmd: "echo c" })),
  );
  assert(added.includes("  b:\n    cmd: echo b\n  c:\n    cmd: echo c\nplots:\n"), added);
  const removed = editStageText(text, "dvc.yaml", "b", null);
  assert(!removed.includes("echo b") && removed.includes("# trailing comment in a"), removed);
  // no stages key yet; file without final newline
  assertEquals(
    editStageText("plots:\n- a.csv", "dvc.yaml", "s", { cmd: "run" }),
    "plots:\n- a.csv\nstages:\n  s:\n    cmd: run\n",
  );
  assertEquals(
    editStageText("stages: {}\n", "dvc.yaml", "s", { cmd: "run" }),
    "stages:\n  s:\n    cmd: run\n",
  );
});

Deno.test("addStage: existing stage needs force; force replaces in place; parametrized refused", () => {
  const root = tmpRepo({
    "dvc.yaml": "stages:\n  a:\n    cmd: echo a\n  b:\n    cmd: echo b\n  t:\n    cmd: echo ${x}\n",
    "params.yaml": "x: 1\n",
  });
  assertThrows(() => addStage(root, stage("a", { cmd: "echo A" })), StageExistsError);
  const r = addStage(root, stage("a", { cmd: "echo A", deps: ["d"] }), { force: true });
  assertEquals(r, { created: false, replaced: true });
  assertEquals(
    Deno.readTextFileSync(`${root}/dvc.yaml`),
    "stages:\n  a:\n    cmd: echo A\n    deps:\n    - d\n  b:\n    cmd: echo b\n  t:\n    cmd: echo ${x}\n",
  );
  assertThrows(
    () => addStage(root, stage("t", { cmd: "echo 2" }), { force: true }),
    ParametrizedDumpError,
  );
  assertThrows(() => setFrozen(root, "dvc.yaml", "t", true), ParametrizedDumpError);
});

Deno.test("removeStage: drops the stage and its lock entry; last one deletes both files", () => {
  const root = tmpRepo({
    "dvc.yaml": "stages:\n  a:\n    cmd: echo a\n  b:\n    cmd: echo b\n",
    "dvc.lock": "schema: '2.0'\nstages:\n  a:\n    cmd: echo a\n  b:\n    cmd: echo b\n",
  });
  assertEquals(removeStage(root, "dvc.yaml", "a"), true);
  assertEquals(Deno.readTextFileSync(`${root}/dvc.yaml`), "stages:\n  b:\n    cmd: echo b\n");
  assertEquals(
    Deno.readTextFileSync(`${root}/dvc.lock`),
    "schema: '2.0'\nstages:\n  b:\n    cmd: echo b\n",
  );
  assertEquals(removeStage(root, "dvc.yaml", "b"), true);
  assertThrows(() => Deno.statSync(`${root}/dvc.yaml`));
  assertThrows(() => Deno.statSync(`${root}/dvc.lock`));
});

Deno.test("modifyPlotProps: moves an out to plots with props, unset removes", () => {
  const root = tmpRepo({
    "dvc.yaml": "stages:\n  s:\n    cmd: run\n    outs:\n    - a.csv\n    - b.txt\n",
  });
  modifyPlotProps(root, "dvc.yaml", "s", "a.csv", { props: { x: "step", template: "linear" } });
  assertEquals(
    Deno.readTextFileSync(`${root}/dvc.yaml`),
    "stages:\n  s:\n    cmd: run\n    outs:\n    - b.txt\n    plots:\n    - a.csv:\n        x: step\n        template: linear\n",
  );
  modifyPlotProps(root, "dvc.yaml", "s", "a.csv", { unset: ["x"] });
  const pf = loadPipelineFile(root, "dvc.yaml");
  assertEquals(pf.stages[0].outs.find((o) => o.path === "a.csv")!.plotProps, {
    template: "linear",
  });
});

Deno.test("serializeParamsKeys: default file keys first, other files sorted, whole files null", () => {
  const keys = serializeParamsKeys([
    p("z.yaml", ["b", "a"]),
    p("params.yaml", ["lr", "epochs"]),
    p("a.json", null),
  ]);
  assertEquals(
    emitYaml({ params: keys }),
    "params:\n- epochs\n- lr\n- a.json:\n- z.yaml:\n  - a\n  - b\n",
  );
});
