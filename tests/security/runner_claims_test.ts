/**
 * Issue 10 item 9: what `runners list` says confines a stage is what does.
 * Built-in runners are cairn's own code (no permissions claimed for them;
 * the list names bwrap / Deno's flags instead); a project runner is a plugin
 * like a remote: trusted by the user first (item 8), then run in a Worker
 * with exactly its manifest's grants (policy off) or the stage's declaration.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { useTempTrustStore } from "../_rig/trust.ts";

useTempTrustStore();

const MANIFEST = `export const manifest = {
  name: "runner_cat",
  apiVersion: 1,
  kind: "runner",
  permissions: { read: ["{repoRoot}"], write: ["{repoRoot}"] },
  runner: { policies: ["off", "on", "hermetic"], commands: "cat SRC DST" },
};
`;

const MOD = `export function create() {
  return {
    run(req) {
      const [, src, dst] = req.cmd.trim().split(/\\s+/);
      const from = src.startsWith("/") ? src : req.cwd + "/" + src;
      Deno.writeTextFileSync(req.cwd + "/" + dst, Deno.readTextFileSync(from));
      return { exitCode: 0, violations: [] };
    },
  };
}
`;

function project(cmd: string): string {
  const repo = makeRepo();
  writeFiles(repo, {
    "tools/runner_cat/manifest.ts": MANIFEST,
    "tools/runner_cat/mod.ts": MOD,
    ".dvc/cairn.yaml": "plugins:\n  - tools/runner_cat\n",
    "in.txt": "input\n",
    "dvc.yaml": [
      "stages:",
      "  first:",
      "    cmd: echo first > first.txt",
      "    outs: [first.txt]",
      "  c:",
      `    cmd: ${cmd}`,
      "    deps: [in.txt, first.txt]",
      "    outs: [out.txt]",
      "    meta: {sandbox: {runner: cat}}",
      "",
    ].join("\n"),
  });
  git(["add", "-A"], repo);
  git(["commit", "-qm", "pipeline"], repo);
  return repo;
}

interface Listed {
  name: string;
  builtin: boolean;
  runsIn: string;
  permissions: Record<string, string[]>;
  confinement: Record<string, string>;
  trust: string;
}

Deno.test("runners list: built-in runners claim no permissions, and say what confines a stage", () => {
  const repo = project("cat in.txt out.txt");
  try {
    const r = cairn(["runners", "list", "--json"], { cwd: repo });
    assertEquals(r.code, 0, r.stderr);
    const list = JSON.parse(r.stdout) as Listed[];
    const shell = list.find((p) => p.name === "runner_shell")!;
    const deno = list.find((p) => p.name === "runner_deno")!;
    for (const b of [shell, deno]) {
      assertEquals(b.runsIn, "cairn");
      assertEquals(b.permissions, {});
      assertEquals(b.trust, "built-in");
    }
    assertMatch(shell.confinement.on, /bubblewrap/);
    assertMatch(shell.confinement.off, /^none/);
    assertMatch(deno.confinement.hermetic, /Deno's permissions/);
    const cat = list.find((p) => p.name === "runner_cat")!;
    assertEquals(cat.runsIn, "worker");
    assertEquals(cat.trust, "untrusted");
    assertMatch(
      cat.confinement.off,
      /Deno Worker with the permissions its manifest declares \(read: /,
    );
    const text = cairn(["runners", "list"], { cwd: repo }).stdout;
    assertMatch(
      text,
      /^shell .*\n(.*\n)* {2}runs in cairn's process \(built-in code\); a stage is confined by:\n {4}off: none/m,
    );
    assert(
      !/^shell[^]*?permissions:[^]*?^deno/m.test(text),
      "a built-in runner still claims permissions",
    );
  } finally {
    removeDir(repo);
  }
});

Deno.test("project runner: untrusted, the pipeline fails before any stage runs", () => {
  const repo = project("cat in.txt out.txt");
  try {
    const r = cairn(["repro"], { cwd: repo });
    assert(r.code !== 0);
    assertMatch(r.stderr, /project plugin 'runner_cat' .* is not trusted; it was not run/);
    assertMatch(r.stderr, /cairn plugins trust runner_cat/);
    assert(!exists(`${repo}/first.txt`), "a stage ran before the trust check");
    assert(!exists(`${repo}/out.txt`));
  } finally {
    removeDir(repo);
  }
});

Deno.test("project runner: trusted, it runs in a Worker with exactly its manifest's grants (policy off)", () => {
  const outside = Deno.makeTempFileSync({ prefix: "cairn-outside-" });
  Deno.writeTextFileSync(outside, "outside the repo\n");
  const repo = project(`cat ${outside} out.txt`);
  try {
    const t = cairn(["plugins", "trust", "cat"], { cwd: repo });
    assertEquals(t.code, 0, t.stderr);
    const r = cairn(["repro"], { cwd: repo });
    assert(r.code !== 0, `the runner read outside its manifest's grant\n${r.stdout}${r.stderr}`);
    assertMatch(r.stderr, /plugin 'runner_cat' was denied read access to '[^']*cairn-outside-/);
    assert(!exists(`${repo}/out.txt`));
    // Inside its grant it works.
    writeFiles(repo, {
      "dvc.yaml": Deno.readTextFileSync(`${repo}/dvc.yaml`).replace(outside, "in.txt"),
    });
    const ok = cairn(["repro"], { cwd: repo });
    assertEquals(ok.code, 0, ok.stderr);
    assertEquals(Deno.readTextFileSync(`${repo}/out.txt`), "input\n");
  } finally {
    removeDir(repo);
    Deno.removeSync(outside);
  }
});

Deno.test("deno runner: a stage cannot hand back a symlink (Deno refuses links without unscoped grants)", () => {
  const repo = makeRepo();
  const hidden = Deno.makeTempFileSync({ prefix: "cairn-hidden-" });
  try {
    Deno.writeTextFileSync(hidden, "hidden\n");
    writeFiles(repo, {
      "mk.ts": `Deno.symlinkSync(${JSON.stringify(hidden)}, "out.txt");\n`,
      "dvc.yaml": [
        "stages:",
        "  s:",
        "    cmd: deno run mk.ts",
        "    deps: [mk.ts]",
        "    outs: [out.txt]",
        "",
      ].join("\n"),
    });
    git(["add", "-A"], repo);
    git(["commit", "-qm", "pipeline"], repo);
    for (const policy of ["on", "hermetic"]) {
      const r = cairn(["repro", `--sandbox=${policy}`], { cwd: repo });
      assert(r.code !== 0, `${policy}: ${r.stdout}${r.stderr}`);
      assertMatch(r.stderr, /symlinkSync\(\) requires unscoped --allow-read and --allow-write/);
      assert(!exists(`${repo}/out.txt`), `${policy}: the stage made a link`);
    }
  } finally {
    removeDir(repo);
    Deno.removeSync(hidden);
  }
});
