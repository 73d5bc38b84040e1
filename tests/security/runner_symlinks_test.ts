/**
 * Issue 10 item 7 for runners: a stage (or a project runner plugin in its
 * Worker) must not read outside its declared dep folder through a symlink
 * that sits inside it. Deno grants path prefixes, so `data/l/x` passes a
 * grant of `data/` whatever `l` points to; hermetic bwrap would have to show
 * the link's target. Such links to folders are refused before the stage
 * runs, for the project runner, the deno runner and the shell runner alike.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { useTempTrustStore } from "../_rig/trust.ts";

useTempTrustStore();

const SECRET = `undeclared-${crypto.randomUUID()}`;

const PEEK_MANIFEST = `export const manifest = {
  name: "runner_peek",
  apiVersion: 1,
  kind: "runner",
  permissions: {},
  runner: { policies: ["off", "on", "hermetic"], commands: "peek SRC DST" },
};
`;

const PEEK_MOD = `export function create() {
  return {
    run(req) {
      const [, src, dst] = req.cmd.trim().split(/\\s+/);
      Deno.writeTextFileSync(req.cwd + "/" + dst, Deno.readTextFileSync(req.cwd + "/" + src));
      return { exitCode: 0, violations: [] };
    },
  };
}
`;

const READ_TS = `const [src, dst] = Deno.args;
Deno.writeTextFileSync(dst, Deno.readTextFileSync(src));
`;

type Runner = "peek" | "deno" | "shell";

function commandFor(runner: Runner, src: string): string {
  if (runner === "peek") return `peek ${src} out.txt`;
  if (runner === "deno") return `deno run read.ts ${src} out.txt`;
  return `cat ${src} > out.txt`;
}

/** A project whose dep folder `data/` holds link `l` (to `target`, relative to data/). */
function project(runner: Runner, target: string, src: string): string {
  const repo = makeRepo();
  writeFiles(repo, {
    "tools/runner_peek/manifest.ts": PEEK_MANIFEST,
    "tools/runner_peek/mod.ts": PEEK_MOD,
    ".dvc/cairn.yaml": "plugins:\n  - tools/runner_peek\n",
    "read.ts": READ_TS,
    "secret.txt": SECRET + "\n",
    "other/secret.txt": SECRET + "\n",
    "data/in.txt": "declared\n",
    "dvc.yaml": [
      "stages:",
      "  s:",
      `    cmd: ${JSON.stringify(commandFor(runner, src))}`,
      `    deps: [data${runner === "deno" ? ", read.ts" : ""}]`,
      "    outs: [out.txt]",
      `    meta: {sandbox: {runner: ${runner}}}`,
      "",
    ].join("\n"),
  });
  Deno.symlinkSync(target, `${repo}/data/l`);
  git(["add", "-A"], repo);
  git(["commit", "-qm", "pipeline"], repo);
  const t = cairn(["plugins", "trust", "peek"], { cwd: repo });
  if (t.code !== 0) throw new Error(t.stderr);
  return repo;
}

const RUNNERS: Runner[] = ["peek", "deno", "shell"];

for (const runner of RUNNERS) {
  for (const policy of ["hermetic", "on"] as const) {
    // Under `on` the shell runner (bwrap) shows the whole filesystem read-only by design.
    if (runner === "shell" && policy === "on") continue;
    Deno.test(`runner ${runner}, ${policy}: a dep folder's link to the project root does not open it`, () => {
      const repo = project(runner, "..", "data/l/secret.txt");
      try {
        const r = cairn(["repro", `--sandbox=${policy}`], { cwd: repo });
        assert(r.code !== 0, `the stage read through the link\n${r.stdout}${r.stderr}`);
        assertMatch(r.stderr, /'data\/l' is a symlink to the (project )?folder/);
        assert(!exists(`${repo}/out.txt`), "the stage ran");
        assert(!(r.stdout + r.stderr).includes(SECRET));
      } finally {
        removeDir(repo);
      }
    });
  }
  Deno.test(`runner ${runner}, hermetic: a link to an undeclared project folder does not open it`, () => {
    const repo = project(runner, "../other", "data/l/secret.txt");
    try {
      const r = cairn(["repro", "--sandbox=hermetic"], { cwd: repo });
      assert(r.code !== 0, `the stage read through the link\n${r.stdout}${r.stderr}`);
      assertMatch(r.stderr, /'data\/l' is a symlink to the (project )?folder/);
      assert(!exists(`${repo}/out.txt`));
    } finally {
      removeDir(repo);
    }
  });
}

for (const runner of ["peek", "deno"] as const) {
  Deno.test(`runner ${runner}, hermetic: a link to a folder outside the project does not open it`, () => {
    const outside = Deno.makeTempDirSync({ prefix: "cairn-outside-" });
    Deno.writeTextFileSync(`${outside}/secret.txt`, SECRET + "\n");
    const repo = project(runner, outside, "data/l/secret.txt");
    try {
      const r = cairn(["repro", "--sandbox=hermetic"], { cwd: repo });
      assert(r.code !== 0, `the stage read through the link\n${r.stdout}${r.stderr}`);
      assertMatch(r.stderr, /'data\/l' is a symlink to the folder/);
      assert(!exists(`${repo}/out.txt`));
    } finally {
      removeDir(repo);
      removeDir(outside);
    }
  });
}

for (const runner of RUNNERS) {
  Deno.test(`runner ${runner}, hermetic: a dep folder's link to a file is part of the dep and still works`, () => {
    const repo = project(runner, "../secret.txt", "data/l");
    try {
      const r = cairn(["repro", "--sandbox=hermetic"], { cwd: repo });
      assertEquals(r.code, 0, r.stdout + r.stderr);
      assertEquals(Deno.readTextFileSync(`${repo}/out.txt`), SECRET + "\n");
    } finally {
      removeDir(repo);
    }
  });
}
