import {
  assert,
  assertEquals,
  assertMatch,
  assertStrictEquals,
  assertThrows,
} from "../../_rig/assert.ts";
import { join } from "node:path";
import {
  applyOverrides,
  ParamOverrideError,
  parseOverride,
} from "../../../lib/repo/exp/set_params.ts";
import { expHash } from "../../../lib/repo/exp/refs.ts";
import { parseLockFile } from "../../../lib/dvcfile/lock_file.ts";
import { FIXTURES } from "../../_rig/rig.ts";

function withFiles(files: Record<string, string>, fn: (dir: string) => void) {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-exp-params-" });
  try {
    for (const [f, t] of Object.entries(files)) Deno.writeTextFileSync(join(dir, f), t);
    fn(dir);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
}

const read = (dir: string, f: string) => Deno.readTextFileSync(join(dir, f));
const apply = (dir: string, items: string[]) => applyOverrides(dir, items.map(parseOverride));

Deno.test("parseOverride: file prefix, +/++/~, typed values, sweeps refused", () => {
  assertEquals(parseOverride("train.lr=0.5"), {
    file: "params.yaml",
    key: "train.lr",
    kind: "set",
    raw: "0.5",
    value: 0.5,
  });
  assertStrictEquals(parseOverride("p2.yaml:lr=1").file, "p2.yaml");
  assertStrictEquals(parseOverride("+a.b=x").kind, "add");
  assertStrictEquals(parseOverride("++a.b=x").kind, "force");
  assertEquals(parseOverride("~a.b"), { file: "params.yaml", key: "a.b", kind: "delete" });
  assertEquals(parseOverride("l=[1, 2]").value, [1, 2]);
  assertStrictEquals(parseOverride("b=true").value, true);
  assertThrows(() => parseOverride("lr=0.1,0.2"), ParamOverrideError);
  assertThrows(() => parseOverride("lr=range(1,3)"), ParamOverrideError);
  assertThrows(() => parseOverride("lr"), ParamOverrideError);
});

Deno.test("applyOverrides: YAML keeps comments and layout, checks keys first", () => {
  const text = "# top\ntrain:\n  lr: 0.001   # lr\n  layers:\n  - 16\n  - 8\n  name: a\n";
  withFiles({ "params.yaml": text }, (dir) => {
    apply(dir, ["train.lr=0.5", "train.layers.1=4", "train.name=bee"]);
    assertStrictEquals(
      read(dir, "params.yaml"),
      "# top\ntrain:\n  lr: 0.5   # lr\n  layers:\n  - 16\n  - 4\n  name: bee\n",
    );
    // a bad item anywhere means no file is written
    assertThrows(() => apply(dir, ["train.lr=1", "train.nope=2"]), /no such key/);
    assertMatch(read(dir, "params.yaml"), /lr: 0\.5/);
    apply(dir, ["+train.extra.deep=1", "~train.name"]);
    const out = read(dir, "params.yaml");
    assertMatch(out, /^# top\n/);
    assertMatch(out, /extra:\n {4}deep: 1/);
    assert(!out.includes("name:"));
  });
});

Deno.test("applyOverrides: JSON re-dumped compactly, TOML and .py patched by line", () => {
  withFiles({
    "p.json": '{\n  "lr": 0.1,\n  "model": {"depth": 3}\n}\n',
    "p.toml": "# top\nseed = 1 # the seed\n\n[train]\nlr = 0.1\n\n[train.opt]\nm = 0.9\n",
    "p.py": 'LR = 0.1  # lr\n\nclass Train:\n    lr = 0.5\n    name = "x"\n',
  }, (dir) => {
    const changed = apply(dir, [
      "p.json:lr=0.5",
      "p.json:+model.wide=[1,2]",
      "p.toml:seed=2",
      "p.toml:train.opt.m=0.5",
      "p.py:LR=0.2",
      "p.py:Train.name=yo",
      "p.py:Train.lr=1.0",
      "p.py:+NEW=true",
    ]);
    assertEquals(changed.sort(), ["p.json", "p.py", "p.toml"]);
    assertStrictEquals(read(dir, "p.json"), '{"lr": 0.5, "model": {"depth": 3, "wide": [1, 2]}}');
    assertStrictEquals(
      read(dir, "p.toml"),
      "# top\nseed = 2 # the seed\n\n[train]\nlr = 0.1\n\n[train.opt]\nm = 0.5\n",
    );
    assertStrictEquals(
      read(dir, "p.py"),
      'LR = 0.2  # lr\n\nclass Train:\n    lr = 1.0\n    name = "yo"\nNEW = True\n',
    );
  });
});

Deno.test("expHash: sha256 of the canonical JSON of the stages that ran (fixture exp-one)", () => {
  const lock = parseLockFile(
    Deno.readTextFileSync(join(FIXTURES, "exp_refs/expected/exp_dvc.lock")),
    "dvc.lock",
  );
  const ran = [
    "train",
    "evaluate",
    "score@linear-acc",
    "score@linear-f1",
    "score@tree-acc",
    "score@tree-f1",
  ];
  const entries: Record<string, unknown> = {};
  for (const n of ran) entries[n] = lock.stages.get(n);
  const msg = Deno.readTextFileSync(join(FIXTURES, "exp_refs/expected/exp_commit.txt"));
  assertStrictEquals(`dvc: commit experiment ${expHash(entries)}`, msg.trim().split("\n").at(-1));
});
