/**
 * The library API as a migration script uses it, in-process on a real git
 * repo: define and edit stages (comments in dvc.yaml survive), reproduce with
 * progress, status, push/pull through a local remote, params/metrics/plots by
 * revision, and experiments run, compared, applied and removed.
 */
import { join } from "node:path";
import { assert, assertEquals, assertRejects } from "../../_rig/assert.ts";
import { git, makeRepo, readText, removeDir, writeFiles } from "../../_rig/rig.ts";
import {
  addRemote,
  applyExperiment,
  compareExperiments,
  get,
  importRepo,
  listExperiments,
  listStages,
  metricsDiff,
  openRepo,
  paramsDiff,
  plotsData,
  pull,
  push,
  removeExperiments,
  removeStage,
  reproduce,
  runExperiment,
  showMetrics,
  showParams,
  stageAdd,
  StageNotFoundError,
  status,
} from "../../../mod.ts";

const TRAIN = `
k=$(sed -n 's/^k: //p' params.yaml)
echo "$k" > model.txt
printf '{"score": %s}\\n' "$((k * 10))" > metrics.json
printf 'step,loss\\n0,%s\\n1,1\\n' "$k" > loss.csv
`;

Deno.test("a migration script: stages, repro, remote, results and experiments through mod.ts", async () => {
  const dir = makeRepo();
  const remote = Deno.makeTempDirSync({ prefix: "cairn-api-remote-" });
  try {
    writeFiles(dir, {
      "train.sh": TRAIN,
      "params.yaml": "k: 2\n",
      "dvc.yaml": "# the project's pipeline\nstages: {}\n",
    });
    const repo = openRepo(dir, { cwd: dir });
    await stageAdd(repo, {
      name: "train",
      cmd: "sh train.sh",
      deps: ["train.sh"],
      params: ["k"],
      outs: ["model.txt"],
      metricsNoCache: ["metrics.json"],
      plotsNoCache: ["loss.csv"],
    });
    // edit: a description added, the stage keeps its place and the comment stays
    const edited = await stageAdd(repo, {
      name: "train",
      cmd: "sh train.sh",
      deps: ["train.sh"],
      params: ["k"],
      outs: ["model.txt"],
      metricsNoCache: ["metrics.json"],
      plotsNoCache: ["loss.csv"],
      desc: "fits the model",
      force: true,
    });
    assertEquals(edited.replaced, true);
    assert(readText(dir, "dvc.yaml").startsWith("# the project's pipeline\n"));
    assertEquals(listStages(repo).map((s) => [s.address, s.deps, s.outs]), [
      ["train", ["train.sh"], ["model.txt", "metrics.json", "loss.csv"]],
    ]);

    const progress: string[] = [];
    const r = await reproduce(openRepo(dir, { cwd: dir }), [], {
      onProgress: (p) => progress.push(`${p.stage}:${p.event}`),
      onOutput: () => {},
    });
    assertEquals(r.stages, [{ name: "train", status: "ran" }]);
    assertEquals(progress.slice(0, 2), ["train:running", "train:command"]);
    assertEquals(await status(openRepo(dir, { cwd: dir })), {});
    git(["add", "-A"], dir);
    git(["commit", "-qm", "pipeline"], dir);

    // push, lose the cache and the output, pull back
    addRemote(openRepo(dir, { cwd: dir }), "store", remote, { default: true });
    const pushed = await push(openRepo(dir, { cwd: dir }));
    assertEquals(pushed.transferred, 1);
    Deno.removeSync(join(dir, ".dvc", "cache"), { recursive: true });
    Deno.removeSync(join(dir, "model.txt"));
    const pulled = await pull(openRepo(dir, { cwd: dir }));
    assertEquals(pulled.added, ["model.txt"]);
    assertEquals(readText(dir, "model.txt"), "2\n");

    // results by revision
    writeFiles(dir, { "params.yaml": "k: 3\n" });
    await reproduce(openRepo(dir, { cwd: dir }), [], { onOutput: () => {} });
    const m = showMetrics(openRepo(dir, { cwd: dir }), { revs: ["HEAD"] });
    assertEquals(m.workspace["metrics.json"], { score: 30 });
    assertEquals(m.HEAD["metrics.json"], { score: 20 });
    assertEquals(showParams(openRepo(dir, { cwd: dir })).workspace["params.yaml"], { k: 3 });
    assertEquals(metricsDiff(openRepo(dir, { cwd: dir })), {
      "metrics.json": { score: { old: 20, new: 30, diff: 10 } },
    });
    assertEquals(paramsDiff(openRepo(dir, { cwd: dir })), {
      "params.yaml": { k: { old: 2, new: 3, diff: 1 } },
    });
    const plots = plotsData(openRepo(dir, { cwd: dir })) as {
      data: Record<string, { content: { data: { values: unknown[] } } }[]>;
    };
    assertEquals(plots.data["loss.csv"][0].content.data.values.length, 2);
    git(["checkout", "--", "params.yaml"], dir);
    await reproduce(openRepo(dir, { cwd: dir }), [], { onOutput: () => {} });

    // experiments
    const e = await runExperiment(openRepo(dir, { cwd: dir }), { params: { k: 5 }, name: "five" });
    assertEquals(e.name, "five");
    const rows = compareExperiments(openRepo(dir, { cwd: dir }));
    const five = rows.find((x) => x.name === "five")!;
    assertEquals(five.params["params.yaml"], { k: 5 });
    assertEquals(five.metrics["metrics.json"], { score: 50 });
    assertEquals(five.baseline, git(["rev-parse", "HEAD"], dir).trim());
    assertEquals(listExperiments(openRepo(dir, { cwd: dir })).map((x) => x.name), ["five"]);
    git(["checkout", "--", "."], dir);
    await applyExperiment(openRepo(dir, { cwd: dir }), "five");
    assertEquals(readText(dir, "params.yaml"), "k: 5\n");
    assertEquals(removeExperiments(openRepo(dir, { cwd: dir }), ["five"]).length, 1);
    assertEquals(listExperiments(openRepo(dir, { cwd: dir })), []);

    // another project takes data from this one: get (download only) and import (tracked, pinned)
    const other = makeRepo();
    try {
      const got = await get(other, dir, "train.sh", { out: "copied.sh" });
      assertEquals(Deno.readTextFileSync(got), TRAIN);
      const imp = await importRepo(openRepo(other, { cwd: other }), dir, "model.txt");
      assertEquals([imp.path, imp.dvcFile], ["model.txt", "model.txt.dvc"]);
      assertEquals(imp.revLock, git(["rev-parse", "HEAD"], dir).trim());
      assertEquals(readText(other, "model.txt"), "2\n");
    } finally {
      removeDir(other);
    }

    // remove the stage: the file keeps its comment
    await removeStage(openRepo(dir, { cwd: dir }), "train");
    assertEquals(listStages(openRepo(dir, { cwd: dir })), []);
    await assertRejects(
      () => removeStage(openRepo(dir, { cwd: dir }), "train"),
      StageNotFoundError,
    );
  } finally {
    removeDir(dir);
    removeDir(remote);
  }
});
