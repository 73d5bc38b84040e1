/** e2e: metrics show/diff/modify and params diff across commits and tags, through scripts/cairn. */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

interface Version {
  metrics: string;
  /** content of summary.json, a cached (cache: true) metrics output. */
  summary: string;
  params: string;
}

/** Write one version of the project: dvc.yaml, dvc.lock, the git-tracked metric, the cached one. */
function writeVersion(dir: string, v: Version) {
  writeFiles(dir, {
    "dvc.yaml": `stages:
  train:
    cmd: python train.py
    params:
    - lr
    - model
    metrics:
    - metrics.json:
        cache: false
    - summary.json
`,
    "dvc.lock": `schema: '2.0'
stages:
  train:
    cmd: python train.py
    outs:
    - path: metrics.json
      hash: md5
      md5: ${md5(v.metrics)}
      size: ${v.metrics.length}
    - path: summary.json
      hash: md5
      md5: ${md5(v.summary)}
      size: ${v.summary.length}
`,
    "params.yaml": v.params,
    "metrics.json": v.metrics,
    "summary.json": v.summary,
    ".gitignore": "/summary.json\n",
  });
  const h = md5(v.summary);
  writeFiles(dir, { [`.dvc/cache/files/md5/${h.slice(0, 2)}/${h.slice(2)}`]: v.summary });
}

function commit(dir: string, msg: string, tag?: string) {
  git(["add", "-A"], dir);
  git(["commit", "-qm", msg], dir);
  if (tag) git(["tag", tag], dir);
}

const V1: Version = {
  metrics: '{"acc": 0.5, "loss": {"train": 1.25, "test": 1.5}}',
  summary: '{"auc": 0.61234567}',
  params: "lr: 0.1\nmodel:\n  layers: [8, 4]\n  act: relu\nunused: 1\n",
};
const V2: Version = {
  metrics: '{"acc": 0.75, "loss": {"train": 0.5, "test": 0.875}}',
  summary: '{"auc": 0.8}',
  params: "lr: 0.01\nmodel:\n  layers: [16, 8]\n  act: relu\nunused: 2\n",
};

function project(): string {
  const dir = makeRepo();
  writeVersion(dir, V1);
  commit(dir, "v1", "v1");
  writeVersion(dir, V2);
  commit(dir, "v2", "v2");
  return dir;
}

Deno.test("metrics show: workspace, -T (one row per tag), -a, --rev, --json, --md, --csv, precision", () => {
  const dir = project();
  try {
    const cwd = dir;
    assertEquals(
      cairnOk(["metrics", "show"], { cwd, subprocess: true }).stdout,
      [
        "Path          acc    auc    loss.test    loss.train",
        "metrics.json  0.75   -      0.875        0.5",
        "summary.json  -      0.8    -            -",
        "",
      ].join("\n"),
    );
    // Workspace equals the tag but not a branch: -T keeps it.
    assertEquals(
      cairnOk(["metrics", "show", "-T"], { cwd, subprocess: true }).stdout,
      [
        "Revision    Path          acc    auc      loss.test    loss.train",
        "workspace   metrics.json  0.75   -        0.875        0.5",
        "workspace   summary.json  -      0.8      -            -",
        "v1          metrics.json  0.5    -        1.5          1.25",
        "v1          summary.json  -      0.61235  -            -",
        "v2          metrics.json  0.75   -        0.875        0.5",
        "v2          summary.json  -      0.8      -            -",
        "",
      ].join("\n"),
    );
    // -a: main equals the workspace, so the workspace row is hidden (DVC)...
    const onlyA = cairnOk(["metrics", "show", "-a"], { cwd, subprocess: true }).stdout;
    assert(!onlyA.includes("workspace"), onlyA);
    // ...but with -T the row is `main,v2`, not `main`: DVC keeps the workspace (checked
    // with a real DVC 3.64)
    const a = cairnOk(["metrics", "show", "-a", "-T"], { cwd, subprocess: true }).stdout;
    assertMatch(a, /^workspace\s+metrics\.json\s+0\.75/m);
    assertMatch(a, /^main,v2\s+metrics\.json\s+0\.75/m);
    assert(
      cairnOk(["metrics", "show", "-a", "--all"], { cwd, subprocess: true }).stdout.includes(
        "workspace",
      ),
    );
    const rev =
      cairnOk(["metrics", "show", "--rev", "v1", "--precision", "2"], { cwd, subprocess: true })
        .stdout;
    assertMatch(rev, /^v1\s+summary\.json\s+-\s+0\.61\s/m);
    assertEquals(
      JSON.parse(
        cairnOk(["metrics", "show", "--json", "--rev", "v1"], { cwd, subprocess: true }).stdout,
      ),
      {
        workspace: {
          data: {
            "metrics.json": { data: { acc: 0.75, loss: { train: 0.5, test: 0.875 } } },
            "summary.json": { data: { auc: 0.8 } },
          },
        },
        v1: {
          data: {
            "metrics.json": { data: { acc: 0.5, loss: { train: 1.25, test: 1.5 } } },
            "summary.json": { data: { auc: 0.61234567 } },
          },
        },
      },
    );
    assertEquals(
      cairnOk(["metrics", "show", "--md", "summary.json"], { cwd, subprocess: true }).stdout,
      "| Path         | auc   |\n|--------------|-------|\n| summary.json | 0.8   |\n\n",
    );
    assertEquals(
      cairnOk(["metrics", "show", "--csv", "summary.json"], { cwd, subprocess: true }).stdout,
      "Path,auc\nsummary.json,0.8\n",
    );
    // -A keys commits by sha
    const all = cairnOk(["metrics", "show", "-A", "--json"], { cwd, subprocess: true }).stdout;
    const parsed = JSON.parse(all);
    const keys = Object.keys(parsed);
    // workspace (not a branch key: shas) + 3 commits; the init commit has no metrics
    assertEquals(keys.length, 4, all);
    assertEquals(keys[0], "workspace");
    assert(keys.slice(1).every((k) => /^[0-9a-f]{40}$/.test(k)), all);
    assertEquals(parsed[keys[3]], { data: {} });
  } finally {
    removeDir(dir);
  }
});

