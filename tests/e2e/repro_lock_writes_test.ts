/**
 * e2e: when repro writes dvc.lock (lib/repo/reproduce.ts, LockWriter): a
 * stage the run-cache cannot restore has its entry on disk before the next
 * stage starts; a stage it can restore within LOCK_WRITE_DELAY_MS (250 ms),
 * also while the next command still runs; every entry at the end, in plan
 * order. An entry that never reached the lock (cairn killed) costs no
 * re-run: the run-cache restores the stage.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairnOk, git, makeRepo, readText, removeDir, writeFiles } from "../_rig/rig.ts";

const YAML = `stages:
  a:
    cmd: echo a >> runs.log && echo a > a.out
    deps:
    - in.txt
    outs:
    - a.out
  p:
    cmd: echo p >> runs.log && echo p > p.out
    deps:
    - in.txt
    outs:
    - p.out:
        persist: true
  b:
    cmd: echo b >> runs.log && cp dvc.lock seen_b.txt
    deps:
    - p.out
    outs:
    - seen_b.txt
  c:
    cmd: echo c >> runs.log && sleep 2 && cp dvc.lock seen_c.txt
    deps:
    - a.out
    - seen_b.txt
    outs:
    - seen_c.txt
`;

function names(lockText: string): string[] {
  return [...lockText.matchAll(/^ {2}([a-z]+):$/gm)].map((m) => m[1]);
}

Deno.test("repro: dvc.lock entries reach the disk while the run goes on, all of them at the end", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "dvc.yaml": YAML, "in.txt": "x\n" });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "pipeline"], dir);
    cairnOk(["repro"], { cwd: dir });
    assertEquals(readText(dir, "runs.log"), "a\np\nb\nc\n");
    // p (persistent output: no run-cache) was written before b started
    assert(names(readText(dir, "seen_b.txt")).includes("p"), readText(dir, "seen_b.txt"));
    // a and b (restorable) were written while c slept (2 s against a 250 ms delay)
    assertEquals(names(readText(dir, "seen_c.txt")), ["a", "p", "b"]);
    assertEquals(names(readText(dir, "dvc.lock")), ["a", "p", "b", "c"]);
    const st = cairnOk(["status"], { cwd: dir });
    assertMatch(st.stdout, /Data and pipelines are up to date/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("repro: stages whose entries never reached dvc.lock are restored from the run-cache, not run", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "dvc.yaml": YAML, "in.txt": "x\n" });
    cairnOk(["repro"], { cwd: dir });
    // what a cairn killed before writing its lock leaves: outputs and run-cache, no entries
    Deno.removeSync(`${dir}/dvc.lock`);
    Deno.writeTextFileSync(`${dir}/runs.log`, "");
    const r = cairnOk(["repro"], { cwd: dir });
    // a, b and c come back from the run-cache; p (persistent output) is never cached: it runs
    assertEquals(readText(dir, "runs.log"), "p\n");
    assertMatch(r.stdout, /Stage 'a' is cached - skipping run, checking out outputs/);
    assertEquals(names(readText(dir, "dvc.lock")), ["a", "p", "b", "c"]);
  } finally {
    removeDir(dir);
  }
});
