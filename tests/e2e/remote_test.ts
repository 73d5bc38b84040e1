/**
 * Remotes end to end, against what DVC 3 wrote (fixtures/dvc3/remote_layout):
 * the same commands give the same config text, status, messages and the same
 * remote tree; and a remote DVC pushed can be pulled by cairn.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { join } from "node:path";
import {
  cairn,
  cairnOk,
  copyFixtureRepo,
  FIXTURES,
  makeRepo,
  removeDir,
  writeFiles,
} from "../_rig/rig.ts";

const LAYOUT = join(FIXTURES, "remote_layout");

/** pipeline_repo inside a wrapper dir, so `../remote` stays in the test's own folder. */
function fixtureRepo(): { wrap: string; repo: string } {
  const wrap = Deno.makeTempDirSync({ prefix: "cairn-remote-e2e-" });
  const dest = copyFixtureRepo("pipeline_repo/repo");
  Deno.renameSync(dest, join(wrap, "repo"));
  return { wrap, repo: join(wrap, "repo") };
}

/** `md5  size  path` lines of a remote tree, as the fixture lists it. */
function listing(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel ? join(root, rel) : root)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort();
}

function fixtureListing(name: string): string[] {
  return Deno.readTextFileSync(join(LAYOUT, name)).trim().split("\n")
    .map((l) => l.trim().split(/\s+/)[2]).sort();
}

Deno.test("remote add / status -c / push / push --run-cache as DVC does", () => {
  const { wrap, repo } = fixtureRepo();
  try {
    const add = cairnOk(["remote", "add", "-d", "local", "../remote"], {
      cwd: repo,
      subprocess: true,
    });
    assertEquals(add.stdout.trim(), "Setting 'local' as a default remote.");
    assertEquals(
      Deno.readTextFileSync(join(repo, ".dvc", "config")),
      Deno.readTextFileSync(join(LAYOUT, "config")),
    );

    const before = cairnOk(["status", "--cloud", "--json"], { cwd: repo, subprocess: true });
    assertEquals(
      JSON.parse(before.stdout),
      JSON.parse(Deno.readTextFileSync(join(LAYOUT, "expected", "status_cloud_before.json"))),
    );
    const lines = (t: string) => t.split("\n").filter((l) => l.trim()).sort();
    assertEquals(
      lines(cairnOk(["status", "--cloud"], { cwd: repo, subprocess: true }).stdout),
      lines(Deno.readTextFileSync(join(LAYOUT, "expected", "status_cloud_before.txt"))),
    );

    const push = cairnOk(["push"], { cwd: repo, subprocess: true });
    assertEquals(push.stdout.trim(), "14 files pushed");
    const remote = join(wrap, "remote");
    assertEquals(listing(remote), fixtureListing("remote_after_push.txt"));
    // Same bytes as DVC's remote.
    for (const rel of listing(remote)) {
      assertEquals(
        Deno.readFileSync(join(remote, rel)),
        Deno.readFileSync(join(LAYOUT, "remote", rel)),
        rel,
      );
    }
    assertEquals(
      cairnOk(["status", "--cloud", "--json"], { cwd: repo, subprocess: true }).stdout.trim(),
      "{}",
    );
    assertEquals(
      cairnOk(["status", "--cloud"], { cwd: repo, subprocess: true }).stdout.trim(),
      "Cache and remote 'local' are in sync.",
    );
    assertEquals(
      cairnOk(["push"], { cwd: repo, subprocess: true }).stdout.trim(),
      "Everything is up to date.",
    );
    assertEquals(
      cairnOk(["push", "--run-cache"], { cwd: repo, subprocess: true }).stdout.trim(),
      "10 files pushed",
    );
    assertEquals(listing(remote), fixtureListing("remote_after_push_run_cache.txt"));
  } finally {
    removeDir(wrap);
  }
});