Deno.test("metrics diff: HEAD vs workspace, between tags, --all, --json, --md, --no-path, Change empty for text", () => {
  const dir = project();
  try {
    const cwd = dir;
    assertEquals(cairnOk(["metrics", "diff"], { cwd }).stdout, "");
    writeFiles(dir, {
      "metrics.json": '{"acc": 0.8, "loss": {"train": 0.5, "test": 0.875}, "tag": "b"}',
    });
    assertEquals(
      cairnOk(["metrics", "diff"], { cwd }).stdout,
      [
        "Path          Metric    HEAD    workspace    Change",
        "metrics.json  acc       0.75    0.8          0.05",
        "metrics.json  tag       -       b            -",
        "",
      ].join("\n"),
    );
    assertEquals(
      cairnOk(["metrics", "diff", "v1", "v2"], { cwd }).stdout,
      [
        "Path          Metric      v1       v2     Change",
        "metrics.json  acc         0.5      0.75   0.25",
        "metrics.json  loss.test   1.5      0.875  -0.625",
        "metrics.json  loss.train  1.25     0.5    -0.75",
        "summary.json  auc         0.61235  0.8    0.18765",
        "",
      ].join("\n"),
    );
    assertEquals(
      JSON.parse(
        cairnOk(["metrics", "diff", "v1", "v2", "--json", "--targets", "summary.json"], { cwd })
          .stdout,
      ),
      { "summary.json": { auc: { old: 0.61234567, new: 0.8, diff: 0.8 - 0.61234567 } } },
    );
    const allRows = cairnOk(["metrics", "diff", "--all", "--no-path", "--md"], { cwd }).stdout;
    assertEquals(
      allRows,
      [
        "| Metric     | HEAD   | workspace   | Change   |",
        "|------------|--------|-------------|----------|",
        "| acc        | 0.75   | 0.8         | 0.05     |",
        "| loss.test  | 0.875  | 0.875       | 0.0      |",
        "| loss.train | 0.5    | 0.5         | 0.0      |",
        "| tag        | -      | b           | -        |",
        "| auc        | 0.8    | 0.8         | 0.0      |",
        "",
        "",
      ].join("\n"),
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("a cached metrics output is read from the cache; absent, it is DVC's FileNotFoundError", () => {
  const dir = project();
  try {
    const cwd = dir;
    const h = md5(V1.summary);
    Deno.removeSync(join(dir, `.dvc/cache/files/md5/${h.slice(0, 2)}/${h.slice(2)}`));
    const r = cairn(["metrics", "show", "-T"], { cwd });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /^v1\s+summary\.json\s+-\s+-\s+-\s+-$/m);
    assertMatch(r.stdout, /^v2\s+summary\.json\s+-\s+0\.8/m);
    // as DVC 3.64 answers (checked with a real DVC): the revision named, no ERROR line
    assertMatch(r.stderr, /^DVC failed to load some metrics for following revisions: 'v1'\.$/m);
    assert(!r.stderr.includes("ERROR"), r.stderr);
    const j = JSON.parse(cairnOk(["metrics", "show", "--rev", "v1", "--json"], { cwd }).stdout);
    assertEquals(j.v1.data["summary.json"], {
      error: {
        type: "FileNotFoundError",
        msg: "[Errno 2] No storage files available: 'summary.json'",
      },
    });
  } finally {
    removeDir(dir);
  }
});

Deno.test("params diff: HEAD vs workspace, tags, --all, --deps, --json, --targets", () => {
  const dir = project();
  try {
    const cwd = dir;
    assertEquals(cairnOk(["params", "diff"], { cwd }).stdout, "");
    assertEquals(
      cairnOk(["params", "diff", "v1"], { cwd }).stdout,
      [
        "Path         Param         v1      workspace",
        "params.yaml  lr            0.1     0.01",
        "params.yaml  model.layers  [8, 4]  [16, 8]",
        "params.yaml  unused        1       2",
        "",
      ].join("\n"),
    );
    // --deps: only the keys stages depend on (lr, model.*), not `unused`
    const deps = cairnOk(["params", "diff", "v1", "v2", "--deps", "--all"], { cwd }).stdout;
    assertEquals(
      deps,
      [
        "Path         Param         v1      v2",
        "params.yaml  lr            0.1     0.01",
        "params.yaml  model.act     relu    relu",
        "params.yaml  model.layers  [8, 4]  [16, 8]",
        "",
      ].join("\n"),
    );
    assertEquals(
      cairnOk(["params", "diff", "v1", "--json"], { cwd }).stdout.trim(),
      '{"params.yaml": {"lr": {"old": 0.1, "new": 0.01, "diff": -0.09000000000000001}, ' +
        '"model.layers": {"old": "[8, 4]", "new": "[16, 8]"}, "unused": {"old": 1, "new": 2, "diff": 1}}}',
    );
    writeFiles(dir, { "other.json": '{"a": {"b": true}}' });
    assertEquals(
      cairnOk(["params", "diff", "--targets", "other.json"], { cwd }).stdout,
      "Path        Param    HEAD    workspace\nother.json  a.b      -       True\n",
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("bad input: broken metrics file (path and position), unknown revision, non-numeric change", () => {
  const dir = project();
  try {
    const cwd = dir;
    writeFiles(dir, { "metrics.json": '{"acc": 0.9,\n "x": }' });
    const r = cairn(["metrics", "show"], { cwd });
    assertEquals(r.code, 0);
    assertMatch(r.stderr, /metrics\.json:2:\d+/);
    // the other file is still shown
    assertMatch(r.stdout, /^summary\.json\s+0\.8$/m);
    assertMatch(r.stdout, /^metrics\.json\s+-$/m);
    const j = JSON.parse(cairn(["metrics", "show", "--json"], { cwd }).stdout);
    assertEquals(j[""].data["metrics.json"].error.type, "DvcFileSyntaxError");
    const bad = cairn(["metrics", "diff", "nope"], { cwd });
    assertEquals(bad.code, 1);
    assertMatch(bad.stderr, /unknown Git revision 'nope'/);
    const badShow = cairn(["metrics", "show", "--rev", "v9"], { cwd });
    assertEquals(badShow.code, 1);
    assertMatch(badShow.stderr, /unknown Git revision 'v9'/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("metrics modify --type json --xpath acc: later shows print only that value, at every revision", () => {
  const dir = project();
  try {
    const cwd = dir;
    writeFiles(dir, { "legacy.metric": '{"acc": 0.93, "loss": 0.2}' });
    cairnOk(["metrics", "modify", "legacy.metric", "--type", "json", "--xpath", "acc"], { cwd });
    assertEquals(
      cairnOk(["metrics", "show", "legacy.metric"], { cwd }).stdout,
      "Path           acc\nlegacy.metric  0.93\n",
    );
    // modify made it a metric: shown without naming it
    assertMatch(cairnOk(["metrics", "show"], { cwd }).stdout, /^legacy\.metric\s+0\.93\s+/m);
    commit(dir, "legacy metric", "v3");
    assertEquals(
      cairnOk(["metrics", "show", "legacy.metric", "--rev", "v3"], { cwd }).stdout,
      "Revision    Path           acc\nworkspace   legacy.metric  0.93\nv3          legacy.metric  0.93\n",
    );
    // dvc.yaml and .dvc files stay untouched (DVC rejects unknown keys)
    assertEquals(git(["status", "--porcelain"], dir), "");
  } finally {
    removeDir(dir);
  }
});
