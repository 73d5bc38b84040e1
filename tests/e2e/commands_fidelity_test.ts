/**
 * Commands DVC has that cairn lacked (issue 15): install + git-hook, du.
 * Expected texts are what a real DVC 3.64 printed for the same steps.
 */
import { join } from "node:path";
import { assertEquals, assertMatch } from "../_rig/assert.ts";
import {
  CAIRN,
  cairn,
  cairnOk,
  git,
  makeRepo,
  readText,
  removeDir,
  run,
  writeFiles,
} from "../_rig/rig.ts";
import { uncachedDirStage } from "./_uncached_dir_stage.ts";

Deno.test("install writes DVC's three hooks; they run checkout/status/push through git", () => {
  const dir = makeRepo();
  const bin = Deno.makeTempDirSync({ prefix: "cairn-bin-" });
  try {
    Deno.writeTextFileSync(join(bin, "cairn"), `#!/bin/sh\nexec '${CAIRN}' "$@"\n`);
    Deno.chmodSync(join(bin, "cairn"), 0o755);
    const env = { PATH: `${bin}:${Deno.env.get("PATH")}` };
    cairnOk(["install"], { cwd: dir });
    for (const hook of ["post-checkout", "pre-commit", "pre-push"]) {
      const text = readText(dir, `.git/hooks/${hook}`);
      assertMatch(text, new RegExp(`^#!/\\S*sh\\nexec cairn git-hook ${hook} \\$@\\n$`));
      assertEquals(Deno.statSync(join(dir, ".git/hooks", hook)).mode! & 0o777, 0o777);
    }
    const again = cairn(["install"], { cwd: dir });
    assertEquals(again.code, 1);
    assertEquals(
      again.stderr,
      "ERROR: failed to install DVC Git hooks - Hook 'post-checkout' already exists. " +
        "Please refer to <https://man.dvc.org/install> for more info.\n",
    );
    // post-checkout: switching branches checks the data out
    Deno.writeTextFileSync(join(dir, "data.txt"), "v1\n");
    cairnOk(["add", "-q", "data.txt"], { cwd: dir });
    git(["add", "-A"], dir);
    const commit = run("git", ["commit", "-qm", "v1"], { cwd: dir, env });
    assertEquals(commit.code, 0, commit.stderr); // pre-commit ran `status`
    assertEquals(run("git", ["checkout", "-q", "-b", "other"], { cwd: dir, env }).code, 0);
    Deno.chmodSync(join(dir, "data.txt"), 0o644);
    Deno.writeTextFileSync(join(dir, "data.txt"), "v2\n");
    cairnOk(["add", "-q", "data.txt"], { cwd: dir });
    run("git", ["commit", "-qam", "v2"], { cwd: dir, env });
    const back = run("git", ["checkout", "main"], { cwd: dir, env });
    assertEquals(back.code, 0, back.stderr);
    assertEquals(readText(dir, "data.txt"), "v1\n");
    assertMatch(back.stdout + back.stderr, /M {7}data\.txt/);
    // a file checkout (flag 0) does not run the hook's checkout
    const hook = cairnOk(["git-hook", "post-checkout", "a", "b", "0"], { cwd: dir });
    assertEquals(hook.stdout, "");
  } finally {
    removeDir(dir);
    removeDir(bin);
  }
});

Deno.test("du: DVC's table of sizes (naturalsize, two spaces), metafiles hidden, -s, a file, --rev", () => {
  const dir = makeRepo();
  try {
    Deno.mkdirSync(join(dir, "data/sub"), { recursive: true });
    Deno.writeTextFileSync(join(dir, "data/a.txt"), "hello\n");
    Deno.writeFileSync(join(dir, "data/sub/b.bin"), new Uint8Array(2000));
    Deno.writeTextFileSync(join(dir, "f.txt"), "x\n");
    cairnOk(["add", "-q", "data"], { cwd: dir });
    const rows = (args: string[]) => cairnOk(["du", ...args], { cwd: dir }).stdout;
    // same sizes and layout as DVC 3.64 (its row order follows the file system's)
    assertEquals(
      rows(["."]).split("\n").sort().join("\n"),
      ["", "1.96k  data", "1.97k", "2      f.txt", "6      .gitignore"].join("\n"),
    );
    assertEquals(rows(["-s", "."]), "1.97k\n");
    assertEquals(rows([".", "data/a.txt"]), "6  data/a.txt\n");
    assertEquals(
      rows([".", "data"]).split("\n").sort().join("\n"),
      ["", "1.95k  data/sub", "1.96k  data", "6      data/a.txt"].join("\n"),
    );
    git(["add", "-A"], dir);
    git(["commit", "-qm", "data"], dir);
    Deno.writeTextFileSync(join(dir, "f.txt"), "longer now\n");
    assertMatch(rows(["--rev", "HEAD", "."]), /^2 {6}f\.txt$/m);
    assertMatch(rows(["."]), /^11 {5}f\.txt$/m);
    assertEquals(cairn(["du", ".", "nope"], { cwd: dir }).code, 255);
  } finally {
    removeDir(dir);
  }
});

