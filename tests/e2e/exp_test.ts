/**
 * e2e: `exp run -S` on a small sh/python pipeline in a temp git repo — refs,
 * exp commits, HEAD untouched, params comments kept — then exp
 * show/list/diff/apply/branch/remove/save and the bad inputs.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import {
  cairn,
  cairnOk,
  copyFixtureRepo,
  FIXTURES,
  git,
  makeRepo,
  readText,
  removeDir,
  writeFiles,
} from "../_rig/rig.ts";

const PARAMS = `# training params; this comment must survive
train:
  lr: 0.001   # learning rate
  epochs: 3
  layers:
  - 16
  - 8
`;

const TRAIN_SH =
  `lr=$(python3 -c "import re;print(re.search(r'lr: *([0-9.e-]+)', open('params.yaml').read()).group(1))")
ep=$(python3 -c "import re;print(re.search(r'epochs: *([0-9]+)', open('params.yaml').read()).group(1))")
mkdir -p out
python3 -c "import json;print(json.dumps({'loss': round(1/(1+$lr*$ep*100), 6), 'lr': $lr}))" > metrics.json
echo "model $lr $ep" > out/model.txt
`;

const DVC_YAML = `stages:
  train:
    cmd: sh train.sh
    deps:
    - train.sh
    params:
    - train.lr
    - train.epochs
    outs:
    - out/model.txt
    metrics:
    - metrics.json:
        cache: false
`;

function setup(): string {
  const dir = makeRepo();
  writeFiles(dir, { "params.yaml": PARAMS, "train.sh": TRAIN_SH, "dvc.yaml": DVC_YAML });
  cairnOk(["repro", "-q"], { cwd: dir });
  git(["add", "-A"], dir);
  git(["commit", "-qm", "baseline"], dir);
  return dir;
}

function expRefs(dir: string): Map<string, string> {
  const out = git(["for-each-ref", "--format=%(refname) %(objectname)", "refs/exps"], dir);
  const m = new Map<string, string>();
  for (const line of out.split("\n").filter(Boolean)) {
    const [ref, sha] = line.split(" ");
    m.set(ref, sha);
  }
  return m;
}

Deno.test("exp run -S: exp refs and commits, HEAD unmoved, workspace keeps results", () => {
  const dir = setup();
  try {
    const head = git(["rev-parse", "HEAD"], dir).trim();
    const branchBefore = git(["rev-parse", "refs/heads/main"], dir).trim();
    const r1 = cairnOk(["exp", "run", "-S", "train.lr=0.5", "-n", "exp-one"], {
      cwd: dir,
      subprocess: true,
    });
    assertMatch(r1.stdout + r1.stderr, /Reproducing experiment 'exp-one'/);
    assertMatch(r1.stdout + r1.stderr, /Running stage 'train'/);
    assertMatch(r1.stdout + r1.stderr, /Ran experiment\(s\): exp-one/);
    cairnOk(["exp", "run", "-S", "train.lr=0.1", "-S", "train.epochs=5", "-n", "exp-two"], {
      cwd: dir,
      subprocess: true,
    });

    // HEAD, the branch and the index did not move
    assertEquals(git(["rev-parse", "HEAD"], dir).trim(), head);
    assertEquals(git(["rev-parse", "refs/heads/main"], dir).trim(), branchBefore);
    assertEquals(git(["diff", "--cached", "--name-only"], dir), "");

    const refs = expRefs(dir);
    const base = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}`;
    assert(refs.has(`${base}/exp-one`), [...refs.keys()].join(","));
    assert(refs.has(`${base}/exp-two`));
    for (const name of ["exp-one", "exp-two"]) {
      const sha = refs.get(`${base}/${name}`)!;
      const [parents, msg] = git(["log", "-1", "--format=%P%n%B", sha], dir).split("\n");
      assertEquals(parents, head);
      assertMatch(msg, /^dvc: commit experiment [0-9a-f]{64}$/);
      // the exp commit carries the new params, lock and git-tracked metrics
      const files = git(["diff", "--name-only", head, sha], dir).split("\n").filter(Boolean);
      assertEquals(files.sort(), ["dvc.lock", "metrics.json", "params.yaml"]);
    }
    const one = refs.get(`${base}/exp-one`)!;
    const p1 = git(["show", `${one}:params.yaml`], dir);
    assertEquals(p1, PARAMS.replace("lr: 0.001", "lr: 0.5"), "comments and layout kept");
    assertMatch(git(["show", `${one}:metrics.json`], dir), /"lr": 0.5/);

    // the workspace keeps the last run's results
    assertMatch(readText(dir, "params.yaml"), /lr: 0.1 {3}# learning rate\n {2}epochs: 5/);
    assertMatch(readText(dir, "params.yaml"), /^# training params; this comment must survive/);
    assertEquals(readText(dir, "out/model.txt"), "model 0.1 5\n");
    const status = git(["status", "--porcelain"], dir);
    assertMatch(status, / M params.yaml/);

    // a random name when -n is missing
    const r3 = cairnOk(["exp", "run", "-S", "train.lr=0.01"], { cwd: dir, subprocess: true });
    const m = /Ran experiment\(s\): ([a-z]+-[a-z]+)/.exec(r3.stdout + r3.stderr);
    assert(m, r3.stdout + r3.stderr);
    assert(expRefs(dir).has(`${base}/${m[1]}`));
  } finally {
    removeDir(dir);
  }
});

Deno.test("exp show/list/diff: baseline and experiments with metrics and params", () => {
  const dir = setup();
  try {
    cairnOk(["exp", "run", "-S", "train.lr=0.5", "-n", "exp-one", "-q"], { cwd: dir });
    cairnOk(["exp", "run", "-S", "train.lr=0.1", "-n", "exp-two", "-q"], { cwd: dir });
    const head = git(["rev-parse", "HEAD"], dir).trim();
    const refs = expRefs(dir);
    const base = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}`;
    const one = refs.get(`${base}/exp-one`)!;
    const two = refs.get(`${base}/exp-two`)!;

    assertEquals(
      cairnOk(["exp", "list"], { cwd: dir }).stdout,
      `main:\n\t${one.slice(0, 7)} [exp-one]\n\t${two.slice(0, 7)} [exp-two]\n`,
    );
    assertEquals(
      cairnOk(["exp", "list", "--name-only"], { cwd: dir }).stdout,
      "exp-one\nexp-two\n",
    );
    assertEquals(
      cairnOk(["exp", "list", "--all-commits"], { cwd: dir }).stdout,
      cairnOk(["exp", "list"], { cwd: dir }).stdout,
    );

    // JSON in DVC's shape
    const doc = JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout);
    assertEquals(doc.length, 2);
    assertEquals(doc[0].rev, "workspace");
    assertEquals(doc[0].name, null);
    assertEquals(doc[0].experiments, null);
    assertEquals(doc[0].data.timestamp, null);
    assertEquals(doc[1].rev, head);
    assertEquals(doc[1].name, "main");
    assertMatch(doc[1].data.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d$/);
    assertEquals(doc[1].data.params["params.yaml"].data.train.lr, 0.001);
    // DVC's order: newest first (timestamp, then rev, descending)
    type Range = { name: string; revs: { rev: string; data: { timestamp: string } }[] };
    const key = (e: Range) => `${e.revs[0].data.timestamp} ${e.revs[0].rev}`;
    const names = doc[1].experiments.map((e: Range) => e.name);
    assertEquals([...names].sort(), ["exp-one", "exp-two"]);
    assertEquals(
      names,
      [...doc[1].experiments].sort((a: Range, b: Range) => key(b).localeCompare(key(a)))
        .map((e: Range) => e.name),
    );
    const e1 = doc[1].experiments.find((e: Range) => e.name === "exp-one");
    assertEquals(e1.executor, null);
    assertEquals(e1.revs[0].rev, one);
    assertEquals(e1.revs[0].name, "exp-one");
    assertEquals(e1.revs[0].data.params["params.yaml"].data.train.lr, 0.5);
    assertEquals(e1.revs[0].data.metrics["metrics.json"].data.lr, 0.5);
    assertEquals(Object.keys(e1.revs[0].data.deps), ["train.sh"]);
    assertEquals(Object.keys(e1.revs[0].data.outs), ["out/model.txt"], "metrics are not outs");
    assertEquals(e1.revs[0].data.outs["out/model.txt"].use_cache, true);
    assertEquals(Object.keys(e1.revs[0].data).sort(), [
      "deps",
      "meta",
      "metrics",
      "outs",
      "params",
      "rev",
      "timestamp",
    ]);

    // table
    // rich's table: rules above/below the header and at the end, cells padded by one space
    const table = cairnOk(["exp", "show"], { cwd: dir }).stdout;
    const lines = table.split("\n").filter((l) => l && !l.startsWith(" ─")).map((l) => l.slice(2));
    assertMatch(lines[0], /^Experiment +Created +loss +lr +train\.lr +train\.epochs/);
    assertMatch(lines[1], /^workspace +- +0\.032258 +0\.1 /);
    assertMatch(lines[2], /^main /);
    const [first, second] = names[0] === "exp-one"
      ? [`${one.slice(0, 7)} \\[exp-one\\] .* 0\\.5 `, `${two.slice(0, 7)} \\[exp-two\\] .* 0\\.1 `]
      : [
        `${two.slice(0, 7)} \\[exp-two\\] .* 0\\.1 `,
        `${one.slice(0, 7)} \\[exp-one\\] .* 0\\.5 `,
      ];
    assertMatch(lines[3], new RegExp(`^├── ${first}`));
    assertMatch(lines[4], new RegExp(`^└── ${second}`));

    // csv: DVC's extra columns
    const csv = cairnOk(["exp", "show", "--csv"], { cwd: dir }).stdout.split("\r\n");
    assertEquals(
      csv[0],
      "Experiment,rev,typ,Created,parent,loss,lr,train.lr,train.epochs,train.layers,train.sh",
    );
    assertMatch(csv[1], /^,workspace,baseline,,,/);
    assertMatch(csv[2], /^,main,baseline,\d{4}-/);
    assertMatch(
      csv[names[0] === "exp-one" ? 3 : 4],
      new RegExp(`^exp-one,${one.slice(0, 7)},branch_base,.*,0\\.5,0\\.5,3,"\\[16, 8\\]",`),
    );

    // --only-changed drops the columns equal in every row; --md is a GFM table
    const md = cairnOk(["exp", "show", "--md", "--only-changed"], { cwd: dir }).stdout;
    assertMatch(md, /^\| Experiment +\| Created +\| loss +\| lr +\| train\.lr +\|\n/);
    assert(!md.includes("train.epochs") && !md.includes("train.sh"), md);

    // --sort-by within the baseline
    const sorted = cairnOk(["exp", "show", "--sort-by", "train.lr", "--csv"], { cwd: dir }).stdout
      .split("\r\n");
    assertMatch(sorted[3], /^exp-two,/);
    assertMatch(sorted[4], /^exp-one,/);

    // diff between two experiments (metrics then params)
    const diff = cairnOk(["exp", "diff", "exp-one", "exp-two"], { cwd: dir }).stdout;
    assertMatch(diff, /Path +Metric +exp-one +exp-two +Change/);
    assertMatch(diff, /params\.yaml +train\.lr +0\.5 +0\.1 +-0\.4/);
    const dj = JSON.parse(
      cairnOk(["exp", "diff", "exp-one", "exp-two", "--json"], { cwd: dir }).stdout,
    );
    assertEquals(dj.params["params.yaml"]["train.lr"], { old: 0.5, new: 0.1, diff: -0.4 });
    assertEquals(dj.metrics["metrics.json"].lr.new, 0.1);
  } finally {
    removeDir(dir);
  }
});

Deno.test("exp apply, branch, remove, save", () => {
  const dir = setup();
  try {
    const head = git(["rev-parse", "HEAD"], dir).trim();
    cairnOk(["exp", "run", "-S", "train.lr=0.5", "-n", "exp-one", "-q"], { cwd: dir });
    cairnOk(["exp", "run", "-S", "train.lr=0.1", "-n", "exp-two", "-q"], { cwd: dir });
    assertEquals(readText(dir, "out/model.txt"), "model 0.1 3\n");

    const ap = cairnOk(["exp", "apply", "exp-one"], { cwd: dir });
    assertMatch(ap.stdout, /Changes for experiment 'exp-one' have been applied/);
    assertMatch(readText(dir, "params.yaml"), /lr: 0\.5 {3}# learning rate/);
    assertMatch(readText(dir, "metrics.json"), /"lr": 0\.5/);
    // the cached output is checked out from the cache
    assertEquals(readText(dir, "out/model.txt"), "model 0.5 3\n");
    assertEquals(git(["rev-parse", "HEAD"], dir).trim(), head);
    assertEquals(git(["diff", "--cached", "--name-only"], dir), "");

    const br = cairnOk(["exp", "branch", "exp-two"], { cwd: dir });
    assertMatch(br.stdout, /Git branch 'exp-two-branch' has been created/);
    const refs = expRefs(dir);
    const base = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}`;
    assertEquals(git(["rev-parse", "exp-two-branch"], dir).trim(), refs.get(`${base}/exp-two`));
    cairnOk(["exp", "branch", "exp-one", "mine"], { cwd: dir });
    assertEquals(git(["rev-parse", "mine"], dir).trim(), refs.get(`${base}/exp-one`));
    assertEquals(git(["rev-parse", "HEAD"], dir).trim(), head);

    const saved = cairnOk(["exp", "save", "-n", "snap"], { cwd: dir });
    assertMatch(saved.stdout, /Experiment has been saved as: snap/);
    const snap = expRefs(dir).get(`${base}/snap`)!;
    assertEquals(git(["log", "-1", "--format=%P", snap], dir).trim(), head);
    assertMatch(git(["show", `${snap}:params.yaml`], dir), /lr: 0\.5/);

    const rm = cairnOk(["exp", "remove", "exp-one", "snap"], { cwd: dir });
    assertMatch(rm.stdout, /Removed experiments: exp-one, snap/);
    assertEquals([...expRefs(dir).keys()], [`${base}/exp-two`]);
    cairnOk(["exp", "remove", "-A"], { cwd: dir });
    assertEquals(expRefs(dir).size, 0);
    assertEquals(cairnOk(["exp", "list"], { cwd: dir }).stdout, "");
  } finally {
    removeDir(dir);
  }
});

Deno.test("exp: bad input is refused with a clear message and no change", () => {
  const dir = setup();
  try {
    const before = readText(dir, "params.yaml");
    let r = cairn(["exp", "run", "-S", "train.nope=1"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /Could not override 'train\.nope': no such key in 'params\.yaml'/);
    assertMatch(r.stderr, /\+train\.nope=/);
    assertEquals(readText(dir, "params.yaml"), before);
    assertEquals(expRefs(dir).size, 0);

    r = cairn(["exp", "run", "-S", "train.lr=0.1,0.2"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /Sweep overrides can't be used without `--queue`/);

    for (
      const args of [["apply", "nosuch"], ["branch", "nosuch"], ["remove", "nosuch"], [
        "diff",
        "nosuch",
      ]]
    ) {
      r = cairn(["exp", ...args], { cwd: dir });
      assertEquals(r.code, 1, args.join(" "));
      assertMatch(r.stderr, /'nosuch' does not appear to be an experiment reference/);
    }

    // --queue checks the overrides before queueing anything
    r = cairn(["exp", "run", "--queue", "-S", "train.nosuch=0.2"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /train\.nosuch.*params\.yaml/);
    assertEquals(git(["for-each-ref", "refs/exps/celery"], dir), "");
    assertEquals(readText(dir, "params.yaml"), before);

    r = cairn(["exp", "run", "-n", "bad/name"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /Invalid exp name 'bad\/name'/);

    cairnOk(["exp", "run", "-n", "dup", "-q"], { cwd: dir });
    r = cairn(["exp", "run", "-n", "dup"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /conflicts with existing experiment 'dup'/);

    // + adds a key, ++ adds or overrides, ~ deletes; comments stay
    cairnOk(["exp", "run", "-S", "+train.momentum=0.9", "-S", "++train.epochs=4", "-q"], {
      cwd: dir,
    });
    const p = readText(dir, "params.yaml");
    assertMatch(p, /^# training params; this comment must survive/);
    assertMatch(p, /momentum: 0\.9/);
    assertMatch(p, /epochs: 4/);
    r = cairn(["exp", "run", "-S", "+train.lr=1"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /already exists/);
    cairnOk(["exp", "run", "-S", "~train.momentum", "-q"], { cwd: dir });
    assert(!readText(dir, "params.yaml").includes("momentum"));
  } finally {
    removeDir(dir);
  }
});

Deno.test("exp run on the DVC fixture repo: same tree, message, output, show --json/--csv, list", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  const expected = join(FIXTURES, "exp_refs/expected");
  const want = (f: string) => Deno.readTextFileSync(join(expected, f));
  try {
    const head = git(["rev-parse", "HEAD"], dir).trim();
    assertEquals(head, Deno.readTextFileSync(join(FIXTURES, "exp_refs/baseline_sha.txt")).trim());
    const r = cairnOk(["exp", "run", "-S", "train.lr=0.5", "-n", "exp-one"], { cwd: dir });
    assertEquals(r.stdout, want("exp_run.txt"));
    const ref = `refs/exps/${head.slice(0, 2)}/${head.slice(2)}/exp-one`;
    const sha = git(["rev-parse", ref], dir).trim();
    const commit = want("exp_commit.txt").split("\n");
    assertEquals(
      git(["log", "-1", "--format=tree %T%nparents %P%n%B", ref], dir).trim(),
      [
        commit[2],
        commit[1],
        commit.at(-2),
      ].join("\n"),
    );
    assertEquals(git(["show", `${ref}:params.yaml`], dir), want("exp_params.yaml"));
    assertEquals(git(["show", `${ref}:dvc.lock`], dir), want("exp_dvc.lock"));
    assertEquals(git(["status", "--porcelain"], dir), want("git_status.txt"));
    const short = sha.slice(0, 7);
    assertEquals(
      cairnOk(["exp", "list"], { cwd: dir }).stdout,
      want("exp_list.txt").replace(/\t[0-9a-f]{7} /, `\t${short} `),
    );
    assertEquals(
      cairnOk(["exp", "list", "--names-only"], { cwd: dir }).stdout,
      want("exp_list_names_only.txt"),
    );
    // the exp row's timestamp is the wall clock: compare everything else
    const csv = cairnOk(["exp", "show", "--csv"], { cwd: dir }).stdout;
    const stamp = (s: string) => s.replace(/(exp-one,[0-9a-f]{7},branch_base,)[^,]*/, "$1T");
    assertEquals(
      stamp(csv),
      stamp(want("exp_show.csv").replace(/,[0-9a-f]{7},branch_base/, `,${short},branch_base`)),
    );
    const norm = (
      doc: { experiments: { revs: { rev: string; data: Record<string, unknown> }[] }[] | null }[],
    ) => {
      for (const n of doc) {
        for (const e of n.experiments ?? []) {
          for (const rv of e.revs) {
            rv.rev = rv.data.rev = "X";
            rv.data.timestamp = "T";
          }
        }
      }
      return doc;
    };
    assertEquals(
      norm(JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout)),
      norm(JSON.parse(want("exp_show.json"))),
    );
  } finally {
    removeDir(dir);
  }
});
