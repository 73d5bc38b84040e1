/**
 * Issue 10 item 2: hostile YAML (and JSON/TOML/Python params) from a cloned
 * repo. A "billion laughs" (10 levels of 10 aliases) used to run for minutes
 * and grow past 1 GB; now every reader of user YAML stops it at the alias
 * bound with file and line. Deep nesting and huge numbers end with a clean
 * error too (never a stack trace).
 */
import { join } from "node:path";
import { assert, assertEquals, assertMatch, assertThrows } from "../_rig/assert.ts";
import { cairn, exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { cairnWatched } from "./_sec.ts";
import { CairnError, ConfigError, DvcFileSyntaxError } from "../../lib/errors.ts";
import { loadYaml, YAML_LIMITS } from "../../lib/py/yaml_parse.ts";
import { parseDvcFile } from "../../lib/dvcfile/dvc_file.ts";
import { parseLockFile } from "../../lib/dvcfile/lock_file.ts";
import { parsePipelineFile } from "../../lib/dvcfile/pipeline_file.ts";
import { parseParams } from "../../lib/params/load.ts";
import { parseMetricText } from "../../lib/metrics/read.ts";
import { METRIC_SETTINGS_FILE, parseMetricSettings } from "../../lib/metrics/settings.ts";
import { parseCairnConfig } from "../../lib/config/cairn_config.ts";
import { getTemplate } from "../../lib/plots/templates.ts";

/** `levels` anchors, each a list of `fanout` aliases of the previous one (fanout^levels leaves). */
function laughs(levels = 10, fanout = 10, indent = ""): string {
  let s = `${indent}l0: &l0 [${Array(fanout).fill("lol").join(", ")}]\n`;
  for (let i = 1; i < levels; i++) {
    s += `${indent}l${i}: &l${i} [${Array(fanout).fill(`*l${i - 1}`).join(", ")}]\n`;
  }
  return s;
}

const ALIAS_ERR = /aliases expand too much/;

/** The error is a DvcFileSyntaxError naming `file` and a line. */
function assertBomb(fn: () => unknown, file: string) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  assert(err instanceof DvcFileSyntaxError, `expected DvcFileSyntaxError, got ${err}`);
  assertMatch(err.message, ALIAS_ERR);
  assertEquals(err.path, file);
  assert(err.line !== undefined && err.line >= 1, "the error has a line");
}

Deno.test("billion laughs: every YAML reader refuses it with file and line", () => {
  const bomb = laughs();
  assertBomb(() => loadYaml(bomb, "x.yaml"), "x.yaml");
  assertBomb(() => parseParams(bomb, "params.yaml"), "params.yaml");
  assertBomb(() => parseParams(bomb, "conf/train.yml"), "conf/train.yml");
  assertBomb(() => parseMetricText(bomb, "metrics.yaml"), "metrics.yaml");
  assertBomb(
    () => parseMetricText(bomb, "scores.txt", { type: "yaml" }),
    "scores.txt",
  );
  assertBomb(
    () => parsePipelineFile(`vars:\n  - ${bomb.replaceAll("\n", "\n    ")}`, "dvc.yaml"),
    "dvc.yaml",
  );
  assertBomb(
    () => parsePipelineFile(`${laughs()}stages:\n  s:\n    cmd: echo *l9\n`, "dvc.yaml"),
    "dvc.yaml",
  );
  assertBomb(
    () =>
      parsePipelineFile(
        `stages:\n  s:\n    cmd: echo\n    meta:\n${laughs(10, 10, "      ")}`,
        "dvc.yaml",
      ),
    "dvc.yaml",
  );
  assertBomb(
    () => parseDvcFile(`meta:\n${laughs(10, 10, "  ")}outs:\n- path: x\n`, "x.dvc"),
    "x.dvc",
  );
  assertBomb(
    () =>
      parseLockFile(
        `schema: '2.0'\nstages:\n  s:\n    cmd: x\n    params:\n      params.yaml:\n${
          laughs(10, 10, "        ")
        }`,
        "dvc.lock",
      ),
    "dvc.lock",
  );
  assertBomb(
    () => parseMetricSettings(`metrics:\n${laughs(10, 10, "  ")}`),
    METRIC_SETTINGS_FILE,
  );
});

Deno.test(".dvc/cairn.yaml: an alias bomb is a config error, not a hang", () => {
  assertThrows(
    () => parseCairnConfig(`x: &x\n${laughs(10, 10, "  ")}sandbox: off\n`, ".dvc/cairn.yaml"),
    (e: unknown) => e instanceof ConfigError && /cairn\.yaml/.test(e.message),
  );
});

