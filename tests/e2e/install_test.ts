/**
 * `deno task install` (scripts/install.ts) for real: the installed `cairn`
 * carries the "cairn" permission set (init runs git, add hashes in Workers)
 * and needs no `deno` on PATH (the pinned Deno may live only in .tools/).
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import { exists, git, readText, removeDir, ROOT, writeFiles } from "../_rig/rig.ts";

const dec = new TextDecoder();

Deno.test("install: cairn on PATH has cairn's permissions and finds its own Deno", () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-install-" });
  const repo = Deno.makeTempDirSync({ prefix: "cairn-installed-" });
  try {
    const installed = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", join(ROOT, "scripts", "install.ts")],
      env: { DENO_INSTALL_ROOT: root },
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    assertEquals(installed.code, 0, dec.decode(installed.stderr));
    const launcher = join(root, "bin", "cairn");
    assertMatch(readText(root, "bin/cairn"), /-P=cairn --config /);

    // PATH: the install's bin dir and a system dir holding git but no deno.
    const sys = join(root, "sys");
    Deno.mkdirSync(sys);
    Deno.symlinkSync(gitPath(), join(sys, "git"));
    const PATH = `${join(root, "bin")}:${sys}`;
    assert(!exists(join(sys, "deno")));
    const cairn = (args: string[]) => {
      const r = new Deno.Command("cairn", {
        args,
        cwd: repo,
        env: { PATH },
        stdout: "piped",
        stderr: "piped",
      }).outputSync();
      return { code: r.code, stdout: dec.decode(r.stdout), stderr: dec.decode(r.stderr) };
    };
    // Found through PATH, as a user runs it.
    assert(exists(launcher));
    git(["init", "-q", "-b", "main"], repo);
    const init = cairn(["init"]);
    assertEquals(init.code, 0, init.stderr);
    assertMatch(init.stdout, /Initialized DVC repository/);
    assert(exists(join(repo, ".dvc", "config")));
    assertMatch(git(["status", "--porcelain"], repo), /A {2}\.dvc\/config/);
    writeFiles(repo, { "data.txt": "hello\n" });
    const add = cairn(["add", "data.txt"]);
    assertEquals(add.code, 0, add.stderr);
    assertMatch(readText(repo, "data.txt.dvc"), /md5: b1946ac92492d2347c6235b4d2611184/);
  } finally {
    removeDir(root);
    removeDir(repo);
  }
});

function gitPath(): string {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    if (dir && exists(join(dir, "git"))) return join(dir, "git");
  }
  throw new Error("git not found on PATH");
}
