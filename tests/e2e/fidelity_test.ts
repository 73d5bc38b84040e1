/**
 * DVC fidelity, round 2 (issue 15): behaviours where cairn differed from DVC
 * 3.64 in the seed tutorials. Each expected text is what DVC prints (its
 * source, or the fixtures it wrote).
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "../_rig/assert.ts";
import {
  cairn,
  cairnOk,
  copyFixtureRepo,
  exists,
  FIXTURES,
  git,
  makeRepo,
  readText,
  removeDir,
} from "../_rig/rig.ts";
import { uncachedDirStage } from "./_uncached_dir_stage.ts";

Deno.test("--version answers with the DVC version cairn matches; `version` names cairn's own", () => {
  const dir = makeRepo();
  try {
    assertEquals(cairnOk(["--version"], { cwd: dir }).stdout, "3.64.0\n");
    assertMatch(
      cairnOk(["version"], { cwd: dir }).stdout,
      /^cairn \d+\.\d+\.\d+ \(compatible with DVC 3\.64\.0\)\n/,
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("status: a never-run stage with params says `new:` for the params file (item 7)", () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(join(dir, "params.yaml"), "lr: 1\nbase: 2\n");
    cairnOk(
      ["stage", "add", "-q", "-n", "train", "-p", "lr", "-o", "out.txt", "echo hi > out.txt"],
      { cwd: dir },
    );
    assertEquals(
      cairnOk(["status"], { cwd: dir }).stdout,
      "train:\n\tchanged deps:\n\t\tnew:                params.yaml\n" +
        "\tchanged outs:\n\t\tdeleted:            out.txt\n",
    );
    assertEquals(JSON.parse(cairnOk(["status", "--json"], { cwd: dir }).stdout), {
      train: [{ "changed deps": { "params.yaml": "new" } }, {
        "changed outs": { "out.txt": "deleted" },
      }],
    });
    // once run, the keys are compared one by one again
    cairnOk(["repro", "-q"], { cwd: dir });
    Deno.writeTextFileSync(join(dir, "params.yaml"), "lr: 2\nbase: 2\n");
    assertEquals(JSON.parse(cairnOk(["status", "--json"], { cwd: dir }).stdout), {
      train: [{ "changed deps": { "params.yaml": { lr: "modified" } } }],
    });
  } finally {
    removeDir(dir);
  }
});

Deno.test("data status --granular --unchanged --json: no cache:false outputs, as DVC", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    const got = JSON.parse(
      cairnOk(["data", "status", "--granular", "--unchanged", "--json"], { cwd: dir }).stdout,
    );
    const want = JSON.parse(
      Deno.readTextFileSync(join(FIXTURES, "pipeline_repo/expected/data_status.json")),
    );
    assertEquals(Object.keys(got), Object.keys(want));
    assertEquals([...got.unchanged].sort(), [...want.unchanged].sort());
    // a modified no-cache metric is git's business, not listed either
    Deno.writeTextFileSync(join(dir, "eval/metrics.json"), '{"acc": 0}\n');
    const after = JSON.parse(
      cairnOk(["data", "status", "--granular", "--unchanged", "--json"], { cwd: dir }).stdout,
    );
    assertEquals(after, got);
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots modify says which stage it rewrote (item 8)", () => {
  const dir = copyFixtureRepo("pipeline_repo/repo");
  try {
    const r = cairnOk(["plots", "modify", "eval/prc.csv", "-x", "recall"], { cwd: dir });
    assertEquals(r.stdout, "Modifying stage 'evaluate' in 'dvc.yaml'\n");
    const sub = cairnOk(["plots", "modify", "prc.csv", "-y", "precision"], {
      cwd: join(dir, "eval"),
    });
    assertEquals(sub.stdout, "Modifying stage 'evaluate' in '../dvc.yaml'\n");
    // the flow lists of the untouched matrix stage stay as they were
    assertMatch(Deno.readTextFileSync(join(dir, "dvc.yaml")), /\n {6}model: \[linear, tree\]\n/);
    const bad = cairn(["plots", "modify", "nope.csv"], { cwd: dir });
    assertMatch(bad.stderr, /Unable to find DVC file with output 'nope\.csv'/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("checkout removes outputs the checked-out version no longer tracks, and brings them back (item 1)", () => {
  const dir = makeRepo();
  try {
    git(["tag", "v0"], dir);
    Deno.mkdirSync(join(dir, "data"));
    Deno.writeTextFileSync(join(dir, "data/a.csv"), "a\n");
    Deno.writeTextFileSync(join(dir, "params.yaml"), "n: 1\n");
    cairnOk(["add", "-q", "data"], { cwd: dir });
    cairnOk(
      [
        "stage",
        "add",
        "-q",
        "-n",
        "count",
        "-d",
        "data",
        "-p",
        "n",
        "-o",
        "out",
        "mkdir out && wc -l data/a.csv > out/n.txt",
      ],
      { cwd: dir },
    );
    cairnOk(["repro", "-q"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "pipeline"], dir);
    git(["checkout", "-q", "v0"], dir);
    assertEquals(cairnOk(["checkout"], { cwd: dir }).stdout, "D       data/\nD       out/\n");
    assertEquals(exists(join(dir, "data")) || exists(join(dir, "out")), false);
    git(["checkout", "-q", "main"], dir);
    assertEquals(cairnOk(["checkout"], { cwd: dir }).stdout, "A       data/\nA       out/\n");
    assertEquals(readText(dir, "out/n.txt"), "1 data/a.csv\n");
    // data changed by the user since cairn wrote it is never removed
    git(["checkout", "-q", "v0"], dir);
    Deno.writeTextFileSync(join(dir, "data/mine.txt"), "keep me\n");
    assertEquals(cairnOk(["checkout"], { cwd: dir }).stdout, "D       out/\n");
    assertEquals(readText(dir, "data/mine.txt"), "keep me\n");
    // with targets nothing else is touched (DVC removes unused outputs only without targets)
    git(["checkout", "-q", "main"], dir);
    cairnOk(["checkout", "--force"], { cwd: dir });
    git(["checkout", "-q", "v0"], dir);
    assertEquals(cairn(["checkout", "data"], { cwd: dir }).code, 1); // not tracked at v0
    assertEquals(exists(join(dir, "out/n.txt")), true);
  } finally {
    removeDir(dir);
  }
});

Deno.test("an unknown command is DVC's usage error: help on stdout, invalid choice + closest on stderr, 254", () => {
  const dir = makeRepo();
  try {
    const r = cairn(["chekout"], { cwd: dir });
    assertEquals(r.code, 254);
    assertMatch(r.stdout, /^Usage: cairn /);
    assertMatch(
      r.stderr,
      /^ERROR: argument command: invalid choice: 'chekout' \(choose from 'init', .*'checkout'.*\)\n/,
    );
    assertMatch(
      r.stderr,
      /\nDid you mean 'checkout'\?\nUse `cairn --help` to list the commands\.\n$/,
    );
    // a missing argument / an unknown option: the command's usage, argparse's wording
    const ls = cairn(["ls"], { cwd: dir });
    assertEquals([ls.code, ls.stderr], [254, "ERROR: the following arguments are required: url\n"]);
    assertMatch(ls.stdout, /^Usage: cairn list\|ls /);
    const bogus = cairn(["checkout", "--bogus"], { cwd: dir });
    assertEquals([bogus.code, bogus.stderr], [254, "ERROR: unrecognized arguments: --bogus\n"]);
  } finally {
    removeDir(dir);
  }
});

Deno.test("legacy run writes the stage only if its command succeeds; stage add --run keeps it, exit 255 (item 5)", () => {
  const dir = makeRepo();
  try {
    const failed = cairn(["run", "-n", "s1", "-o", "out.txt", "exit 3"], { cwd: dir });
    assertEquals(failed.code, 255);
    assertEquals(exists(join(dir, "dvc.yaml")), false);
    assertEquals(exists(join(dir, ".gitignore")), false);
    // the retry needs no --force
    cairnOk(["run", "-n", "s1", "-o", "out.txt", "echo ok > out.txt"], { cwd: dir });
    assertMatch(readText(dir, "dvc.yaml"), /cmd: echo ok > out\.txt/);
    const before = readText(dir, "dvc.yaml");
    assertEquals(
      cairn(["run", "-f", "-n", "s1", "-o", "out.txt", "exit 5"], { cwd: dir }).code,
      255,
    );
    assertEquals(readText(dir, "dvc.yaml"), before);

    // DVC 3.64's stage add --run, as a real DVC printed it
    const add = cairn(["stage", "add", "--run", "-n", "s2", "-o", "o2.txt", "exit 4"], {
      cwd: dir,
    });
    assertEquals(add.code, 255);
    assertEquals(add.stdout, "Added stage 's2' in 'dvc.yaml'\nRunning stage 's2':\n> exit 4\n");
    assertEquals(add.stderr, "ERROR: failed to run: exit 4, exited with 4\n");
    assertMatch(readText(dir, "dvc.yaml"), /\n {2}s2:\n {4}cmd: exit 4\n/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("metrics show -T / diff read only what git has at a revision; plain names for a tag and branch alike (item 4)", () => {
  const dir = makeRepo();
  try {
    cairnOk(
      ["stage", "add", "-q", "-n", "m", "-M", "metrics.json", `echo '{"acc": 0.5}' > metrics.json`],
      { cwd: dir },
    );
    cairnOk(["repro", "-q"], { cwd: dir });
    Deno.writeTextFileSync(join(dir, ".gitignore"), "metrics.json\n", { append: true });
    git(["add", "dvc.yaml", "dvc.lock", ".gitignore"], dir);
    git(["commit", "-qm", "one"], dir);
    git(["tag", "v1"], dir);
    git(["branch", "x"], dir);
    git(["tag", "x"], dir);
    Deno.writeTextFileSync(join(dir, "metrics.json"), '{"acc": 0.7}\n');
    // as a real DVC 3.64 printed it for these steps
    const failed = "DVC failed to load some metrics for following revisions: 'main,x,v1,x'.\n";
    const show = cairnOk(["metrics", "show", "-a", "-T"], { cwd: dir });
    assertEquals(show.stderr, failed);
    assertEquals(
      show.stdout,
      "Revision     Path          acc\nworkspace    metrics.json  0.7\nmain,x,v1,x  metrics.json  -\n",
    );
    assertEquals(
      JSON.parse(cairnOk(["metrics", "show", "-a", "-T", "--json"], { cwd: dir }).stdout),
      {
        workspace: { data: { "metrics.json": { data: { acc: 0.7 } } } },
        "main,x,v1,x": {
          data: {
            "metrics.json": {
              error: {
                type: "FileNotFoundError",
                msg: "[Errno 2] No such file or directory: 'metrics.json'",
              },
            },
          },
        },
      },
    );
    const diff = cairnOk(["metrics", "diff"], { cwd: dir });
    assertEquals(diff.stderr, "DVC failed to load some metrics for following revisions: 'HEAD'.\n");
    assertEquals(
      diff.stdout,
      "Path          Metric    HEAD    workspace    Change\nmetrics.json  acc       -       0.7          -\n",
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("metrics modify --xpath: the setting is committed with the repo and applies to every revision (item 9)", () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(join(dir, "m.json"), '{"acc": 0.9, "loss": 0.1}\n');
    git(["add", "m.json"], dir);
    git(["commit", "-qm", "metric"], dir);
    git(["tag", "v0"], dir);
    const r = cairnOk(["metrics", "modify", "m.json", "-t", "json", "-x", "acc"], { cwd: dir });
    assertMatch(r.stdout, /\tgit add \.dvc\/cairn\/metrics\.yaml\n/);
    // a revision committed before the setting existed reads the same way
    assertEquals(
      cairnOk(["metrics", "show", "-T", "m.json"], { cwd: dir }).stdout,
      "Revision    Path    acc\nworkspace   m.json  0.9\nv0          m.json  0.9\n",
    );
    // committed, it reaches a clone
    git(["add", ".dvc/cairn/metrics.yaml"], dir);
    git(["commit", "-qm", "metric settings"], dir);
    const clone = Deno.makeTempDirSync({ prefix: "cairn-clone-" });
    try {
      git(["clone", "-q", dir, clone], clone);
      assertEquals(
        cairnOk(["metrics", "show", "m.json"], { cwd: clone }).stdout,
        "Path    acc\nm.json  0.9\n",
      );
    } finally {
      removeDir(clone);
    }
  } finally {
    removeDir(dir);
  }
});

Deno.test("recorded from example-get-started with DVC 3.64: metrics of a dir output not in the cache, data status hints, diff --json keys", () => {
  const dir = makeRepo();
  try {
    uncachedDirStage(dir, {
      name: "e",
      out: "eval",
      cmd: "mkdir -p eval && echo '{\"acc\": 1}' > eval/metrics.json",
      dvcYaml: "metrics:\n- eval/metrics.json\n",
      tag: "t",
    });
    const show = cairnOk(["metrics", "show", "-T", "--json"], { cwd: dir });
    assertEquals(
      show.stderr,
      "DVC failed to load some metrics for following revisions: 'workspace, t'.\n",
    );
    const dirError = {
      error: { type: "DataIndexDirError", msg: "failed to load directory ('eval',)" },
    };
    assertEquals(JSON.parse(show.stdout), {
      workspace: { data: { "eval/metrics.json": dirError } },
      t: { data: { "eval/metrics.json": dirError } },
    });
    // data status: DVC's two hints for uncommitted changes, and git's own changes noted
    Deno.writeTextFileSync(join(dir, "dvc.yaml"), "# edited\n", { append: true });
    assertEquals(
      cairnOk(["data", "status"], { cwd: dir }).stdout,
      'Not in cache:\n  (use "cairn fetch <file>..." to download files)\n        eval/\n\n' +
        'DVC uncommitted changes:\n  (use "cairn commit <file>..." to track changes)\n' +
        '  (use "cairn checkout <file>..." to discard changes)\n        deleted: eval/\n' +
        '(there are other changes not tracked by dvc, use "git status" to see)\n',
    );
    // diff between two revisions: no "not in cache" key
    assertEquals(
      Object.keys(JSON.parse(cairnOk(["diff", "--json", "t", "HEAD"], { cwd: dir }).stdout)),
      ["added", "deleted", "modified", "renamed"],
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("dag draws every edge of a diamond: the long edge bends around the middle box (item 6)", () => {
  const dir = makeRepo();
  try {
    const add = (n: string, deps: string[], out: string) =>
      cairnOk(
        [
          "stage",
          "add",
          "-q",
          "-n",
          n,
          ...deps.flatMap((d) => ["-d", d]),
          "-o",
          out,
          `echo > ${out}`,
        ],
        { cwd: dir },
      );
    add("split", [], "s.txt");
    add("train", ["s.txt"], "m.txt");
    add("evaluate", ["s.txt", "m.txt"], "e.txt");
    const rows = cairnOk(["dag"], { cwd: dir }).stdout.split("\n");
    const at = (label: string) => rows.findIndex((r) => r.includes(`| ${label} |`));
    const [s, t, e] = [at("split"), at("train"), at("evaluate")];
    assertEquals(s < t && t < e, true);
    // split -> evaluate passes beside train's box, on each of its three rows
    for (const r of [t - 1, t, t + 1]) {
      const boxEnd = rows[t].indexOf("| train |") + "| train |".length;
      assertMatch(rows[r].slice(boxEnd), /\*/);
    }
    // the other two edges: below split and above evaluate
    assertMatch(rows[s + 2], /\*/);
    assertMatch(rows[e - 2], /\*/);
    // --dot has all three
    const dot = cairnOk(["dag", "--dot"], { cwd: dir }).stdout;
    for (const edge of ['"split" -> "train"', '"split" -> "evaluate"', '"train" -> "evaluate"']) {
      assertEquals(dot.includes(edge), true, edge);
    }
  } finally {
    removeDir(dir);
  }
});

