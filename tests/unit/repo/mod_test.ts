/** The library face (mod.ts) used in-process, as a notebook or script would. */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../../_rig/assert.ts";
import { git, makeRepo, removeDir } from "../../_rig/rig.ts";
import {
  add,
  checkout,
  CheckoutError,
  dataStatus,
  logMetrics,
  logPlotPoint,
  NotARepoError,
  openRepo,
  readParams,
  reproduce,
  showMetrics,
  stageAdd,
  status,
} from "../../../mod.ts";

Deno.test("mod.ts: open, add, checkout and data status without the CLI", async () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(join(dir, "d.txt"), "data\n");
    const repo = openRepo(dir, { cwd: dir });
    const r = await add(repo, ["d.txt"]);
    assertEquals(r.added[0].md5, "6137cde4893c59f76f005a8123d8e8e6");
    assertEquals(r.added[0].dvcFile, "d.txt.dvc");
    Deno.removeSync(join(dir, "d.txt"));
    const s = await checkout(openRepo(dir, { cwd: dir }));
    assertEquals(s.added, ["d.txt"]);
    assertEquals(Deno.readTextFileSync(join(dir, "d.txt")), "data\n");
    git(["add", "-A"], dir);
    git(["commit", "-qm", "d"], dir);
    const ds = await dataStatus(openRepo(dir, { cwd: dir }), { withUnchanged: true });
    assertEquals(ds.unchanged, ["d.txt"]);
  } finally {
    removeDir(dir);
  }
});

Deno.test("mod.ts: typed errors carry DVC exit codes", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    let caught: unknown;
    try {
      openRepo(dir, { cwd: dir });
    } catch (e) {
      caught = e;
    }
    assert(caught instanceof NotARepoError);
    assertEquals(caught.exitCode, 253);
  } finally {
    removeDir(dir);
  }
  const repoDir = makeRepo();
  try {
    Deno.writeTextFileSync(join(repoDir, "x"), "x\n");
    const repo = openRepo(repoDir, { cwd: repoDir });
    await add(repo, ["x"]);
    Deno.removeSync(join(repoDir, "x"));
    Deno.chmodSync(join(repoDir, ".dvc/cache/files/md5/40"), 0o755);
    Deno.removeSync(join(repoDir, ".dvc/cache/files/md5/40/1b30e3b8b5d629635a5c613cdb7919"));
    let err: unknown;
    try {
      await checkout(openRepo(repoDir, { cwd: repoDir }));
    } catch (e) {
      err = e;
    }
    assert(err instanceof CheckoutError);
    assertEquals(err.targets, ["x"]);
  } finally {
    removeDir(repoDir);
  }
});

Deno.test("stage helpers: readParams, logMetrics, logPlotPoint", () => {
  const dir = Deno.makeTempDirSync();
  try {
    Deno.writeTextFileSync(join(dir, "params.yaml"), "train:\n  lr: 0.01\n  epochs: 3\n");
    assertEquals(readParams(join(dir, "params.yaml"), "train.epochs"), 3);
    const m = join(dir, "eval/metrics.json");
    logMetrics(m, { acc: 0.5 });
    logMetrics(m, { loss: 1.25 }, { merge: true });
    assertEquals(JSON.parse(Deno.readTextFileSync(m)), { acc: 0.5, loss: 1.25 });
    const p = join(dir, "loss.csv");
    logPlotPoint(p, { step: 0, loss: 2 });
    logPlotPoint(p, { step: 1, loss: 1.5 });
    assertEquals(Deno.readTextFileSync(p), "step,loss\n0,2\n1,1.5\n");
    let msg = "";
    try {
      readParams(join(dir, "params.yaml"), "train.nope");
    } catch (e) {
      msg = (e as Error).message;
    }
    assertMatch(msg, /train\.nope/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("mod.ts: a script adds stages, reproduces with 2 jobs and reads its metrics", async () => {
  const dir = makeRepo();
  try {
    Deno.writeTextFileSync(join(dir, "params.yaml"), "k: 3\n");
    const repo = openRepo(dir, { cwd: dir });
    await stageAdd(repo, { name: "a", cmd: "echo a > a.txt", outs: ["a.txt"] });
    await stageAdd(repo, { name: "b", cmd: "echo b > b.txt", outs: ["b.txt"] });
    await stageAdd(repo, {
      name: "m",
      cmd: "cat a.txt b.txt | wc -l | sed 's/.*/{\"lines\": &}/' > m.json",
      deps: ["a.txt", "b.txt"],
      params: ["k"],
      metricsNoCache: ["m.json"],
    });
    const events: string[] = [];
    const r = await reproduce(openRepo(dir, { cwd: dir }), [], {
      jobs: 2,
      onProgress: (p) => events.push(`${p.stage}:${p.event}`),
    });
    assertEquals(r.stages.filter((s) => s.status === "ran").map((s) => s.name).sort(), [
      "a",
      "b",
      "m",
    ]);
    const shown = showMetrics(openRepo(dir, { cwd: dir }));
    const data = JSON.stringify(shown);
    assertMatch(data, /"lines":2/);
    const st = await status(openRepo(dir, { cwd: dir }));
    assertEquals(st, {});
    assert(events.includes("m:running"), events.join());
  } finally {
    removeDir(dir);
  }
});
