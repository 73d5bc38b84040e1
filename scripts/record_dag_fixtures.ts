/**
 * Records what a real DVC prints for `dvc dag` (ASCII, also `--outs`,
 * targets, `--full`) on a corpus of pipelines, into tests/fixtures/dag/
 * (read by tests/compat/dag_layout_test.ts, which runs cairn only).
 *
 *   deno run -A scripts/record_dag_fixtures.ts [--python /path/to/dvc-venv/bin/python]
 *     [--seeds 3] [--reps 8] [case...]
 *   deno run -A scripts/record_dag_fixtures.ts --layout [--count 100]   # layout_pinned.json
 *   deno run -A scripts/record_dag_fixtures.ts --dot [case...]   # only `dag --dot`, `--outs --dot`
 *
 * For each case it writes `<case>/repo/` (the pipeline files; the test adds
 * `.dvc/config` with `no_scm`) and runs DVC's CLI (`dvc.cli.main`) there
 * in one Python process per PYTHONHASHSEED, `reps` times each (both move
 * Python's set orders: networkx's components are sets of strings, and
 * grandalf keeps each graph's edges in a set of objects ordered by memory
 * address), and stores the output as `<case>/<out>.txt` when every run
 * printed the same bytes. When runs differ, DVC's drawing is not deterministic for that
 * graph: every distinct output is kept (`<out>.1.txt`, `<out>.2.txt`, ...)
 * and the case is listed as such in `cases.tsv` (the test then accepts any
 * of them). `cases.tsv`: case, output name, cwd, args, variants, note.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const OUT = join(ROOT, "tests", "fixtures", "dag");

/** `name: dep dep -> out out` per line (deps/outs space separated). */
function yaml(spec: string): string {
  const lines = ["stages:"];
  for (const raw of spec.trim().split("\n")) {
    const [name, rest] = raw.trim().split(/:\s*/, 2);
    const [deps, outs] = (rest ?? "").split("->").map((s) => s.trim().split(/\s+/).filter(Boolean));
    lines.push(`  ${name}:`, `    cmd: echo ${name}`);
    if (deps.length) lines.push("    deps:", ...deps.map((d) => `    - ${d}`));
    if (outs?.length) lines.push("    outs:", ...outs.map((o) => `    - ${o}`));
  }
  return lines.join("\n") + "\n";
}

/** A `.dvc` file tracking `path` (the hash is never read by `dag`). */
function dvcFile(path: string): string {
  return `outs:\n- md5: 22a1a2931c8370d3aeedd7183606fd7f\n  size: 14445097\n  hash: md5\n  path: ${path}\n`;
}

interface Case {
  name: string;
  files: Record<string, string>;
  /** [output name, args, cwd?] */
  runs: [string, string[], string?][];
}

const dag = (out = "dag"): [string, string[]] => [out, ["dag"]];
const outs: [string, string[]] = ["outs", ["dag", "--outs"]];

/** A random connected DAG (fixed seed), stage i depending on earlier ones. */
function randomDag(seed: number, n: number, p: number): string {
  let s = seed;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const names = Array.from({ length: n }, (_, i) => `st${i}${"_x".repeat(Math.floor(rnd() * 4))}`);
  const lines = names.map((name, j) => {
    const deps = new Set<number>();
    if (j > 0) deps.add(Math.floor(rnd() * j));
    for (let i = 0; i < j; i++) if (rnd() < p) deps.add(i);
    return `${name}: ${[...deps].map((i) => `o${i}`).join(" ")} -> o${j}`;
  });
  return lines.join("\n");
}

