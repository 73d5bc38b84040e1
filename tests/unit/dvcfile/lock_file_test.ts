import { assertEquals, assertMatch } from "../../_rig/assert.ts";
import { DvcFileSyntaxError } from "../../../lib/errors.ts";
import {
  dumpLockEntry,
  formatLockFile,
  lockEntry,
  type LockEntryTexts,
  mergeLockIntoStages,
  parseLockFile,
  readLockFile,
  removeLockEntries,
  updateLockFile,
} from "../../../lib/dvcfile/lock_file.ts";
import { parsePipelineFile } from "../../../lib/dvcfile/pipeline_file.ts";
import { pyFloat } from "../../../lib/py/value.ts";
import type { Stage } from "../../../lib/stage/types.ts";

function stage(name: string, cmd: string | string[] = `echo ${name}`): Stage {
  return {
    name,
    kind: "pipeline",
    file: "dvc.yaml",
    wdir: "",
    cmd,
    deps: [
      {
        path: "z.py",
        hash: { md5: "c7f684252acfdec5129ba81d4843e491", size: 713, hashName: "md5" },
      },
      {
        path: "data",
        hash: {
          md5: "48d3cb72c0f3a3c230d38d7a4bcf47ba.dir",
          size: 304,
          nfiles: 2,
          hashName: "md5",
        },
      },
    ],
    params: [
      { file: "other.yaml", keys: ["b"], values: { b: 1 } },
      { file: "params.yaml", keys: ["lr", "a.x"], values: { lr: pyFloat(1), "a.x": [1, 2] } },
      { file: "never_read.yaml", keys: ["k"] },
    ],
    outs: [{
      path: "out.bin",
      kind: "metric",
      cache: false,
      persist: false,
      push: true,
      hash: { md5: "94514256350699806014544739440686", size: 3, isexec: true, hashName: "md5" },
    }],
    frozen: false,
    alwaysChanged: false,
  };
}

Deno.test("lockEntry: key order, sorted deps/outs, params.yaml first, keys sorted", () => {
  assertEquals(
    dumpLockEntry(stage("s")),
    `cmd: echo s
deps:
- path: data
  hash: md5
  md5: 48d3cb72c0f3a3c230d38d7a4bcf47ba.dir
  size: 304
  nfiles: 2
- path: z.py
  hash: md5
  md5: c7f684252acfdec5129ba81d4843e491
  size: 713
params:
  params.yaml:
    a.x:
    - 1
    - 2
    lr: 1.0
  other.yaml:
    b: 1
outs:
- path: out.bin
  hash: md5
  md5: '94514256350699806014544739440686'
  size: 3
  isexec: true
`,
  );
  const bare: Stage = { ...stage("b"), deps: [], params: [], outs: [] };
  assertEquals(lockEntry(bare), { cmd: "echo b" });
});

Deno.test("updateLockFile: schema first, in-place replace, append, no-op, remove, delete", () => {
  const root = Deno.makeTempDirSync();
  const bare = (n: string, cmd?: string): Stage => ({
    ...stage(n, cmd),
    deps: [],
    params: [],
    outs: [],
  });
  assertEquals(updateLockFile(root, "dvc.lock", [bare("b"), bare("a")]), true);
  const text = () => Deno.readTextFileSync(`${root}/dvc.lock`);
  assertEquals(text(), "schema: '2.0'\nstages:\n  b:\n    cmd: echo b\n  a:\n    cmd: echo a\n");
  assertEquals(updateLockFile(root, "dvc.lock", [bare("b")]), false);
  updateLockFile(root, "dvc.lock", [bare("c"), bare("b", "echo B")]);
  assertEquals(
    text(),
    "schema: '2.0'\nstages:\n  b:\n    cmd: echo B\n  a:\n    cmd: echo a\n  c:\n    cmd: echo c\n",
  );
  assertEquals(removeLockEntries(root, "dvc.lock", ["a", "nope"]), true);
  assertEquals(text(), "schema: '2.0'\nstages:\n  b:\n    cmd: echo B\n  c:\n    cmd: echo c\n");
  assertEquals(removeLockEntries(root, "dvc.lock", ["nope"]), false);
  removeLockEntries(root, "dvc.lock", ["b", "c"]);
  assertEquals(readLockFile(root, "dvc.lock"), undefined);
  Deno.removeSync(root, { recursive: true });
});

