/** The data verbs on dvc.yaml stages: commit, checkout, remove, gc keeping pipeline outputs. */
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import {
  cairn,
  cairnOk,
  exists,
  git,
  makeRepo,
  readText,
  removeDir,
  writeFiles,
} from "../_rig/rig.ts";

Deno.test("pipeline stages: commit after a manual edit, checkout, remove, gc keeps their outputs", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "in.txt": "1\n", "params.yaml": "k: 1\n" });
    cairnOk([
      "stage",
      "add",
      "-n",
      "double",
      "-d",
      "in.txt",
      "-p",
      "k",
      "-o",
      "out.txt",
      "cat in.txt in.txt > out.txt",
    ], {
      cwd: dir,
    });
    cairnOk(["repro"], { cwd: dir });
    assertEquals(readText(dir, "out.txt"), "1\n1\n");
    git(["add", "-A"], dir);
    git(["commit", "-qm", "p"], dir);
    // hand-edit the output, then record it without running: commit refuses without -f only
    // when deps changed; outputs alone are just recorded.
    writeFiles(dir, { "out.txt": "edited\n" });
    assertMatch(cairnOk(["status"], { cwd: dir }).stdout, /modified:\s+out\.txt/);
    cairnOk(["commit", "double"], { cwd: dir });
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
    assertMatch(
      readText(dir, "dvc.lock"),
      /path: out\.txt\n\s+hash: md5\n\s+md5: 77ef9ba34caeecc3d333b20990b10ea5\n/,
    );
    // a changed dep needs -f
    writeFiles(dir, { "in.txt": "2\n" });
    const r = cairn(["commit", "double"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /in\.txt.*changed|changed.*in\.txt/);
    cairnOk(["commit", "-f", "double"], { cwd: dir });
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
    // checkout restores the pipeline output from the cache
    Deno.removeSync(join(dir, "out.txt"));
    cairnOk(["checkout", "double"], { cwd: dir });
    assertEquals(readText(dir, "out.txt"), "edited\n");
    // gc -w keeps objects recorded in dvc.lock
    cairnOk(["gc", "-w", "-f"], { cwd: dir });
    Deno.removeSync(join(dir, "out.txt"));
    cairnOk(["checkout"], { cwd: dir });
    assertEquals(readText(dir, "out.txt"), "edited\n");
    // remove the stage: dvc.yaml and dvc.lock go, the .gitignore entry too, data stays
    cairnOk(["remove", "double"], { cwd: dir });
    assert(!exists(join(dir, "dvc.yaml")) && !exists(join(dir, "dvc.lock")));
    assert(exists(join(dir, "out.txt")));
    assert(!exists(join(dir, ".gitignore")) || !readText(dir, ".gitignore").includes("/out.txt"));
  } finally {
    removeDir(dir);
  }
});