const CASES: Case[] = [
  {
    // issue 15 item 6
    name: "diamond",
    files: {
      "dvc.yaml": yaml(`
        split: -> s.txt
        train: s.txt -> m.txt
        evaluate: s.txt m.txt -> e.txt`),
    },
    runs: [
      dag(),
      outs,
      ["target_evaluate", ["dag", "evaluate"]],
      ["target_train", ["dag", "train"]],
      ["full_train", ["dag", "--full", "train"]],
      ["outs_target", ["dag", "--outs", "evaluate"]],
      ["quiet", ["dag", "-q"]],
    ],
  },
  { name: "no_stages", files: { "README.txt": "no pipeline here\n" }, runs: [dag()] },
  {
    // iterative/example-get-started as of its tag 11 (dvc.yaml, data/data.xml.dvc)
    name: "example_get_started",
    files: {
      "dvc.yaml": yaml(`
        prepare: data/data.xml src/prepare.py -> data/prepared
        featurize: data/prepared src/featurization.py -> data/features
        train: data/features src/train.py -> model.pkl
        evaluate: data/features model.pkl src/evaluate.py -> eval`),
      "data/data.xml.dvc": dvcFile("data.xml"),
    },
    runs: [
      dag(),
      outs,
      ["target_train", ["dag", "train"]],
      ["full_featurize", ["dag", "--full", "featurize"]],
      ["outs_evaluate", ["dag", "--outs", "evaluate"]],
    ],
  },
  { name: "single", files: { "dvc.yaml": yaml("only: -> a") }, runs: [dag(), outs] },
  { name: "chain2", files: { "dvc.yaml": yaml("a: -> x\nb: x -> y") }, runs: [dag()] },
  {
    name: "chain5",
    files: {
      "dvc.yaml": yaml("s1: -> o1\ns2: o1 -> o2\ns3: o2 -> o3\ns4: o3 -> o4\ns5: o4 -> o5"),
    },
    runs: [dag(), outs, ["target_s3", ["dag", "s3"]], ["full_s3", ["dag", "--full", "s3"]]],
  },
  {
    name: "fan_out5",
    files: {
      "dvc.yaml": yaml(`
        src: -> data
        a: data -> oa
        b: data -> ob
        c: data -> oc
        d: data -> od
        e: data -> oe`),
    },
    runs: [dag(), outs, ["target_c", ["dag", "c"]], ["full_c", ["dag", "--full", "c"]]],
  },
  {
    name: "fan_in5",
    files: {
      "dvc.yaml": yaml(`
        a: -> oa
        b: -> ob
        c: -> oc
        d: -> od
        e: -> oe
        merge: oa ob oc od oe -> all`),
    },
    runs: [dag(), outs],
  },
  {
    name: "fan_out8_long_names",
    files: {
      "dvc.yaml": yaml(
        ["download_the_whole_dataset: -> raw"].concat(
          Array.from({ length: 8 }, (_, i) => `model_variant_number_${i}_training: raw -> m${i}`),
        ).join("\n"),
      ),
    },
    runs: [dag()],
  },
  {
    name: "skip_two_layers",
    files: { "dvc.yaml": yaml("a: -> x\nb: x -> y\nc: y -> z\nd: x z -> w") },
    runs: [dag(), outs],
  },
  {
    name: "several_long_edges",
    files: {
      "dvc.yaml": yaml(`
        a: -> x1
        b: x1 -> x2
        c: x2 -> x3
        d: x3 x1 -> x4
        e: x4 x1 x2 -> x5`),
    },
    runs: [dag(), outs],
  },
  {
    name: "two_equal_components",
    files: { "dvc.yaml": yaml("a1: -> x\nb1: x -> y\na2: -> p\nb2: p -> q") },
    runs: [dag(), ["target_b2", ["dag", "b2"]]],
  },
  {
    name: "components_of_three_sizes",
    files: {
      "dvc.yaml": yaml(`
        big1: -> b1
        big2: b1 -> b2
        big3: b1 b2 -> b3
        big4: b3 -> b4
        mid1: -> m1
        mid2: m1 -> m2
        alone: -> z`),
    },
    runs: [dag(), outs],
  },
  {
    name: "long_stage_names",
    files: {
      "dvc.yaml": yaml(`
        extract_features_from_the_raw_corpus: -> f
        t: f -> m
        evaluate_the_model_on_the_held_out_test_split: f m -> e`),
    },
    runs: [dag(), outs],
  },
  {
    name: "bipartite_2x2",
    files: { "dvc.yaml": yaml("a: -> x\nb: -> y\nc: x y -> z\nd: x y -> w") },
    runs: [dag()],
  },
  {
    name: "bipartite_3x3",
    files: {
      "dvc.yaml": yaml(
        "a: -> x\nb: -> y\nc: -> z\nd: x y z -> p\ne: x y z -> q\nf: x y z -> r",
      ),
    },
    runs: [dag()],
  },
  {
    name: "crossing_ladder",
    files: {
      "dvc.yaml": yaml(`
        a: -> xa
        b: -> xb
        c: -> xc
        p: xc -> xp
        q: xa -> xq
        r: xb -> xr
        s: xp xr -> xs
        t: xq -> xt`),
    },
    runs: [dag()],
  },
  {
    name: "binary_tree",
    files: {
      "dvc.yaml": yaml(`
        root: -> r
        l: r -> l
        rr: r -> rr
        ll: l -> ll
        lr: l -> lr
        rl: rr -> rl
        rrr: rr -> rrr`),
    },
    runs: [dag(), ["target_lr", ["dag", "lr"]]],
  },
  {
    name: "inverted_tree",
    files: {
      "dvc.yaml": yaml(`
        a: -> a
        b: -> b
        c: -> c
        d: -> d
        ab: a b -> ab
        cd: c d -> cd
        all: ab cd -> all`),
    },
    runs: [dag(), outs],
  },
  {
    name: "dvc_files_and_stages",
    files: {
      "data/raw.csv.dvc": dvcFile("raw.csv"),
      "labels.dvc": dvcFile("labels"),
      "dvc.yaml": yaml(`
        prepare: data/raw.csv -> prepared
        train: prepared labels -> model
        report: model data/raw.csv -> report.html`),
    },
    runs: [dag(), outs, ["target_train", ["dag", "train"]]],
  },
  {
    name: "directory_overlap",
    files: {
      "dvc.yaml": yaml(`
        gen_a: -> data/a
        gen_b: -> data/b
        use_all: data -> summary
        use_a: data/a -> sa`),
    },
    runs: [dag(), outs],
  },
  {
    name: "multi_outs",
    files: {
      "dvc.yaml": yaml(`
        split: -> train.csv test.csv
        fit: train.csv -> model.bin metrics.json
        score: model.bin test.csv -> scores.json`),
    },
    runs: [dag(), outs, ["outs_score", ["dag", "--outs", "score"]]],
  },
  {
    name: "isolated_stage",
    files: { "dvc.yaml": yaml("lonely: ->\nsplit: -> s\ntrain: s -> m\nevaluate: s m -> e") },
    runs: [dag()],
  },
  {
    name: "subdir_dvcyaml",
    files: {
      "dvc.yaml": yaml("top: -> shared.txt"),
      "sub/dvc.yaml": yaml("inner: ../shared.txt -> out.txt\nlast: out.txt -> final.txt"),
    },
    runs: [dag(), ["from_sub", ["dag"], "sub"], ["sub_outs", ["dag", "--outs"], "sub"]],
  },
  {
    name: "foreach_stages",
    files: {
      "dvc.yaml": `stages:
  prep:
    cmd: echo prep
    outs:
    - base
  build:
    foreach: [small, medium, large]
    do:
      cmd: echo \${item}
      deps:
      - base
      outs:
      - out_\${item}
  collect:
    cmd: echo collect
    deps:
    - out_small
    - out_medium
    - out_large
    outs:
    - report
`,
    },
    runs: [dag(), outs, ["target_item", ["dag", "build@medium"]]],
  },
  {
    name: "w_shape",
    files: { "dvc.yaml": yaml("a: -> x\nb: -> y\nc: -> z\nm: x y -> p\nn: y z -> q") },
    runs: [dag()],
  },
  {
    name: "long_edge_and_fan",
    files: {
      "dvc.yaml": yaml(`
        load: -> raw
        clean: raw -> clean
        feat: clean -> feat
        train: feat -> model
        eval: model raw clean -> metrics
        plot: metrics -> plots`),
    },
    runs: [dag(), outs, ["target_eval", ["dag", "eval"]]],
  },
  {
    name: "unicode_names",
    files: { "dvc.yaml": yaml("préparer: -> données\nentraîner: données -> modèle") },
    runs: [dag(), outs],
  },
  { name: "random_a", files: { "dvc.yaml": yaml(randomDag(7, 8, 0.2)) }, runs: [dag()] },
  { name: "random_b", files: { "dvc.yaml": yaml(randomDag(11, 10, 0.15)) }, runs: [dag()] },
  { name: "random_c", files: { "dvc.yaml": yaml(randomDag(23, 12, 0.1)) }, runs: [dag()] },
  { name: "random_d", files: { "dvc.yaml": yaml(randomDag(42, 9, 0.3)) }, runs: [dag()] },
  { name: "random_e", files: { "dvc.yaml": yaml(randomDag(5, 14, 0.08)) }, runs: [dag()] },
];

