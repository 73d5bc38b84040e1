/**
 * `repro` refuses a dependency (or params file) that neither exists nor is
 * produced by an upstream stage before any stage runs; a dependency an
 * upstream stage produces (the output itself, or a path inside an output
 * folder) is fine from scratch.
 */
import { assert, assertEquals, assertMatch } from "../../_rig/assert.ts";
import { cairn, cairnOk, exists, makeRepo, removeDir, writeFiles } from "../../_rig/rig.ts";

Deno.test("repro: a missing dependency no stage produces fails before anything runs", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "in.txt": "x\n",
      "dvc.yaml": "stages:\n" +
        "  a:\n    cmd: cp in.txt a.txt\n    deps:\n    - in.txt\n    outs:\n    - a.txt\n" +
        "  b:\n    cmd: cat a.txt nope.txt > b.txt\n    deps:\n    - a.txt\n    - nope.txt\n" +
        "    outs:\n    - b.txt\n",
    });
    const r = cairn(["repro"], { cwd: dir });
    assertEquals(r.code, 255, r.stderr);
    assertMatch(
      r.stderr,
      /dependency 'nope\.txt' of stage 'b' \(dvc\.yaml\) does not exist and no stage produces it/,
    );
    assert(!exists(`${dir}/a.txt`), "stage a ran before the refusal");
    assert(!exists(`${dir}/dvc.lock`));
  } finally {
    removeDir(dir);
  }
});

Deno.test("repro: dependencies an upstream stage produces (the output, or inside it) run from scratch", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "in.txt": "x\n",
      "dvc.yaml": "stages:\n" +
        "  a:\n    cmd: mkdir -p d && cp in.txt d/f.txt && cp in.txt a.txt\n    deps:\n" +
        "    - in.txt\n    outs:\n    - d\n    - a.txt\n" +
        "  b:\n    cmd: cat d/f.txt a.txt > b.txt\n    deps:\n    - d/f.txt\n    - a.txt\n" +
        "    outs:\n    - b.txt\n",
    });
    cairnOk(["repro"], { cwd: dir });
    assertEquals(Deno.readTextFileSync(`${dir}/b.txt`), "x\nx\n");
  } finally {
    removeDir(dir);
  }
});