Deno.test("completion -s bash completes commands, subcommands and options in a real bash", () => {
  const dir = makeRepo({ init: false });
  try {
    const script = cairnOk(["completion", "-s", "bash"], { cwd: dir }).stdout;
    Deno.writeTextFileSync(join(dir, "comp.bash"), script);
    const complete = (...words: string[]) =>
      run("bash", [
        "-c",
        `source comp.bash; COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); ` +
        `COMP_CWORD=${words.length - 1}; _cairn; echo "\${COMPREPLY[@]}"`,
      ], { cwd: dir }).stdout.trim();
    assertEquals(complete("cairn", "sta"), "status stage");
    assertEquals(complete("cairn", "stage", "a"), "add");
    assertEquals(complete("cairn", "checkout", "--re"), "--recursive --relink");
    assertMatch(complete("cairn", "exp", "run", "--"), /(^| )--set-param( |$)/);
    assertMatch(cairnOk(["completion", "-s", "zsh"], { cwd: dir }).stdout, /^#compdef cairn\n/);
    assertEquals(cairn(["completion", "-s", "fish"], { cwd: dir }).code, 254);
  } finally {
    removeDir(dir);
  }
});

Deno.test("ls-url lists a local directory as DVC 3.64 does (files, then dirs; -R; --size; a file by its path)", () => {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-lsurl-" });
  try {
    Deno.mkdirSync(join(dir, "data/sub"), { recursive: true });
    Deno.writeTextFileSync(join(dir, "data/a.txt"), "hello\n");
    Deno.writeFileSync(join(dir, "data/sub/b.bin"), new Uint8Array(2000));
    const ls = (...args: string[]) => cairnOk(["ls-url", ...args], { cwd: dir }).stdout;
    assertEquals(ls("data"), "a.txt\nsub\n");
    assertEquals(ls("data", "-R"), "a.txt\nsub/b.bin\n");
    assertEquals(ls("-R", "--size", "data"), "    6  a.txt\n1.95k  sub/b.bin\n");
    assertEquals(ls("data/a.txt"), `${join(dir, "data/a.txt")}\n`);
    assertEquals(cairnOk(["list-url", "data", "-R"], { cwd: dir }).stdout, "a.txt\nsub/b.bin\n");
    assertEquals(JSON.parse(ls("--json", "-R", "data")), [
      { path: "a.txt", isdir: false, size: 6 },
      { path: "sub/b.bin", isdir: false, size: 2000 },
    ]);
    const missing = cairn(["ls-url", "nope"], { cwd: dir });
    assertEquals(missing.code, 255);
    assertMatch(missing.stderr, /^ERROR: The path 'nope' does not exist: /);
  } finally {
    removeDir(dir);
  }
});

Deno.test("cache migrate re-hashes DVC 2.x objects into files/md5 as DVC 3.64 did", () => {
  const dir = makeRepo();
  try {
    assertEquals(
      cairnOk(["cache", "migrate"], { cwd: dir }).stdout,
      "Migrated 0 files to DVC 3.0 cache location.\n",
    );
    // a 2.x object: stored under the md5 of its dos2unix'd content ("a\nb\n")
    const legacy = join(dir, ".dvc/cache/dd/8c6a395b5dd36c56d23275028f526c");
    Deno.mkdirSync(join(dir, ".dvc/cache/dd"), { recursive: true });
    Deno.writeTextFileSync(legacy, "a\r\nb\n");
    assertEquals(
      cairnOk(["cache", "migrate", "--dry"], { cwd: dir }).stdout,
      "1 files will be re-hashed and migrated to the DVC 3.0 cache location.\n",
    );
    assertEquals(
      cairnOk(["cache", "migrate"], { cwd: dir }).stdout,
      "Migrated 1 files to DVC 3.0 cache location.\n",
    );
    // the same path DVC 3.64 wrote for this object; the 2.x copy stays
    const migrated = join(dir, ".dvc/cache/files/md5/d6/44a230f3ef20b00879aaceb61790af");
    assertEquals(Deno.readTextFileSync(migrated), "a\r\nb\n");
    assertEquals(Deno.statSync(migrated).mode! & 0o777, 0o444);
    assertEquals(Deno.readTextFileSync(legacy), "a\r\nb\n");
    // --dvc-files: a 2.x entry (no `hash: md5`, md5 of the dos2unix'd content) is committed
    // again with plain md5; outputs as DVC 3.64 printed them in a twin repository
    writeFiles(dir, {
      "a.txt": "hello\r\n",
      ".gitignore": "/a.txt\n",
      "a.txt.dvc": "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  path: a.txt\n",
    });
    assertEquals(
      cairnOk(["cache", "migrate", "--dvc-files", "--dry"], { cwd: dir }).stdout
        .replace(/^.*\n/, ""), // the object count, checked above
      "Entries in following DVC files will be migrated to the 3.0 format:\n\ta.txt.dvc\n",
    );
    const rewritten = cairnOk(["cache", "migrate", "--dvc-files"], { cwd: dir }).stdout;
    assertEquals(
      rewritten.replace(/^.*\n/, ""),
      "Updating DVC file 'a.txt.dvc'\n" +
        "\nTo track the changes with git, run:\n\n\tgit add a.txt.dvc\n\n" +
        "To enable auto staging, run:\n\n\tcairn config core.autostage true\n",
    );
    assertEquals(
      Deno.readTextFileSync(join(dir, "a.txt.dvc")),
      "outs:\n- md5: af5597c29467a96523a70787c319f4db\n  size: 7\n  path: a.txt\n  hash: md5\n",
    );
    assertEquals(
      Deno.readTextFileSync(join(dir, ".dvc/cache/files/md5/af/5597c29467a96523a70787c319f4db")),
      "hello\r\n",
    );
    assertEquals(
      cairnOk(["cache", "migrate", "--dvc-files"], { cwd: dir }).stdout,
      "Migrated 0 files to DVC 3.0 cache location.\n" +
        "No DVC files in the repo to migrate to the 3.0 format.\n",
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("cache migrate --dvc-files rewrites a 2.x dvc.lock entry as DVC 3.64 did", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, {
      "in.txt": "x\r\n",
      "out.txt": "y\n",
      ".gitignore": "/out.txt\n",
      "dvc.yaml": "stages:\n  s:\n    cmd: cp in.txt out.txt\n    deps:\n    - in.txt\n" +
        "    outs:\n    - out.txt\n",
      "dvc.lock": "schema: '2.0'\nstages:\n  s:\n    cmd: cp in.txt out.txt\n    deps:\n" +
        "    - path: in.txt\n      md5: 401b30e3b8b5d629635a5c613cdb7919\n      size: 3\n" +
        "    outs:\n    - path: out.txt\n      md5: 009520053b00386d1173f3988c55d192\n" +
        "      size: 2\n",
    });
    assertEquals(
      cairnOk(["cache", "migrate", "--dvc-files"], { cwd: dir }).stdout,
      "Migrated 0 files to DVC 3.0 cache location.\nUpdating lock file 'dvc.lock'\n" +
        "\nTo track the changes with git, run:\n\n\tgit add dvc.lock\n\n" +
        "To enable auto staging, run:\n\n\tcairn config core.autostage true\n",
    );
    assertEquals(
      readText(dir, "dvc.lock"),
      "schema: '2.0'\nstages:\n  s:\n    cmd: cp in.txt out.txt\n    deps:\n" +
        "    - path: in.txt\n      hash: md5\n      md5: cb30fc9cec9a2d04ef49b22e2066c264\n" +
        "      size: 3\n    outs:\n    - path: out.txt\n      hash: md5\n" +
        "      md5: 009520053b00386d1173f3988c55d192\n      size: 2\n",
    );
  } finally {
    removeDir(dir);
  }
});

Deno.test("du on example-get-started's shape: outputs not at hand count with their recorded size; dvc.lock shown, dvc.yaml hidden", () => {
  const dir = makeRepo();
  try {
    uncachedDirStage(dir, {
      name: "f",
      out: "feat",
      cmd: "mkdir feat && head -c 3000 /dev/zero > feat/x.bin",
    });
    const rows = cairnOk(["du", "."], { cwd: dir }).stdout.split("\n").filter(Boolean);
    assertEquals(rows.includes("2.93k  feat"), true, rows.join("\n"));
    assertEquals(rows.some((r) => r.endsWith("  dvc.lock")), true, rows.join("\n"));
    assertEquals(rows.some((r) => r.endsWith("  dvc.yaml")), false, rows.join("\n"));
    assertEquals(cairnOk(["stage", "list", "--name-only"], { cwd: dir }).stdout, "f\n");
    assertEquals(cairnOk(["stage", "list", "--names-only"], { cwd: dir }).stdout, "f\n");
  } finally {
    removeDir(dir);
  }
});