function flag(name: string, dflt: string): string {
  const i = Deno.args.indexOf(name);
  return i >= 0 ? Deno.args[i + 1] : dflt;
}

const PYTHON = flag("--python", "/work/oracle/venv/bin/python");
const SEEDS = Number(flag("--seeds", "3"));
const REPS = Number(flag("--reps", "8"));
const only = Deno.args.filter((a, i) => !a.startsWith("--") && !Deno.args[i - 1]?.startsWith("--"));

// Runs DVC's own CLI entry point in-process for each job, REPS times (the
// heap, hence grandalf's edge-set order, differs from one call to the next),
// capturing what it prints; one process per PYTHONHASHSEED.
const DRIVER = `
import contextlib, io, json, os, sys
from dvc.cli import main
from dvc.ui import ui
jobs = json.load(open(sys.argv[1]))
reps = int(sys.argv[2])
res = []
for job in jobs:
    outs = []
    for _ in range(reps):
        os.chdir(job["cwd"])
        ui._enabled = False  # as in a new process: main() enables it unless -q
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main(job["args"])
        if rc != 0:
            raise SystemExit("dvc %s failed in %s" % (job["args"], job["cwd"]))
        outs.append(buf.getvalue())
    res.append(outs)
json.dump(res, open(sys.argv[3], "w"))
`;

