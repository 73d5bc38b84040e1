/**
 * e2e: `exp show` revision selection and filters as DVC's iter_revs
 * (`-n`, `--rev`, `-a`, `-T`, `-A`, `--hide-workspace`, `--hide-queued`,
 * `--param-deps`, `--no-pager`, `--no-fetch`), the State/Executor columns of
 * queued experiments, `exp rename`, `exp gc` with DVC 2's flags, and
 * `exp list --rev/-n`.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

const DVC_YAML = `stages:
  train:
    cmd: python3 train.py
    deps:
    - train.py
    params:
    - lr
    metrics:
    - m.json:
        cache: false
`;

const TRAIN_PY = `import json, re
lr = re.search(r"lr: *(\\S+)", open("params.yaml").read()).group(1)
json.dump({"v": float(lr)}, open("m.json", "w"))
`;

interface Node {
  rev: string;
  name: string | null;
  data: { params: Record<string, { data: Record<string, unknown> }> };
  experiments: { name: string; executor: { state: string } | null }[] | null;
}

function show(dir: string, args: string[]): Node[] {
  return JSON.parse(cairnOk(["exp", "show", "--json", ...args], { cwd: dir }).stdout);
}

Deno.test("exp show: -n/--rev/-a/-T/-A, hide flags, param deps; rename; gc; list --rev", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "params.yaml": "lr: 1\nunused: 7\n",
      "dvc.yaml": DVC_YAML,
      "train.py": TRAIN_PY,
    });
    cairnOk(["repro", "-q"], { cwd: dir });
    git(["add", "-A"], dir);
    git(["commit", "-qm", "c1"], dir);
    const c1 = git(["rev-parse", "HEAD"], dir).trim();
    cairnOk(["exp", "run", "-S", "lr=2", "-n", "old-exp"], { cwd: dir });
    git(["tag", "v1"], dir);
    git(["checkout", "-q", "--", "."], dir);
    writeFiles(dir, { "params.yaml": "lr: 3\nunused: 7\n" });
    cairnOk(["repro", "-q"], { cwd: dir });
    git(["commit", "-qam", "c2"], dir);
    const c2 = git(["rev-parse", "HEAD"], dir).trim();
    cairnOk(["exp", "run", "-S", "lr=4", "-n", "new-exp"], { cwd: dir });
    git(["checkout", "-q", "--", "."], dir);
    git(["branch", "side", c1], dir);

    // default: workspace + HEAD; -n 2: HEAD and its parent
    assertEquals(show(dir, []).map((n) => n.rev), ["workspace", c2]);
    const two = show(dir, ["-n", "2", "--no-pager", "--no-fetch"]);
    assertEquals(two.map((n) => n.rev), ["workspace", c2, c1]);
    assertEquals(two[2].experiments!.map((e) => e.name), ["old-exp"]);
    assertEquals(show(dir, ["--rev", c1]).map((n) => n.rev), ["workspace", c1]);
    assertEquals(show(dir, ["-T"]).map((n) => n.rev), ["workspace", c1]);
    assertEquals(show(dir, ["-a"]).map((n) => n.rev).sort(), [c1, c2, "workspace"].sort());
    const all = git(["rev-list", "--branches", "--tags"], dir).trim().split("\n");
    assertEquals(show(dir, ["-A", "--hide-workspace"]).map((n) => n.rev), all);
    assertEquals(all.slice(0, 2), [c2, c1]);
    // --param-deps: only params a stage depends on, in the workspace and experiments;
    // baselines keep all (DVC collects them without param_deps)
    const pdNodes = show(dir, ["--param-deps"]);
    assertEquals(Object.keys(pdNodes[0].data.params["params.yaml"].data), ["lr"]);
    assert("unused" in pdNodes[1].data.params["params.yaml"].data);
    assert("unused" in show(dir, [])[1].data.params["params.yaml"].data);

    // queued: State/Executor columns; --hide-queued drops it
    cairnOk(["exp", "run", "--queue", "-S", "lr=5", "-n", "waiting"], { cwd: dir });
    const q = show(dir, [])[1].experiments!;
    assertEquals(q.map((e) => [e.name, e.executor?.state ?? null]), [
      ["new-exp", null],
      ["waiting", "queued"],
    ]);
    const csv = cairnOk(["exp", "show", "--csv"], { cwd: dir }).stdout;
    assertMatch(csv.split("\r\n")[0], /^Experiment,rev,typ,Created,parent,State,Executor,/);
    assertMatch(csv, /waiting,[0-9a-f]{7},branch_base,[^,]*,,Queued,Dvc-task,/);
    assertEquals(show(dir, ["--hide-queued"])[1].experiments!.map((e) => e.name), ["new-exp"]);
    const noState = cairnOk(["exp", "show", "--csv", "--hide-queued"], { cwd: dir }).stdout;
    assert(!noState.includes("State"), noState);

    // rename
    assertMatch(cairnOk(["exp", "rename", "new-exp", "renamed"], { cwd: dir }).stdout, /Renamed/);
    assertEquals(show(dir, ["--hide-queued"])[1].experiments!.map((e) => e.name), ["renamed"]);
    assertEquals(cairn(["exp", "rename", "nope", "x"], { cwd: dir }).code, 1);

    // list --rev / -n
    assertEquals(
      cairnOk(["exp", "list", "--rev", c1, "--name-only"], { cwd: dir }).stdout,
      "old-exp\n",
    );
    assertEquals(
      cairnOk(["exp", "list", "-n", "2", "--name-only"], { cwd: dir }).stdout.split("\n")
        .filter(Boolean).sort(),
      ["old-exp", "renamed"],
    );

    // gc: flags required; -w keeps HEAD's experiments, drops c1's and the queue
    assertEquals(cairn(["exp", "gc", "-f"], { cwd: dir }).code, 254);
    const noConfirm = cairn(["exp", "gc", "-w"], { cwd: dir });
    assertEquals(noConfirm.code, 1); // no TTY to confirm: nothing removed
    assertEquals(show(dir, ["-A"]).flatMap((n) => n.experiments ?? []).length, 3);
    assertMatch(cairnOk(["exp", "gc", "-w", "-f"], { cwd: dir }).stdout, /Removed 2 experiments\./);
    const left = show(dir, ["-A"]).flatMap((n) => n.experiments ?? []).map((e) => e.name);
    assertEquals(left, ["renamed"]);
    assertMatch(cairnOk(["exp", "gc", "-w", "-f"], { cwd: dir }).stdout, /No experiments to clear/);
  } finally {
    removeDir(dir);
  }
});
