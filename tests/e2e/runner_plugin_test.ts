/**
 * A project's own runner plugin, added by path in .dvc/cairn.yaml: listed by
 * `runners list`, chosen with `meta: {sandbox: {runner: NAME}}`, run in a
 * Worker with its manifest's permissions (policy off) or only the stage's
 * declaration (on/hermetic), where an undeclared read or write fails the
 * stage naming the path and the dvc.yaml fix.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { useTempTrustStore } from "../_rig/trust.ts";

// Child cairns inherit XDG_CONFIG_HOME: trust goes to a temp store, not the user's.
useTempTrustStore();

const MANIFEST = `export const manifest = {
  name: "runner_copy",
  apiVersion: 1,
  kind: "runner",
  description: "copy SRC DST, inside a Worker",
  permissions: { read: ["{repoRoot}"], write: ["{repoRoot}"] },
  runner: { policies: ["off", "on", "hermetic"], commands: "copy SRC DST" },
};
`;

const MOD = `export function create() {
  return {
    run(req) {
      const [verb, src, dst] = req.cmd.trim().split(/\\s+/);
      if (verb !== "copy") return { exitCode: 2, violations: [], stderr: "usage: copy SRC DST\\n" };
      Deno.writeFileSync(req.cwd + "/" + dst, Deno.readFileSync(req.cwd + "/" + src));
      return { exitCode: 0, violations: [], stdout: "copied " + src + " -> " + dst + "\\n" };
    },
  };
}
`;

function project(cmd: string): string {
  const repo = makeRepo();
  writeFiles(repo, {
    "tools/runner_copy/manifest.ts": MANIFEST,
    "tools/runner_copy/mod.ts": MOD,
    ".dvc/cairn.yaml": "plugins:\n  - tools/runner_copy\n",
    "in.txt": "input\n",
    "secret.txt": "secret\n",
    "dvc.yaml": [
      "stages:",
      "  c:",
      `    cmd: ${cmd}`,
      "    deps: [in.txt]",
      "    outs: [out.txt]",
      "    meta: {sandbox: {runner: copy}}",
      "",
    ].join("\n"),
  });
  git(["add", "-A"], repo);
  git(["commit", "-qm", "pipeline"], repo);
  const t = cairn(["plugins", "trust", "copy"], { cwd: repo });
  if (t.code !== 0) throw new Error(t.stderr);
  return repo;
}

Deno.test("project runner plugin: listed, chosen per stage, runs in a Worker", () => {
  const repo = project("copy in.txt out.txt");
  try {
    const list = cairn(["runners", "list"], { cwd: repo, subprocess: true });
    assertEquals(list.code, 0, list.stderr);
    assertMatch(
      list.stdout,
      /^copy \(runner plugin runner_copy, .*tools\/runner_copy\): copy SRC DST/m,
    );
    assertMatch(list.stdout, /runs in a Worker/);
    const r = cairn(["repro"], { cwd: repo, subprocess: true });
    assertEquals(r.code, 0, r.stderr);
    assertMatch(r.stdout, /copied in\.txt -> out\.txt/);
    assertEquals(Deno.readTextFileSync(`${repo}/out.txt`), "input\n");
    assertMatch(Deno.readTextFileSync(`${repo}/dvc.lock`), /^ {2}c:$/m);
  } finally {
    removeDir(repo);
  }
});

Deno.test("project runner plugin: hermetic confines the Worker to the stage's declaration", () => {
  const repo = project("copy secret.txt out.txt");
  try {
    // Policy off: the manifest grants the whole project.
    const off = cairn(["repro"], { cwd: repo });
    assertEquals(off.code, 0, off.stderr);
    const r = cairn(["repro", "-f", "--sandbox=hermetic"], { cwd: repo, subprocess: true });
    assert(r.code !== 0);
    assertMatch(r.stderr, /policy hermetic, runner copy/);
    assertMatch(r.stderr, /tried to read 'secret\.txt', which is not a declared dependency/);
    assertMatch(r.stderr, /deps:\s+- secret\.txt/);
  } finally {
    removeDir(repo);
  }
});

Deno.test("project runner plugin: under on, a write outside the outs is refused", () => {
  const repo = project("copy in.txt other.txt");
  try {
    const r = cairn(["repro", "--sandbox=on"], { cwd: repo, subprocess: true });
    assert(r.code !== 0);
    assertMatch(r.stderr, /other\.txt', which is not a declared output/);
    assert(!exists(`${repo}/other.txt`));
    assert(!exists(`${repo}/dvc.lock`));
  } finally {
    removeDir(repo);
  }
});