function write(path: string, text: string): void {
  Deno.mkdirSync(dirname(path), { recursive: true });
  Deno.writeTextFileSync(path, text);
}

interface Job {
  c: Case;
  out: string;
  args: string[];
  cwd: string;
}

// --layout: the layout corpus instead (tests/unit/py/dag_ascii_test.ts):
// random graphs handed straight to DVC's `dvc.dagascii.draw`, with
// grandalf's edge set pinned to creation order (the order cairn uses), so
// even graphs whose drawing varies from run to run in DVC have one answer.
const LAYOUT_DRIVER = `
import json, sys
import dvc.dagascii as da
from grandalf.graphs import Graph
from grandalf.utils import Poset
class PinnedGraph(Graph):
    def __init__(self, V=None, E=None, directed=True):
        super().__init__(V, E, directed)
        for c in self.C:
            c.sE = Poset([e for e in E if e in c.sE])
da.Graph = PinnedGraph
graphs = json.load(open(sys.argv[1]))
json.dump([da.draw(g["nodes"], [tuple(e) for e in g["edges"]]) for g in graphs], open(sys.argv[2], "w"))
`;

/** Random connected DAGs: nodes shuffled, edges [downstream, upstream] as DVC passes them. */
function layoutGraphs(count: number): { nodes: string[]; edges: [string, string][] }[] {
  let s = 20261206;
  const rnd = () => (s = (s * 1103515245 + 12345) % 2147483648) / 2147483648;
  const pick = <T>(xs: T[]) => xs[Math.floor(rnd() * xs.length)];
  const shuffle = <T>(xs: T[]) => {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [xs[i], xs[j]] = [xs[j], xs[i]];
    }
    return xs;
  };
  const out = [];
  for (let k = 0; k < count; k++) {
    const n = 1 + Math.floor(rnd() * (k < count / 2 ? 8 : 14));
    const names = Array.from({ length: n }, (_, i) => `n${i}${"_".repeat(pick([0, 0, 1, 4, 12]))}`);
    const p = pick([0, 0.05, 0.15, 0.3]);
    const edges: [string, string][] = [];
    for (let j = 1; j < n; j++) {
      const first = rnd() < 0.5
        ? Math.floor(rnd() * j)
        : Math.max(0, j - 1 - Math.floor(rnd() * 3));
      edges.push([names[j], names[first]]);
      for (let i = 0; i < j; i++) if (i !== first && rnd() < p) edges.push([names[j], names[i]]);
    }
    out.push({ nodes: shuffle([...names]), edges: shuffle(edges) });
  }
  return out;
}

if (Deno.args.includes("--layout")) {
  const dir = Deno.makeTempDirSync({ prefix: "dag-layout-" });
  const graphs = layoutGraphs(Number(flag("--count", "100")));
  write(join(dir, "driver.py"), LAYOUT_DRIVER);
  write(join(dir, "graphs.json"), JSON.stringify(graphs));
  const p = new Deno.Command(PYTHON, {
    args: [join(dir, "driver.py"), join(dir, "graphs.json"), join(dir, "out.json")],
    env: { DVC_NO_ANALYTICS: "1", PYTHONHASHSEED: "0" },
  }).outputSync();
  if (p.code !== 0) throw new Error(new TextDecoder().decode(p.stderr));
  const drawings: string[] = JSON.parse(Deno.readTextFileSync(join(dir, "out.json")));
  write(
    join(OUT, "layout_pinned.json"),
    JSON.stringify(graphs.map((g, i) => ({ ...g, drawing: drawings[i] })), null, 2) + "\n",
  );
  Deno.removeSync(dir, { recursive: true });
  console.log(`layout_pinned.json: ${graphs.length} graphs`);
  Deno.exit(0);
}

