/** lib/repo/stage_add.ts and reproduce.ts called directly: stages written, run, re-run when changed. */
import { assert, assertEquals, assertMatch, assertRejects } from "../../_rig/assert.ts";
// the built-in runners (shell) are registered by the top level, as cli.ts and mod.ts do
import "../../../plugins/builtin.ts";
import { joinCommand, parseParamsFlags, stageAdd } from "../../../lib/repo/stage_add.ts";
import { reproduce, type ReproEvent } from "../../../lib/repo/reproduce.ts";
import { CairnError } from "../../../lib/errors.ts";
import { md5Of, withRepo } from "./_repo.ts";

Deno.test("joinCommand and parseParamsFlags follow DVC's rules", () => {
  assertEquals(joinCommand(["python train.py --x 1"]), "python train.py --x 1");
  assertEquals(joinCommand(["echo", "a b", ""]), 'echo "a b" ""');
  assertEquals(parseParamsFlags(["lr,epochs", "conf.yaml:a", "conf.yaml:b", "all.json:"]), [
    { file: "params.yaml", keys: ["lr", "epochs"] },
    { file: "conf.yaml", keys: ["a", "b"] },
    { file: "all.json", keys: null },
  ]);
});

Deno.test("stageAdd: writes the stage into dvc.yaml; a second one with the name needs force", () =>
  withRepo(async (t) => {
    const r = await stageAdd(t.open(), {
      name: "prep",
      command: ["sh", "-c", "cat in.txt > out.txt"],
      deps: ["in.txt"],
      outs: ["out.txt"],
      metricsNoCache: ["m.json"],
    });
    assertEquals([r.file, r.created, r.replaced], ["dvc.yaml", true, false]);
    assertEquals(
      t.read("dvc.yaml"),
      'stages:\n  prep:\n    cmd: sh -c "cat in.txt > out.txt"\n    deps:\n    - in.txt\n' +
        "    outs:\n    - out.txt\n    metrics:\n    - m.json:\n        cache: false\n",
    );
    assertEquals(t.read(".gitignore"), "/out.txt\n");
    await assertRejects(
      () => stageAdd(t.open(), { name: "prep", command: ["true"] }),
      CairnError,
      /already exists/,
    );
    const f = await stageAdd(t.open(), { name: "prep", command: ["true"], force: true });
    assertEquals(f.replaced, true);
    assertEquals(t.read("dvc.yaml"), "stages:\n  prep:\n    cmd: 'true'\n");
    await assertRejects(() => stageAdd(t.open(), { name: "bad/name", command: ["x"] }), CairnError);
  }));

const PIPELINE = "stages:\n" +
  "  one:\n    cmd: sh -c 'tr a-z A-Z < in.txt > mid.txt; echo ran one'\n" +
  "    deps:\n    - in.txt\n    outs:\n    - mid.txt\n" +
  "  two:\n    cmd: sh -c 'cat mid.txt mid.txt > out.txt'\n" +
  "    deps:\n    - mid.txt\n    outs:\n    - out.txt\n";

Deno.test("reproduce: runs stages in order, then nothing; a changed dep reruns downstream", () =>
  withRepo(async (t) => {
    t.write({ "in.txt": "abc\n", "dvc.yaml": PIPELINE });
    const events: ReproEvent[] = [];
    let output = "";
    const dec = new TextDecoder();
    const r1 = await reproduce(t.open(), [], {
      onEvent: (e) => events.push(e),
      onOutput: (_address, _stream, data) => (output += dec.decode(data)),
    });
    assertEquals(r1.stages.map((s) => [s.address, s.status]), [["one", "ran"], ["two", "ran"]]);
    assertEquals(
      events.filter((e) => e.type === "running").map((e) => (e as { address: string }).address),
      ["one", "two"],
    );
    assertEquals(output, "ran one\n", "captured through onOutput with one job");
    assertEquals(t.read("out.txt"), "ABC\nABC\n");
    assertMatch(t.read("dvc.lock"), new RegExp(`md5: ${md5Of("ABC\nABC\n")}`));
    assertEquals(t.objects(), [md5Of("ABC\n"), md5Of("ABC\nABC\n")].sort());

    const r2 = await reproduce(t.open(), []);
    assertEquals(r2.stages.map((s) => s.status), ["unchanged", "unchanged"]);
    assertEquals(r2.changed, []);

    t.write({ "in.txt": "xyz\n" });
    const r3 = await reproduce(t.open(), ["two"], { onOutput: () => {} });
    assertEquals(r3.stages.map((s) => [s.address, s.status]), [["one", "ran"], ["two", "ran"]]);
    assertEquals(t.read("out.txt"), "XYZ\nXYZ\n");
  }));

Deno.test("reproduce: dry run changes nothing; a failing stage stops its dependents (-k)", () =>
  withRepo(async (t) => {
    t.write({ "in.txt": "abc\n", "dvc.yaml": PIPELINE });
    const dry = await reproduce(t.open(), [], { dryRun: true });
    assertEquals(dry.stages.map((s) => s.address), ["one", "two"]);
    assert(!t.exists("mid.txt") && !t.exists("dvc.lock"));

    t.write({
      "dvc.yaml": PIPELINE.replace("tr a-z A-Z < in.txt > mid.txt; echo ran one", "exit 3") +
        "  three:\n    cmd: sh -c 'cp in.txt other.txt'\n    deps:\n    - in.txt\n" +
        "    outs:\n    - other.txt\n",
    });
    let failure: unknown;
    try {
      await reproduce(t.open(), [], { keepGoing: true, onOutput: () => {} });
    } catch (err) {
      failure = err;
    }
    assert(failure instanceof CairnError, String(failure));
    assertMatch(failure.message, /one/);
    assertEquals(t.read("other.txt"), "abc\n", "an independent stage still ran");
    assert(!t.exists("out.txt"), "the dependent of the failed stage did not run");
  }));