Deno.test("aliases within bounds still work (merge keys, repeated anchors)", () => {
  const v = loadYaml(
    "base: &b {lr: 0.1, epochs: 3}\n" +
      Array.from({ length: 200 }, (_, i) => `s${i}: {<<: *b, seed: ${i}}\n`).join(""),
    "params.yaml",
  ) as Record<string, Record<string, unknown>>;
  assertEquals(v.s199.seed, 199);
  assertEquals(Object.keys(v).length, 201);
  // a wide but shallow expansion just under the alias count is fine
  const n = Math.min(YAML_LIMITS.aliases - 1, 5000);
  const wide = loadYaml(`a: &a x\nl: [${Array(n).fill("*a").join(", ")}]\n`, "w.yaml") as {
    l: string[];
  };
  assertEquals(wide.l.length, n);
});

Deno.test("alias bound counts copied text: one huge anchor repeated is refused", () => {
  const big = "x".repeat(1 << 20);
  const text = `a: &a "${big}"\nl: [*a, *a, *a, *a, *a, *a]\n`;
  assertBomb(() => loadYaml(text, "p.yaml"), "p.yaml");
});

Deno.test("deep nesting ends with a clean error in every params format", () => {
  const cases: [string, string][] = [
    ["p.yaml", "x: " + "[".repeat(20000) + "]".repeat(20000)],
    ["p.yaml", "x: " + "{a: ".repeat(3000) + "1" + "}".repeat(3000)],
    ["p.yaml", "a: &a [1, *a]\n"],
    ["p.json", "[".repeat(100000) + "]".repeat(100000)],
    ["p.toml", "a = " + "[".repeat(100000) + "]".repeat(100000)],
    ["p.py", "a = " + "(".repeat(100000) + ")".repeat(100000)],
    ["p.py", "a = " + "{1: ".repeat(10000) + "1" + "}".repeat(10000)],
    ["p.py", Array.from({ length: 1000 }, (_, i) => `${" ".repeat(i)}class C${i}:\n`).join("")],
    ["p.py", "class A: ".repeat(50000) + "x = 1\n"],
  ];
  for (const [file, text] of cases) {
    try {
      parseParams(text, file);
      assert(false, `${file}: accepted`);
    } catch (e) {
      assert(e instanceof DvcFileSyntaxError, `${file}: ${e}`);
      assertMatch(
        e.message,
        /nest|recursi|alias|indentation|invalid syntax/i,
        `${file}: ${e.message}`,
      );
      assert(e.message.includes(file));
    }
  }
});

Deno.test("huge integers end with a clean error (Python's 4300-digit limit)", () => {
  const digits = "9".repeat(100000);
  for (
    const [file, text] of [
      ["p.yaml", `a: ${digits}\n`],
      ["p.yaml", `a: !!int ${digits}\n`],
      ["p.toml", `a = ${digits}\n`],
      ["p.py", `a = ${digits}\n`],
    ]
  ) {
    try {
      parseParams(text, file);
      assert(false, `${file}: accepted`);
    } catch (e) {
      assert(e instanceof CairnError, `${file}: ${e}`);
      assertMatch(e.message, /4300/);
    }
  }
  // JSON: the number is cut where Python's would be refused; still a clean error
  assertThrows(() => parseParams(`{"a": ${digits}}`, "p.json"), DvcFileSyntaxError);
  // 4000 digits is still a number
  const ok = parseParams(`a: ${"9".repeat(4000)}\n`, "p.yaml") as { a: unknown };
  assertEquals(typeof ok.a, "bigint");
});