Deno.test("mergeLockIntoStages: lockedCmd, hashes by exact path, param values of declared keys", () => {
  const pf2 = parsePipelineFile(
    "stages:\n  s:\n    cmd: run\n    deps: [a, ./b]\n    params: [lr, {w.yaml: }]\n    outs: [o]\n",
    "dvc.yaml",
    { readText: () => undefined },
  );
  const lock = parseLockFile(
    `schema: '2.0'
stages:
  s:
    cmd: run old
    deps:
    - path: a
      md5: 0cc175b9c0f1b6a831c399e269772661
      size: 1
    - path: b
      hash: md5
      md5: 92eb5ffee6ae2fec3ad71c777531578f
      size: 1
    params:
      params.yaml:
        lr: 0.1
        extra: 5
      w.yaml:
        x: 1
        y: 2
    outs:
    - path: o
      hash: md5
      md5: 4a8a08f09d37b73795649038408b5f33
      size: 1
`,
    "dvc.lock",
  );
  const s = pf2.stages[0];
  mergeLockIntoStages([s], lock);
  assertEquals([s.locked, s.lockedCmd], [true, "run old"]);
  // DVC 2.x entry: no hashName; "./b" is not "b": not matched
  assertEquals(s.deps[0].hash, { md5: "0cc175b9c0f1b6a831c399e269772661", size: 1 });
  assertEquals(s.deps[1].hash, undefined);
  assertEquals(s.params.map((p) => p.values), [{ lr: 0.1 }, { x: 1, y: 2 }]);
  assertEquals(s.outs[0].hash?.hashName, "md5");
});

Deno.test("parseLockFile: schema errors with position", () => {
  for (
    const [text, re] of [
      ["stages: {}\n", /required key 'schema'/],
      ["schema: '1.0'\nstages: {}\n", /dvc\.lock:1:9: invalid schema version '1\.0'/],
      ["schema: '2.0'\nstages:\n  s:\n    deps: []\n", /dvc\.lock:4:5: required key 'cmd'/],
      [
        "schema: '2.0'\nstages:\n  s:\n    cmd: x\n    outs:\n    - md5: x\n",
        /dvc\.lock:6:7: required key 'path'/,
      ],
    ] as const
  ) {
    try {
      parseLockFile(text, "dvc.lock");
      throw new Error("no error for " + text);
    } catch (e) {
      if (!(e instanceof DvcFileSyntaxError)) throw e;
      assertMatch(e.message, re);
    }
  }
});

Deno.test("formatLockFile: pieced together from cached entry texts = one emission", () => {
  const fixtures = [
    "../shared/fixtures/dvc3-current/lock_formats/repo/dvc.lock",
    "../shared/fixtures/dvc3-current/pipeline_repo/repo/dvc.lock",
    "../shared/fixtures/dvc3-current/changed_repo/repo/dvc.lock",
    "tests/fixtures/dvc3/lock_formats/repo/dvc.lock",
    "tests/fixtures/dvc3/pipeline_repo/repo/dvc.lock",
  ];
  const texts: LockEntryTexts = new WeakMap();
  let seen = 0;
  for (const f of fixtures) {
    let text: string;
    try {
      text = Deno.readTextFileSync(f);
    } catch (err) {
      if (err instanceof Deno.errors.NotFound && f.startsWith("../shared/")) continue;
      throw err;
    }
    seen++;
    const lock = parseLockFile(text, "dvc.lock");
    assertEquals(formatLockFile(lock, texts), formatLockFile(lock), f);
    assertEquals(formatLockFile(lock, texts), text, `${f}: DVC's own bytes`);
  }
  assertEquals(seen >= 2, true);
  // entries whose YAML folds, quotes, nests lists; a `datasets` key after the stages
  const long = "python3 train.py " + "--flag-with-a-long-name value ".repeat(6) + "'q: x' #c";
  const stages = [
    stage("a", long),
    stage("b@1", ["echo one", "echo 'two: 2'", "ünïcödé ✓ " + "x".repeat(90)]),
    stage("c", "yes"),
    stage("d:e", "echo"),
  ];
  const lock = {
    stages: new Map(stages.map((s) => [s.name, lockEntry(s)])),
    raw: { schema: "2.0", stages: {}, datasets: [{ name: "ds", type: "dvc", url: "u" }] },
  };
  const once = formatLockFile(lock, texts);
  assertEquals(once, formatLockFile(lock));
  assertEquals(formatLockFile(lock, texts), once, "cached texts reused");
  // a replaced entry is emitted afresh; an entry moved under another name too
  lock.stages.set("c", lockEntry(stage("c", "no")));
  lock.stages.set("z", lock.stages.get("a")!);
  assertEquals(formatLockFile(lock, texts), formatLockFile(lock));
  // no stages at all
  const empty = { stages: new Map(), raw: {} };
  assertEquals(formatLockFile(empty, texts), formatLockFile(empty));
});