const tmp = Deno.makeTempDirSync({ prefix: "dag-record-" });
const jobs: Job[] = [];
const previous = (() => {
  try {
    return Deno.readTextFileSync(join(OUT, "cases.tsv")).split("\n")
      .filter((l) => l && !l.startsWith("#"));
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return [];
    throw e;
  }
})();
const picked = CASES.filter((c) => !only.length || only.includes(c.name));
// `dag --dot` of every project too (its edge order comes from networkx's
// in-place relabeling); --dot records only those, keeping the drawings.
const DOT_ONLY = Deno.args.includes("--dot");
const dotRuns: [string, string[]][] = [["dot", ["dag", "--dot"]], ["outs_dot", [
  "dag",
  "--outs",
  "--dot",
]]];
for (const c of picked) c.runs = DOT_ONLY ? dotRuns : [...c.runs, ...dotRuns];
for (const c of picked) {
  const caseDir = join(OUT, c.name);
  try {
    if (!DOT_ONLY) Deno.removeSync(caseDir, { recursive: true });
  } catch (e) {
    if (!(e instanceof Deno.errors.NotFound)) throw e;
  }
  const work = join(tmp, c.name);
  for (const [rel, text] of Object.entries(c.files)) {
    write(join(caseDir, "repo", rel), text);
    write(join(work, rel), text);
  }
  write(join(work, ".dvc", "config"), "[core]\n    no_scm = True\n");
  for (const [out, args, cwd] of c.runs) jobs.push({ c, out, args, cwd: join(work, cwd ?? ".") });
}
write(join(tmp, "driver.py"), DRIVER);
write(join(tmp, "jobs.json"), JSON.stringify(jobs.map((j) => ({ cwd: j.cwd, args: j.args }))));
const seen: string[][] = jobs.map(() => []);
for (let seed = 0; seed < SEEDS; seed++) {
  const home = join(tmp, `home${seed}`);
  Deno.mkdirSync(home);
  const result = join(tmp, `result${seed}.json`);
  const p = new Deno.Command(PYTHON, {
    args: [join(tmp, "driver.py"), join(tmp, "jobs.json"), String(REPS), result],
    clearEnv: true,
    env: {
      PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
      HOME: home,
      DVC_NO_ANALYTICS: "1",
      DVC_SITE_CACHE_DIR: join(home, "site"),
      TZ: "UTC",
      LC_ALL: "C.UTF-8",
      PYTHONHASHSEED: String(seed),
      // moves the heap too
      DAG_RECORD_PADDING: "x".repeat([0, 4096, 20000, 611, 9000][seed % 5]),
    },
  }).outputSync();
  if (p.code !== 0) throw new Error(new TextDecoder().decode(p.stderr));
  const outs: string[][] = JSON.parse(Deno.readTextFileSync(result));
  outs.forEach((texts, i) => {
    for (const t of texts) if (!seen[i].includes(t)) seen[i].push(t);
  });
}
const runs = SEEDS * REPS;
const rows = previous.filter((l) => {
  const [name, out] = l.split("\t");
  return !jobs.some((j) => j.c.name === name && (!DOT_ONLY || j.out === out)) &&
    (DOT_ONLY || !picked.some((c) => c.name === name));
});
jobs.forEach((j, i) => {
  const caseDir = join(OUT, j.c.name);
  let note = "";
  if (seen[i].length === 1) write(join(caseDir, `${j.out}.txt`), seen[i][0]);
  else {
    seen[i].forEach((t, k) => write(join(caseDir, `${j.out}.${k + 1}.txt`), t));
    note = `nondeterministic: ${seen[i].length} drawings in ${runs} runs`;
  }
  const cwd = j.c.runs.find((r) => r[0] === j.out)![2] ?? ".";
  rows.push([j.c.name, j.out, cwd, j.args.join(" "), String(seen[i].length), note].join("\t"));
  console.log(`${j.c.name} ${j.out}: ${note || "stable"}`);
});
Deno.removeSync(tmp, { recursive: true });
const order = (l: string) => CASES.findIndex((c) => c.name === l.split("\t")[0]);
rows.sort((a, b) => order(a) - order(b));
write(
  join(OUT, "cases.tsv"),
  "# case\toutput\tcwd\targs\tvariants\tnote\n" + rows.join("\n") + "\n",
);