Deno.test("CLI: billion-laughs params.yaml / dvc.yaml / .dvc / dvc.lock stop with file:line", async () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "params.yaml": "l9: 1\n",
      "dvc.yaml":
        "stages:\n  s:\n    cmd: echo hi > out.txt\n    params: [l9]\n    outs: [out.txt]\n",
    });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "pipeline"], dir);
    writeFiles(dir, { "params.yaml": laughs() });
    for (const args of [["status"], ["repro"]]) {
      const r = await cairnWatched(args, { cwd: dir });
      assert(!r.killed, `cairn ${args.join(" ")} hung`);
      assertEquals(r.code, 1, `${args}: ${r.stderr}`);
      assertMatch(r.stderr, /params\.yaml:\d+:\d+: aliases expand too much/);
      assertEquals(r.stderr.match(/\n\s+at /), null, "no stack trace");
    }
    // params diff warns that the workspace could not be read (as DVC does) and ends
    const d = await cairnWatched(["params", "diff"], { cwd: dir });
    assert(!d.killed);
    assertMatch(d.stderr, /params\.yaml:\d+:\d+: aliases expand too much/);
    assertEquals(exists(join(dir, "out.txt")), false, "repro ran nothing");

    writeFiles(dir, {
      "params.yaml": "l9: 1\n",
      "dvc.yaml": `${laughs()}stages:\n  s:\n    cmd: echo hi > out.txt\n    outs: [out.txt]\n`,
    });
    const s = await cairnWatched(["status"], { cwd: dir });
    assert(!s.killed);
    assertEquals(s.code, 1, s.stderr);
    assertMatch(s.stderr, /dvc\.yaml:\d+:\d+: aliases expand too much/);

    writeFiles(dir, {
      "dvc.yaml": "stages: {}\n",
      "data.dvc": `meta:\n${
        laughs(10, 10, "  ")
      }outs:\n- md5: d41d8cd98f00b204e9800998ecf8427e\n  path: data\n`,
    });
    const v = await cairnWatched(["status"], { cwd: dir });
    assert(!v.killed);
    assertEquals(v.code, 1, v.stderr);
    assertMatch(v.stderr, /data\.dvc:\d+:\d+: aliases expand too much/);
    Deno.removeSync(join(dir, "data.dvc"));

    writeFiles(dir, {
      "dvc.yaml": "stages:\n  s:\n    cmd: echo hi > out.txt\n    outs: [out.txt]\n",
      "dvc.lock": `schema: '2.0'\nstages:\n  s:\n    cmd: echo hi > out.txt\n    meta:\n${
        laughs(10, 10, "      ")
      }`,
    });
    const l = await cairnWatched(["status"], { cwd: dir });
    assert(!l.killed);
    assertEquals(l.code, 1, l.stderr);
    assertMatch(l.stderr, /dvc\.lock:\d+:\d+: aliases expand too much/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("CLI: billion-laughs metrics and plots data files end with file:line", async () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "dvc.yaml": "metrics: [m.yaml]\nplots: [p.yaml]\n",
      "m.yaml": laughs(),
      "p.yaml": laughs(),
    });
    // DVC prints the reason with -v or in --json (plain `show` only says the revision failed)
    const m = await cairnWatched(["metrics", "show", "--json"], { cwd: dir });
    assert(!m.killed, "metrics show hung");
    assertMatch(m.stdout, /m\.yaml:\d+:\d+: aliases expand too much/);
    assertEquals(m.stderr.match(/\n\s+at /), null, "no stack trace");
    const p = await cairnWatched(["plots", "show", "--json"], { cwd: dir });
    assert(!p.killed, "plots show hung");
    assertMatch(p.stdout + p.stderr, /p\.yaml:\d+:\d+: aliases expand too much/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("dvc.yaml matrix: lists that multiply into millions of stages are refused with file:line", () => {
  const dims = (n: number) =>
    Array.from({ length: n }, (_, i) => `      k${i}: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]\n`).join("");
  const text = (n: number) => `stages:\n  s:\n    matrix:\n${dims(n)}    cmd: echo \${item.k0}\n`;
  let err: unknown;
  try {
    parsePipelineFile(text(8), "dvc.yaml");
  } catch (e) {
    err = e;
  }
  assert(err instanceof DvcFileSyntaxError, `expected a clean error, got ${err}`);
  assertMatch(err.message, /dvc\.yaml:\d+:\d+: .*generates 100000000 stages/);
  // a real-sized matrix still expands
  assertEquals(parsePipelineFile(text(3), "dvc.yaml").stages.length, 1000);
});

Deno.test("a plots template nested 200,000 deep (repo's .dvc/plots) is refused, not a stack overflow", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-template-" });
  try {
    const n = 200_000;
    writeFiles(dir, {
      "deep.json": `{"a": ${"[".repeat(n)}${
        "]".repeat(n)
      }, "data": {"values": "<DVC_METRIC_DATA>"}}`,
      "ok.json": `{"a": [[[1]]], "data": {"values": "<DVC_METRIC_DATA>"}}`,
    });
    assertThrows(
      () => getTemplate("deep", { templatesDir: dir }),
      (e: unknown) => e instanceof CairnError && /nested too deeply/.test(e.message),
    );
    assertEquals(getTemplate("ok", { templatesDir: dir }).builtin, false);
  } finally {
    removeDir(dir);
  }
});

Deno.test("Python params: escapes Python refuses are a clean error (were a RangeError)", () => {
  for (const lit of ['"\\U7fffffff"', '"\\xZZ"', '"\\U0011ffff"']) {
    assertThrows(() => parseParams(`A = ${lit}\n`, "p.py"), DvcFileSyntaxError);
  }
  assertEquals(parseParams('A = "\\u00e9\\x41"\n', "p.py"), { A: "\u00e9A" });
});

Deno.test("a huge integer where dvc.yaml's sandbox grants expect words is a clean error (was a BigInt TypeError)", () => {
  const dir = makeRepo();
  try {
    for (const meta of ["policy: 99999999999999999999999", "read: [99999999999999999999999]"]) {
      writeFiles(dir, {
        "dvc.yaml": `stages:\n  s:\n    cmd: echo hi\n    meta:\n      sandbox:\n        ${meta}\n`,
      });
      const r = cairn(["repro"], { cwd: dir });
      assert(r.code !== 0 && r.code !== 255, `exit ${r.code}: ${r.stderr}`);
      assertMatch(r.stderr, /stage 's': meta\.sandbox: .*\(got 99999999999999999999999\)/);
      assertEquals(/unexpected error|BigInt/.test(r.stderr), false, r.stderr);
    }
  } finally {
    removeDir(dir);
  }
});