Deno.test("editing dvc.yaml keeps the user's flow lists and comments, as DVC's round trip (item 8)", () => {
  const dir = makeRepo();
  try {
    const original = [
      "# my pipeline",
      "stages:",
      "  train:",
      "    cmd: python train.py   # trains",
      "    deps: [train.py, data.csv]",
      "    params:",
      "    - lr",
      "    - base",
      "    outs:",
      "    - model.pkl",
      "  evaluate:",
      "    cmd: python eval.py",
      "    deps:",
      "    - model.pkl",
      "    - eval.py",
      "    plots:",
      "    - prc.csv",
      "",
    ].join("\n");
    Deno.writeTextFileSync(join(dir, "dvc.yaml"), original);
    cairnOk(["freeze", "train"], { cwd: dir });
    // what DVC 3.64 wrote for the same freeze: the edited stage's lists re-sorted
    // item by item (apply_diff), the flow list still a flow list, the rest untouched
    const frozen = original
      .replace("deps: [train.py, data.csv]", "deps: [data.csv, train.py]")
      .replace("    - lr\n    - base\n", "    - base\n    - lr\n")
      .replace("    - model.pkl\n  evaluate:", "    - model.pkl\n    frozen: true\n  evaluate:");
    assertEquals(readText(dir, "dvc.yaml"), frozen);
    cairnOk(["plots", "modify", "prc.csv", "-x", "r"], { cwd: dir });
    assertEquals(
      readText(dir, "dvc.yaml"),
      frozen.replace("    - model.pkl\n    - eval.py\n", "    - eval.py\n    - model.pkl\n")
        .replace("    - prc.csv\n", "    - prc.csv:\n        x: r\n"),
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("stage migrate turns legacy run -f stage files into dvc.yaml stages without rerunning (item 10)", () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(join(dir, "data.csv"), "a,b\n");
    cairnOk([
      "run",
      "-q",
      "-f",
      "prep.dvc",
      "-d",
      "data.csv",
      "-o",
      "out.csv",
      "cp data.csv out.csv",
    ], {
      cwd: dir,
    });
    Deno.mkdirSync(join(dir, "sub"));
    cairnOk(
      [
        "run",
        "-q",
        "-f",
        "train.dvc",
        "-d",
        "../out.csv",
        "-o",
        "model.txt",
        "wc -l < ../out.csv > model.txt",
      ],
      { cwd: join(dir, "sub") },
    );
    assertMatch(readText(dir, "prep.dvc"), /^cmd: cp data\.csv out\.csv$/m);
    const r = cairnOk(["stage", "migrate"], { cwd: dir });
    assertMatch(r.stdout, /^Migrated 'prep\.dvc' to stage 'prep' in 'dvc\.yaml'$/m);
    assertMatch(r.stdout, /^Migrated 'sub\/train\.dvc' to stage 'train' in 'sub\/dvc\.yaml'$/m);
    assertEquals(exists(join(dir, "prep.dvc")) || exists(join(dir, "sub/train.dvc")), false);
    assertEquals(
      readText(dir, "dvc.yaml"),
      "stages:\n  prep:\n    cmd: cp data.csv out.csv\n    deps:\n    - data.csv\n    outs:\n    - out.csv\n",
    );
    assertMatch(readText(dir, "sub/dvc.yaml"), /deps:\n {4}- \.\.\/out\.csv\n/);
    assertMatch(readText(dir, "dvc.lock"), /^schema: '2\.0'\nstages:\n {2}prep:\n/);
    assertEquals(cairnOk(["status"], { cwd: dir }).stdout, "Data and pipelines are up to date.\n");
    const repro = cairnOk(["repro", "-P"], { cwd: dir }).stdout;
    assertEquals(repro.includes("Running stage"), false);
    assertEquals(
      cairnOk(["stage", "migrate"], { cwd: dir }).stdout,
      "No legacy stage files to migrate.\n",
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("ls as DVC 3.64 lists example-get-started: .dvc hidden, folder sizes, --size as naturalsize", () => {
  const dir = makeRepo();
  try {
    Deno.mkdirSync(join(dir, "src"));
    Deno.writeTextFileSync(join(dir, "src/a.py"), "print(1)\n");
    Deno.writeFileSync(join(dir, "model.pkl"), new Uint8Array(1958115));
    cairnOk(["add", "-q", "model.pkl"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "x"], dir);
    const names = cairnOk(["ls", "."], { cwd: dir }).stdout;
    assertEquals(names, ".dvcignore\n.gitignore\nmodel.pkl\nmodel.pkl.dvc\nsrc\n");
    const src = JSON.parse(cairnOk(["ls", ".", "--json"], { cwd: dir }).stdout)
      .find((e: { path: string }) => e.path === "src");
    assertEquals(src.size, Deno.statSync(join(dir, "src")).size);
    const sized = cairnOk(["ls", ".", "--size"], { cwd: dir }).stdout.split("\n");
    assertEquals(sized.includes("1.87M  model.pkl"), true, sized.join("\n"));
    assertEquals(sized.includes("4.00k  src"), Deno.statSync(join(dir, "src")).size === 4096);
  } finally {
    removeDir(dir);
  }
});

Deno.test("plots of a dir output whose listing is not in the cache: DVC's revision-level DataIndexDirError", () => {
  const dir = makeRepo();
  try {
    uncachedDirStage(dir, {
      name: "e",
      out: "eval",
      cmd: "mkdir -p eval && printf 'x,y\\n1,2\\n' > eval/p.csv",
      dvcYaml: "plots:\n- eval/p.csv\n",
    });
    // as DVC 3.64 answered on example-get-started without its remote
    const r = cairnOk(["plots", "show", "--json"], { cwd: dir });
    assertEquals(JSON.parse(r.stdout), {
      errors: [{
        rev: "workspace",
        type: "DataIndexDirError",
        msg: "failed to load directory ('eval',)",
      }],
    });
    assertEquals(r.stderr, "DVC failed to load some plots for following revisions: 'workspace'.\n");
  } finally {
    removeDir(dir);
  }
});

Deno.test("ls --show-hash / --size as DVC 3.64 prints them (hash column, '-' for git files, workspace sizes)", () => {
  const dir = makeRepo();
  try {
    Deno.mkdirSync(join(dir, "d"));
    Deno.writeTextFileSync(join(dir, "d/a"), "a\n");
    Deno.writeTextFileSync(join(dir, "f.txt"), "x\n");
    cairnOk(["add", "-q", "d", "f.txt"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "x"], dir);
    // recorded from DVC 3.64 for the same steps
    assertEquals(
      cairnOk(["ls", ".", "--show-hash"], { cwd: dir }).stdout,
      [
        "-                                     .dvcignore",
        "-                                     .gitignore",
        "45b1eb2ff8072c35f82255c3c22c1ae9.dir  d",
        "-                                     d.dvc",
        "401b30e3b8b5d629635a5c613cdb7919      f.txt",
        "-                                     f.txt.dvc",
        "",
      ].join("\n"),
    );
    assertEquals(
      cairnOk(["ls", ".", "-R", "--show-hash", "--dvc-only"], { cwd: dir }).stdout,
      "60b725f10c9c85c70d97880dfe8191b3  d/a\n401b30e3b8b5d629635a5c613cdb7919  f.txt\n",
    );
    const sized = cairnOk(["ls", ".", "--size", "--show-hash"], { cwd: dir }).stdout;
    assertMatch(sized, /^ {4}2 {2}401b30e3b8b5d629635a5c613cdb7919 {6}f\.txt$/m);
  } finally {
    removeDir(dir);
  }
});

Deno.test("metrics modify on a legacy stage file's output writes metric: {type, xpath} into that file (item 9)", () => {
  const dir = makeRepo();
  try {
    cairnOk(
      [
        "run",
        "-q",
        "-f",
        "train.dvc",
        "-M",
        "auc.metric",
        `echo '{"AUC": 0.91, "loss": 0.2}' > auc.metric`,
      ],
      { cwd: dir },
    );
    git(["add", "-A"], dir);
    git(["commit", "-qm", "train"], dir);
    git(["tag", "v1"], dir);
    const r = cairnOk(["metrics", "modify", "auc.metric", "--type", "json", "--xpath", "AUC"], {
      cwd: dir,
    });
    assertMatch(r.stdout, /\tgit add train\.dvc\n/);
    assertMatch(readText(dir, "train.dvc"), /\n {2}metric:\n {4}type: json\n {4}xpath: AUC\n/);
    assertEquals(exists(join(dir, ".dvc/cairn/metrics.yaml")), false);
    // the tutorial's view: only AUC, at v1 too; the stage stays up to date
    assertEquals(
      cairnOk(["metrics", "show", "-T"], { cwd: dir }).stdout,
      "Revision    Path        AUC\nworkspace   auc.metric  0.91\nv1          auc.metric  0.91\n",
    );
    assertEquals(cairnOk(["status"], { cwd: dir }).stdout, "Data and pipelines are up to date.\n");
  } finally {
    removeDir(dir);
  }
});