Deno.test("remote config edits write DVC's text", () => {
  const { wrap, repo } = fixtureRepo();
  try {
    cairnOk(["remote", "add", "-d", "local", "../remote"], { cwd: repo });
    cairnOk(["remote", "add", "backup", "s3://example-bucket/dvc-store"], { cwd: repo });
    cairnOk(["remote", "modify", "backup", "region", "us-east-1"], { cwd: repo });
    cairnOk(["config", "cache.type", "reflink,copy"], { cwd: repo });
    cairnOk(["config", "core.autostage", "true"], { cwd: repo });
    const add = cairnOk(["remote", "add", "-d", "second", "../second-remote"], { cwd: repo });
    assertEquals(add.stdout.trim(), "Setting 'second' as a default remote.");
    assertEquals(cairnOk(["remote", "default"], { cwd: repo }).stdout.trim(), "second");
    assertEquals(
      Deno.readTextFileSync(join(repo, ".dvc", "config")),
      Deno.readTextFileSync(join(LAYOUT, "config_after_edits")),
    );
    assertEquals(cairnOk(["remote", "list"], { cwd: repo }).stdout.trim().split("\n"), [
      // DVC 3.64: name<TAB>url<TAB>(default) printed through rich (tabs expanded)
      "local   ../../remote",
      "backup  s3://example-bucket/dvc-store",
      "second  ../../second-remote     (default)",
    ]);

    // Secrets go to config.local with --local.
    cairnOk(["remote", "modify", "--local", "backup", "secret_access_key", "xyz"], { cwd: repo });
    assertMatch(
      Deno.readTextFileSync(join(repo, ".dvc", "config.local")),
      /secret_access_key = xyz/,
    );
    assert(!Deno.readTextFileSync(join(repo, ".dvc", "config")).includes("xyz"));

    // rename follows the default; remove drops it.
    cairnOk(["remote", "rename", "second", "third"], { cwd: repo });
    assertEquals(cairnOk(["remote", "default"], { cwd: repo }).stdout.trim(), "third");
    cairnOk(["remote", "remove", "third"], { cwd: repo });
    const none = cairn(["remote", "default"], { cwd: repo });
    assertEquals([none.code, none.stdout.trim()], [1, "No default remote set"]);

    const dup = cairn(["remote", "add", "local", "/x"], { cwd: repo });
    assertEquals(dup.code, 251);
    assertMatch(dup.stderr, /remote 'local' already exists\. Use `-f\|--force` to overwrite it\./);
    const unknown = cairn(["remote", "modify", "nope", "url", "/x"], { cwd: repo });
    assertMatch(unknown.stderr, /remote 'nope' doesn't exist/);
  } finally {
    removeDir(wrap);
  }
});

Deno.test("pull from a remote DVC pushed, and clear errors for bad remotes", () => {
  const { wrap, repo } = fixtureRepo();
  try {
    // DVC's own remote tree (fixture), used as the remote.
    Deno.mkdirSync(join(wrap, "dvc-remote"));
    new Deno.Command("cp", {
      args: ["-a", join(LAYOUT, "remote") + "/.", join(wrap, "dvc-remote")],
    }).outputSync();
    cairnOk(["remote", "add", "-d", "dvc", "../dvc-remote"], { cwd: repo });
    removeDir(join(repo, ".dvc", "cache"));
    removeDir(join(repo, "data", "prepared"));
    Deno.removeSync(join(repo, "model.json"));
    const before = Deno.readTextFileSync(join(LAYOUT, "remote_after_push.txt"));
    const pull = cairnOk(["pull"], { cwd: repo });
    assertMatch(pull.stdout, /14 files fetched/);
    assertMatch(pull.stdout, /^A {7}data\/prepared\/$/m);
    assert(Deno.statSync(join(repo, "model.json")).isFile);
    assertEquals(cairnOk(["status"], { cwd: repo }).stdout.trim().length > 0, true);
    assertEquals(Deno.readTextFileSync(join(LAYOUT, "remote_after_push.txt")), before);

    // Run-cache entries come back too.
    removeDir(join(repo, ".dvc", "cache", "runs"));
    assertEquals(
      cairnOk(["fetch", "--run-cache"], { cwd: repo }).stdout.trim(),
      "10 files fetched",
    );

    const noRemote = cairn(["push", "-r", "nope"], { cwd: repo });
    assertEquals(noRemote.code, 251); // DVC's RemoteNotFoundError is a ConfigError
    assertMatch(
      noRemote.stderr,
      /^ERROR: configuration error - config file error: remote 'nope' doesn't exist$/m,
    );
    cairnOk(["remote", "add", "gcs", "gs://bucket/x"], { cwd: repo });
    const scheme = cairn(["push", "-r", "gcs"], { cwd: repo });
    assertEquals(scheme.code, 1);
    assertMatch(scheme.stderr, /no remote plugin handles 'gs:\/\/'/);
    cairnOk(["remote", "add", "down", "ssh://127.0.0.1:1/srv"], { cwd: repo });
    const down = cairn(["push", "-r", "down"], { cwd: repo });
    assertEquals(down.code, 1);
    assertMatch(down.stderr, /cannot reach ssh server 127\.0\.0\.1:1/);
    cairnOk(["remote", "default", "--unset"], { cwd: repo });
    const unset = cairn(["push"], { cwd: repo });
    assertEquals(unset.code, 251); // DVC's NoRemoteError is a ConfigError
    assertMatch(
      unset.stderr,
      /^ERROR: configuration error - config file error: no remote specified/m,
    );
  } finally {
    removeDir(wrap);
  }
});

Deno.test("per-output remote: and push: false route and skip objects", () => {
  const repo = makeRepo();
  const wrap = Deno.makeTempDirSync({ prefix: "cairn-remotes-" });
  try {
    writeFiles(repo, {
      "dvc.yaml": `stages:
  make:
    cmd: echo a > a.txt && echo b > b.txt && echo c > c.txt
    outs:
      - a.txt
      - b.txt:
          remote: other
      - c.txt:
          push: false
`,
    });
    cairnOk(["repro", "-q"], { cwd: repo });
    cairnOk(["remote", "add", "-d", "main", join(wrap, "main")], { cwd: repo });
    cairnOk(["remote", "add", "other", join(wrap, "other")], { cwd: repo });
    assertEquals(JSON.parse(cairnOk(["status", "-c", "--json"], { cwd: repo }).stdout), {
      "a.txt": "new",
      "b.txt": "new",
      "c.txt": "new",
    });
    assertEquals(cairnOk(["push"], { cwd: repo }).stdout.trim(), "2 files pushed");
    assertEquals(listing(join(wrap, "main")).length, 1);
    assertEquals(listing(join(wrap, "other")).length, 1);
    // b.txt is compared with its own remote; c.txt is never pushed.
    assertEquals(JSON.parse(cairnOk(["status", "-c", "--json"], { cwd: repo }).stdout), {
      "c.txt": "new",
    });
    removeDir(join(repo, ".dvc", "cache"));
    Deno.removeSync(join(repo, "a.txt"));
    Deno.removeSync(join(repo, "b.txt"));
    const pull = cairn(["pull"], { cwd: repo });
    // c.txt is nowhere but still in the workspace: DVC 3.64 warns (md5 only) and exits 0
    assertEquals(pull.code, 0, pull.stderr);
    assertMatch(pull.stderr, /Missing cache files:\nmd5: [0-9a-f]{32}\n/);
    assertEquals(Deno.readTextFileSync(join(repo, "b.txt")), "b\n");
    assertEquals(Deno.readTextFileSync(join(repo, "a.txt")), "a\n");
  } finally {
    removeDir(repo);
    removeDir(wrap);
  }
});

Deno.test("push names a directory's file missing from the cache (listings expanded by the transfer, not up front)", () => {
  const repo = makeRepo();
  const wrap = Deno.makeTempDirSync({ prefix: "cairn-remotes-" });
  try {
    writeFiles(repo, { "data/a.txt": "a\n", "data/sub/b.txt": "b\n", "data/c.txt": "c\n" });
    cairnOk(["add", "-q", "data"], { cwd: repo });
    cairnOk(["remote", "add", "-d", "main", join(wrap, "main")], { cwd: repo });
    // b.txt's object goes missing from the cache
    const bMd5 = "3b5d5c3712955042212316173ccf37be"; // md5 of "b\n"
    const obj = join(repo, ".dvc", "cache", "files", "md5", bMd5.slice(0, 2), bMd5.slice(2));
    Deno.chmodSync(obj, 0o644);
    Deno.removeSync(obj);
    const r = cairn(["push"], { cwd: repo });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, new RegExp(`name: data/sub/b\\.txt, md5: ${bMd5}`));
    // the other files went up; the listing did not (not all of its files are there)
    assertEquals(listing(join(wrap, "main")).length, 2);
  } finally {
    removeDir(repo);
    removeDir(wrap);
  }
});
