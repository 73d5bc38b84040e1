/**
 * Live's files read back by the real CLI: `metrics show`, `plots show --json`
 * and `exp show --json`, for a stage logging inside `exp run` and for a script
 * saving its run as an experiment (`save: true`).
 */
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { assert, assertEquals } from "../_rig/assert.ts";
import { cairnOk, git, makeRepo, removeDir, ROOT, run, writeFiles } from "../_rig/rig.ts";

const LIVE_URL = pathToFileURL(join(ROOT, "lib/live/live.ts")).href;

const TRAIN = `
import { Live } from "${LIVE_URL}";
const params = (await Deno.readTextFile("params.yaml")).match(/lr: ([0-9.]+)/)!;
const lr = Number(params[1]);
const live = new Live({ save: Deno.args[0] === "save", expName: Deno.args[1] });
live.logParam("lr", lr);
let loss = 1;
for (let epoch = 0; epoch < 3; epoch++) {
  loss = Math.round(loss * (1 - lr) * 1000) / 1000;
  live.logMetric("train/loss", loss);
  live.nextStep();
}
live.logMetric("acc", Math.round((1 - loss) * 1000) / 1000, { plot: false });
const r = await live.end();
if (r.experiment) console.log("saved " + r.experiment);
`;

/** Loss after 3 epochs at `lr`, as train.ts computes it. */
function lossAfter(lr: number): number {
  let loss = 1;
  for (let i = 0; i < 3; i++) loss = Math.round(loss * (1 - lr) * 1000) / 1000;
  return loss;
}

function denoRun(dir: string, args: string[]): string {
  const r = run(Deno.execPath(), ["run", "-q", "-A", "--no-config", "train.ts", ...args], {
    cwd: dir,
  });
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout;
}

Deno.test("Live inside exp run: metrics show, plots show and exp show read its files", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "train.ts": TRAIN, "params.yaml": "lr: 0.5\n" });
    cairnOk([
      "stage",
      "add",
      "-n",
      "train",
      "-d",
      "train.ts",
      "-p",
      "lr",
      "-O",
      "dvclive",
      "deno run -q -A --no-config train.ts",
    ], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "pipeline"], dir);
    cairnOk(["exp", "run", "-n", "fast", "-S", "lr=0.25"], { cwd: dir });

    const metrics = JSON.parse(cairnOk(["metrics", "show", "--json"], { cwd: dir }).stdout);
    const ws = metrics[""]?.data ?? metrics.workspace?.data;
    assert(ws, JSON.stringify(metrics));
    assertEquals(ws["dvclive/metrics.json"].data, {
      train: { loss: lossAfter(0.25) },
      step: 2,
      acc: Math.round((1 - lossAfter(0.25)) * 1000) / 1000,
    });

    const plots = JSON.parse(cairnOk(["plots", "show", "--json"], { cwd: dir }).stdout);
    const loss = plots.data["dvclive/plots/metrics/train/loss.tsv"];
    assert(loss, Object.keys(plots.data).join());
    const values = loss[0].content.data.values;
    assertEquals(values.map((v: { step: string }) => v.step), ["0", "1", "2"]);

    const exps = JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout);
    const text = JSON.stringify(exps);
    assert(text.includes('"fast"'), text);
    // the experiment commit carries Live's metrics with the -S value
    const shown = git(["show", `refs/exps/${expRefTail(dir, "fast")}:dvclive/metrics.json`], dir);
    assertEquals(JSON.parse(shown).train.loss, lossAfter(0.25));
    assertEquals(
      git(["show", `refs/exps/${expRefTail(dir, "fast")}:params.yaml`], dir),
      "lr: 0.25\n",
    );
  } finally {
    removeDir(dir);
  }
});

function expRefTail(dir: string, name: string): string {
  const refs = git(["for-each-ref", "--format=%(refname)", "refs/exps/"], dir).split("\n");
  const ref = refs.find((r) => r.endsWith(`/${name}`));
  if (!ref) throw new Error(`no experiment ${name}: ${refs.join(" ")}`);
  return ref.slice("refs/exps/".length);
}

Deno.test("Live outside a pipeline with save: true records the run as an experiment", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "train.ts": TRAIN, "params.yaml": "lr: 0.5\n" });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "script"], dir);
    assertEquals(denoRun(dir, ["save", "notebook-run"]).trim(), "saved notebook-run");
    const tail = expRefTail(dir, "notebook-run");
    const saved = JSON.parse(git(["show", `refs/exps/${tail}:dvclive/metrics.json`], dir));
    assertEquals(saved.train.loss, lossAfter(0.5));
    assertEquals(
      git(["show", `refs/exps/${tail}:dvc.yaml`], dir),
      "params:\n- dvclive/params.yaml\nmetrics:\n- dvclive/metrics.json\nplots:\n" +
        "- dvclive/plots/metrics:\n    x: step\n",
    );
    const exps = JSON.stringify(
      JSON.parse(cairnOk(["exp", "show", "--json"], { cwd: dir }).stdout),
    );
    assert(exps.includes("notebook-run"), exps);
    // without save nothing is recorded
    denoRun(dir, []);
    const refs = git(["for-each-ref", "--format=%(refname)", "refs/exps/"], dir).trim().split("\n");
    assertEquals(refs.length, 1);
  } finally {
    removeDir(dir);
  }
});
