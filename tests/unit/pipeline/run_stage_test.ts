import { assert, assertEquals, assertMatch } from "../../_rig/assert.ts";
import { checkStagesRunnable, runStageCommand } from "../../../lib/pipeline/run_stage.ts";
import "../../../plugins/builtin.ts";
import { StageCmdFailedError } from "../../../lib/pipeline/run_command.ts";
import { SandboxGrantError } from "../../../lib/sandbox/errors.ts";
import type { Repo } from "../../../lib/repo/repo.ts";
import type { Stage } from "../../../lib/stage/types.ts";

function tempRepo(): Repo {
  const root = Deno.makeTempDirSync({ prefix: "cairn-runstage-" });
  Deno.mkdirSync(`${root}/.dvc/cache`, { recursive: true });
  return {
    root,
    dvcDir: `${root}/.dvc`,
    tmpDir: `${root}/.dvc/tmp`,
    config: {} as Repo["config"],
    cacheDir: `${root}/.dvc/cache`,
    scmRoot: null,
    cwd: root,
  };
}

function stage(cmd: string, meta?: unknown, outs: string[] = []): Stage {
  return {
    name: "s",
    kind: "pipeline",
    file: "dvc.yaml",
    wdir: "",
    cmd,
    deps: [{ path: "in.txt" }],
    params: [],
    outs: outs.map((path) => ({ path, kind: "out", cache: true, persist: false, push: true })),
    frozen: false,
    alwaysChanged: false,
    meta,
  };
}

const quiet = { sink: () => {} };
const run = (repo: Repo, st: Stage) => runStageCommand(repo, st, st.cmd as string, quiet);

Deno.test("runStageCommand: default shell runner, policy off, as DVC (exit code -> StageCmdFailedError)", async () => {
  const repo = tempRepo();
  try {
    Deno.writeTextFileSync(`${repo.root}/in.txt`, "x\n");
    const ok = await run(repo, stage('test "$DVC_STAGE" = s && cat in.txt > o'));
    assertEquals([ok.ok, ok.runner, ok.policy, ok.error], [true, "shell", "off", undefined]);
    assertEquals(Deno.readTextFileSync(`${repo.root}/o`), "x\n");
    const bad = await run(repo, stage("exit 3"));
    assertEquals([bad.ok, bad.exitCode], [false, 3]);
    assert(bad.error instanceof StageCmdFailedError);
    assertMatch(bad.error.message, /failed to run: exit 3, exited with 3/);
  } finally {
    Deno.removeSync(repo.root, { recursive: true });
  }
});

Deno.test("runStageCommand: a Deno script under a sandbox policy gets the deno runner", async () => {
  const repo = tempRepo();
  try {
    Deno.writeTextFileSync(`${repo.root}/in.txt`, "x\n");
    Deno.writeTextFileSync(
      `${repo.root}/s.ts`,
      'Deno.writeTextFileSync("out.txt", Deno.readTextFileSync("in.txt").toUpperCase());\n',
    );
    const st = stage("deno run -A s.ts", { sandbox: { policy: "on" } }, ["out.txt"]);
    st.deps.push({ path: "s.ts" });
    const r = await run(repo, st);
    assertEquals([r.ok, r.runner, r.policy], [true, "deno", "on"], r.error?.message);
    assertEquals(Deno.readTextFileSync(`${repo.root}/out.txt`), "X\n");
    // Under policy off the same command is a shell command, as in DVC.
    const off = await run(repo, { ...st, meta: {} });
    assertEquals([off.ok, off.runner], [true, "shell"]);
  } finally {
    Deno.removeSync(repo.root, { recursive: true });
  }
});

Deno.test("checkStagesRunnable: an unknown runner or a bad meta.sandbox fails first", async () => {
  const repo = tempRepo();
  try {
    for (
      const [meta, re] of [
        [{ sandbox: { runner: "python" } }, /unknown runner 'python'/],
        [{ sandbox: { policy: "strict" } }, /policy must be one of off, on, hermetic/],
        [{ sandbox: { writes: ["/tmp"] } }, /unknown key 'writes'/],
      ] as const
    ) {
      try {
        await checkStagesRunnable(repo, [stage("true", meta)]);
        assert(false, "no error");
      } catch (err) {
        assert(err instanceof SandboxGrantError, String(err));
        assertMatch(err.message, re);
      }
    }
    // Frozen stages never run: not checked.
    await checkStagesRunnable(repo, [{
      ...stage("true", { sandbox: { runner: "x" } }),
      frozen: true,
    }]);
  } finally {
    Deno.removeSync(repo.root, { recursive: true });
  }
});
