/**
 * `import`, `get`, `update` end to end against real local git/DVC source
 * repos (dvc-spec §17, §2.4): the .dvc bytes, the data, frozen behaviour,
 * updates after new commits in the source, fetch/pull from the source, and
 * bad input that must write nothing.
 */
import { createHash } from "node:crypto";
import { join } from "node:path";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { remoteCase, removeTree, testOptions } from "../plugins/_remotes.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import {
  cairn,
  cairnOk,
  exists,
  git,
  makeRepo,
  readText,
  removeDir,
  writeFiles,
} from "../_rig/rig.ts";

const md5 = (s: string) => createHash("md5").update(s).digest("hex");

/** Source repo: `foo` and `data/` tracked by DVC and pushed to `../store`, `g.txt` in git. */
function sourceRepo(wrap: string): string {
  const src = join(wrap, "src");
  Deno.mkdirSync(src);
  git(["init", "-q", "-b", "main"], src);
  cairnOk(["init"], { cwd: src });
  writeFiles(src, {
    foo: "foo\n",
    "data/a.txt": "hello\n",
    "data/b.txt": "world\n",
    "g.txt": "g\n",
  });
  cairnOk(["add", "foo", "data"], { cwd: src });
  cairnOk(["remote", "add", "-d", "store", "../store"], { cwd: src });
  git(["add", "-A"], src);
  git(["commit", "-qm", "data"], src);
  cairnOk(["push"], { cwd: src });
  return src;
}

function setup(): { wrap: string; src: string; dst: string } {
  const wrap = Deno.makeTempDirSync({ prefix: "cairn-import-e2e-" });
  const src = sourceRepo(wrap);
  const dst = makeRepo();
  Deno.renameSync(dst, join(wrap, "dst"));
  return { wrap, src, dst: join(wrap, "dst") };
}

const head = (dir: string) => git(["rev-parse", "HEAD"], dir).trim();

/** Every file under `dir` except .git (to prove nothing was written). */
function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel ? join(dir, rel) : dir)) {
      if (e.name === ".git" || e.name === "tmp") continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort();
}

Deno.test("import: DVC-tracked file, .dvc bytes and stage md5 as DVC writes them", () => {
  const { wrap, src, dst } = setup();
  try {
    const r = cairnOk(["import", src, "foo"], { cwd: dst, subprocess: true });
    assertMatch(r.stdout + r.stderr, /Importing 'foo \(.*src\)' -> 'foo'/);
    const lock = head(src);
    // §2.4: canonical JSON without frozen/size, keys sorted.
    const stageMd5 = md5(
      `{"deps": [{"path": "foo", "repo": {"rev_lock": "${lock}", "url": "${src}"}}], ` +
        `"outs": [{"hash": "md5", "md5": "d3b07384d113edec49eaa6238ad5ff00", "path": "foo"}]}`,
    );
    assertEquals(
      readText(dst, "foo.dvc"),
      `md5: ${stageMd5}\nfrozen: true\ndeps:\n- path: foo\n  repo:\n    url: ${src}\n` +
        `    rev_lock: ${lock}\nouts:\n- md5: d3b07384d113edec49eaa6238ad5ff00\n  size: 4\n` +
        `  hash: md5\n  path: foo\n`,
    );
    assertEquals(readText(dst, "foo"), "foo\n");
    assertEquals(readText(dst, ".gitignore"), "/foo\n");
    assert(exists(join(dst, ".dvc/cache/files/md5/d3/b07384d113edec49eaa6238ad5ff00")));
    // the stage is clean and frozen: repro does nothing
    assertEquals(cairnOk(["status", "--json"], { cwd: dst, subprocess: true }).stdout.trim(), "{}");
    cairnOk(["repro", "foo.dvc"], { cwd: dst, subprocess: true });
    assertEquals(readText(dst, "foo"), "foo\n");
  } finally {
    removeDir(wrap);
  }
});

Deno.test("import: directory from the source's remote (file:// URL, --rev, -o)", () => {
  const { wrap, src, dst } = setup();
  try {
    removeDir(join(src, ".dvc", "cache")); // only the remote has the data now
    const url = `file://${src}`;
    cairnOk(["import", url, "data", "--rev", "main", "-o", "sub/d"], { cwd: dst });
    const lock = head(src);
    const text = readText(dst, "sub/d.dvc");
    assertMatch(
      text,
      new RegExp(
        `^md5: [0-9a-f]{32}\nfrozen: true\ndeps:\n- path: data\n  repo:\n    url: file://${src}\n` +
          `    rev: main\n    rev_lock: ${lock}\nouts:\n- md5: [0-9a-f]{32}\\.dir\n  size: 12\n` +
          `  nfiles: 2\n  hash: md5\n  path: d\n$`,
      ),
    );
    assertEquals(readText(dst, "sub/d/a.txt"), "hello\n");
    assertEquals(readText(dst, "sub/d/b.txt"), "world\n");
    assertEquals(readText(dst, "sub/.gitignore"), "/d\n");
    assertEquals(cairnOk(["status", "--json"], { cwd: dst }).stdout.trim(), "{}");
  } finally {
    removeDir(wrap);
  }
});

Deno.test("import: git-tracked file; status shows update available; update re-downloads", () => {
  const { wrap, src, dst } = setup();
  try {
    cairnOk(["import", src, "g.txt"], { cwd: dst });
    cairnOk(["import", src, "foo"], { cwd: dst });
    assertEquals(readText(dst, "g.txt"), "g\n");
    assertMatch(
      readText(dst, "g.txt.dvc"),
      /outs:\n- md5: [0-9a-f]{32}\n {2}size: 2\n {2}hash: md5\n/,
    );
    assertEquals(readText(dst, ".gitignore"), "/g.txt\n/foo\n");
    const oldLock = head(src);

    writeFiles(src, { foo: "foo2\n" });
    cairnOk(["add", "foo"], { cwd: src });
    git(["commit", "-qam", "foo2"], src);
    cairnOk(["push"], { cwd: src });
    const st = JSON.parse(cairnOk(["status", "--json"], { cwd: dst }).stdout);
    assertEquals(st["foo.dvc"], [{ "changed deps": { [`foo (${src})`]: "update available" } }]);
    assertMatch(
      cairnOk(["status"], { cwd: dst }).stdout,
      /foo\.dvc:\n\tchanged deps:\n\t\tupdate available: +foo \(/,
    );
    // frozen: repro does not re-import
    cairnOk(["repro", "foo.dvc"], { cwd: dst });
    assertEquals(readText(dst, "foo"), "foo\n");

    cairnOk(["update", "foo.dvc"], { cwd: dst });
    assertEquals(readText(dst, "foo"), "foo2\n");
    const text = readText(dst, "foo.dvc");
    assert(text.includes(`rev_lock: ${head(src)}\n`));
    assert(!text.includes(oldLock));
    assert(text.includes("- md5: b5b197d823fc1db88019cc9f786469a9\n  size: 5\n"));
    assertEquals(
      JSON.parse(cairnOk(["status", "--json"], { cwd: dst }).stdout)["foo.dvc"],
      undefined,
    );
    // nothing moved: a second update is a no-op
    const again = cairnOk(["update", "foo.dvc"], { cwd: dst });
    assertMatch(again.stdout + again.stderr, /didn't change/);

    // update --rev pins a revision
    cairnOk(["update", "foo.dvc", "--rev", oldLock], { cwd: dst });
    assertEquals(readText(dst, "foo"), "foo\n");
    // DVC applies the new dump onto the old file (apply_diff): the new `rev` key goes last
    assert(readText(dst, "foo.dvc").includes(`    rev_lock: ${oldLock}\n    rev: ${oldLock}\n`));

    // -R: every import under a directory; g.txt's lock moves to the source's HEAD
    assertMatch(cairnOk(["status"], { cwd: dst }).stdout, /g\.txt\.dvc:\n/);
    cairnOk(["update", "-R", "."], { cwd: dst });
    assert(readText(dst, "g.txt.dvc").includes(`rev_lock: ${head(src)}\n`));
    assertEquals(cairnOk(["status", "--json"], { cwd: dst }).stdout.trim(), "{}");
  } finally {
    removeDir(wrap);
  }
});

Deno.test("import: a file and a sub-directory inside a DVC-tracked directory", () => {
  const { wrap, src, dst } = setup();
  try {
    writeFiles(src, { "data/sub/c.txt": "c\n" });
    cairnOk(["add", "data"], { cwd: src });
    git(["commit", "-qam", "sub"], src);
    cairnOk(["push"], { cwd: src });
    removeDir(join(src, ".dvc", "cache"));
    cairnOk(["import", src, "data/a.txt"], { cwd: dst });
    assertEquals(readText(dst, "a.txt"), "hello\n");
    assert(
      readText(dst, "a.txt.dvc").includes(
        "outs:\n- md5: b1946ac92492d2347c6235b4d2611184\n  size: 6\n  hash: md5\n  path: a.txt\n",
      ),
    );
    cairnOk(["import", src, "data/sub", "-o", "s"], { cwd: dst });
    assertEquals(tree(join(dst, "s")), ["c.txt"]);
    assertMatch(readText(dst, "s.dvc"), /- md5: [0-9a-f]{32}\.dir\n {2}size: 2\n {2}nfiles: 1\n/);
    removeDir(join(dst, "s"));
    removeDir(join(dst, ".dvc", "cache"));
    cairnOk(["pull"], { cwd: dst });
    assertEquals(readText(dst, "s/c.txt"), "c\n");
    assertEquals(cairnOk(["status", "--json"], { cwd: dst }).stdout.trim(), "{}");
  } finally {
    removeDir(wrap);
  }
});

Deno.test("import --remote: DVC data from a named remote of the source", () => {
  const { wrap, src, dst } = setup();
  try {
    cairnOk(["remote", "add", "other", "../other"], { cwd: src });
    git(["commit", "-qam", "other remote"], src);
    cairnOk(["push", "-r", "other"], { cwd: src });
    removeDir(join(src, ".dvc", "cache"));
    removeDir(join(wrap, "store"));
    const before = tree(dst);
    const fail = cairn(["import", src, "foo"], { cwd: dst });
    assertEquals(fail.code, 1);
    assertMatch(fail.stderr, /neither in the cache of .* nor on its default remote/);
    assertEquals(tree(dst), before);
    cairnOk(["import", src, "foo", "--remote", "other"], { cwd: dst });
    assertEquals(readText(dst, "foo"), "foo\n");
    assert(readText(dst, "foo.dvc").includes(`    rev_lock: ${head(src)}\n    remote: other\n`));
    removeDir(join(dst, "foo"));
    removeDir(join(dst, ".dvc", "cache"));
    cairnOk(["pull"], { cwd: dst });
    assertEquals(readText(dst, "foo"), "foo\n");
  } finally {
    removeDir(wrap);
  }
});

Deno.test("import: pull fetches from the source repo, push skips imports", () => {
  const { wrap, src, dst } = setup();
  try {
    cairnOk(["import", src, "data"], { cwd: dst });
    cairnOk(["import", src, "g.txt"], { cwd: dst });
    cairnOk(["remote", "add", "-d", "mine", "../mine"], { cwd: dst });
    cairnOk(["push"], { cwd: dst });
    assert(!exists(join(wrap, "mine", "files")), "import outputs must not be pushed");
    removeDir(join(dst, "data"));
    removeDir(join(dst, "g.txt"));
    removeDir(join(dst, ".dvc", "cache"));
    removeDir(join(src, ".dvc", "cache")); // the source's remote serves the DVC data
    cairnOk(["pull"], { cwd: dst });
    assertEquals(readText(dst, "data/a.txt"), "hello\n");
    assertEquals(readText(dst, "g.txt"), "g\n");
    assertEquals(cairnOk(["status", "--json"], { cwd: dst }).stdout.trim(), "{}");
  } finally {
    removeDir(wrap);
  }
});

Deno.test("import --no-exec / --no-download", () => {
  const { wrap, src, dst } = setup();
  try {
    cairnOk(["import", src, "foo", "--no-exec"], { cwd: dst });
    assertEquals(
      readText(dst, "foo.dvc").replace(/^md5: [0-9a-f]{32}\n/, ""),
      `frozen: true\ndeps:\n- path: foo\n  repo:\n    url: ${src}\nouts:\n- hash: md5\n  path: foo\n`,
    );
    assert(!exists(join(dst, "foo")));
    cairnOk(["import", src, "data", "--no-download"], { cwd: dst });
    assert(readText(dst, "data.dvc").includes(`rev_lock: ${head(src)}\n`));
    assertMatch(
      readText(dst, "data.dvc"),
      /- md5: [0-9a-f]{32}\.dir\n {2}size: 12\n {2}nfiles: 2\n/,
    );
    assert(!exists(join(dst, "data")));
    cairnOk(["pull", "data.dvc"], { cwd: dst });
    assertEquals(readText(dst, "data/b.txt"), "world\n");
  } finally {
    removeDir(wrap);
  }
});

Deno.test("import: bad input exits 1 and writes nothing", () => {
  const { wrap, src, dst } = setup();
  try {
    const before = tree(dst);
    const missing = cairn(["import", src, "nope"], { cwd: dst });
    assertEquals(missing.code, 1);
    assertMatch(missing.stderr, /The path 'nope' does not exist in the target repository/);
    const badRev = cairn(["import", src, "foo", "--rev", "no-such-rev"], { cwd: dst });
    assertEquals(badRev.code, 1);
    assertMatch(badRev.stderr, /unknown Git revision 'no-such-rev'/);
    const notRepo = cairn(["import", join(wrap, "nowhere"), "foo"], { cwd: dst });
    assertEquals(notRepo.code, 1);
    assertEquals(tree(dst), before);

    cairnOk(["import", src, "foo"], { cwd: dst });
    const again = cairn(["import", src, "foo"], { cwd: dst });
    assertEquals(again.code, 1);
    assertMatch(again.stderr, /already exists/);
    cairnOk(["import", src, "foo", "--force"], { cwd: dst });
    assertEquals(readText(dst, "foo"), "foo\n");
    const upd = cairn(["update", "nothere.dvc"], { cwd: dst });
    assertEquals(upd.code, 1);
  } finally {
    removeDir(wrap);
  }
});

Deno.test("get: downloads DVC and git data, tracks nothing", () => {
  const { wrap, src } = setup();
  const out = Deno.makeTempDirSync({ prefix: "cairn-get-" });
  try {
    cairnOk(["get", src, "data"], { cwd: out });
    cairnOk(["get", src, "g.txt", "-o", "copy.txt"], { cwd: out });
    cairnOk(["get", `file://${src}`, "foo", "--rev", "main"], { cwd: out });
    assertEquals(tree(out), ["copy.txt", "data/a.txt", "data/b.txt", "foo"]);
    assertEquals(readText(out, "foo"), "foo\n");
    const bad = cairn(["get", src, "nope"], { cwd: out });
    assertEquals(bad.code, 1);
    assertEquals(tree(out), ["copy.txt", "data/a.txt", "data/b.txt", "foo"]);
  } finally {
    removeDir(out);
    removeDir(wrap);
  }
});

Deno.test("import-url: in-repo file, the spec's stage md5 test vector; update after a change", () => {
  const dst = makeRepo();
  try {
    writeFiles(dst, { foo: "foo" });
    cairnOk(["import-url", "foo", "bar"], { cwd: dst });
    assertEquals(
      readText(dst, "bar.dvc"),
      "md5: 8fc199641730e3f512deac0bd9a0e0b6\nfrozen: true\ndeps:\n" +
        "- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: foo\n" +
        "outs:\n- md5: acbd18db4cc2f85cedef654fccc4a4d8\n  size: 3\n  hash: md5\n  path: bar\n",
    );
    assertEquals(readText(dst, "bar"), "foo");
    assertEquals(readText(dst, ".gitignore"), "/bar\n");
    assertEquals(cairnOk(["status", "--json"], { cwd: dst }).stdout.trim(), "{}");

    writeFiles(dst, { foo: "foo2" });
    cairnOk(["repro", "bar.dvc"], { cwd: dst }); // frozen: not re-imported
    assertEquals(readText(dst, "bar"), "foo");
    cairnOk(["update", "bar.dvc"], { cwd: dst });
    assertEquals(readText(dst, "bar"), "foo2");
    assert(readText(dst, "bar.dvc").includes(`- md5: ${md5("foo2")}\n  size: 4\n`));
    assertEquals(cairnOk(["status", "--json"], { cwd: dst }).stdout.trim(), "{}");

    const bad = cairn(["import-url", "missing", "x"], { cwd: dst });
    assertEquals(bad.code, 1);
    assert(!exists(join(dst, "x.dvc")));
  } finally {
    removeDir(dst);
  }
});

Deno.test("import-url / get-url: a directory outside the repo", () => {
  const { wrap, src, dst } = setup();
  try {
    cairnOk(["import-url", join(src, "data"), "d"], { cwd: dst });
    assertMatch(
      readText(dst, "d.dvc"),
      new RegExp(
        `deps:\n- md5: [0-9a-f]{32}\\.dir\n {2}size: 12\n {2}nfiles: 2\n {2}hash: md5\n {2}path: ${src}/data\n`,
      ),
    );
    assertEquals(readText(dst, "d/a.txt"), "hello\n");
    const out = join(wrap, "got");
    cairnOk(["get-url", join(src, "g.txt"), out], { cwd: wrap });
    assertEquals(readText(out, ""), "g\n");
  } finally {
    removeDir(wrap);
  }
});

const http = remoteCase("webdav");
Deno.test({
  name: "import-url / get-url over HTTP: data through the http plugin, ETag as checksum",
  ...testOptions(http),
  fn: () => {
    const root = http.localRoot!;
    writeFiles(root, { "file.txt": "over http\n" });
    const url = `${http.httpConfig!.url}/file.txt`;
    const dst = makeRepo();
    try {
      cairnOk(["import-url", url], { cwd: dst });
      assertEquals(readText(dst, "file.txt"), "over http\n");
      const text = readText(dst, "file.txt.dvc");
      assertMatch(
        text,
        /deps:\n- md5: [0-9a-f]{32}\n {2}size: 10\n {2}checksum: .+\n {2}hash: md5\n/,
      );
      assert(text.includes(`  path: ${url}\n`));
      cairnOk(["get-url", url, "copy.txt"], { cwd: dst });
      assertEquals(readText(dst, "copy.txt"), "over http\n");
      const missing = cairn(["get-url", `${http.httpConfig!.url}/nope.txt`], { cwd: dst });
      assertEquals(missing.code, 1);
    } finally {
      removeDir(dst);
      removeDir(root);
    }
  },
});

const s3 = remoteCase("s3");
Deno.test({
  name: "import-url / get-url from S3 through the s3 plugin, --fs-config recorded and reused",
  ...testOptions(s3),
  fn: async () => {
    const remote = await openRemote(s3.config, { name: "seed" });
    await remote.writeBytes("file.bin", new TextEncoder().encode("from s3\n"));
    await remote.close();
    const url = `${s3.config.url}/file.bin`;
    const fs = ["endpointurl", "access_key_id", "secret_access_key"].flatMap((k) => [
      "--fs-config",
      `${k}=${s3.config[k]}`,
    ]);
    const dst = makeRepo();
    try {
      cairnOk(["import-url", url, "f.bin", ...fs], { cwd: dst });
      assertEquals(readText(dst, "f.bin"), "from s3\n");
      const text = readText(dst, "f.bin.dvc");
      assert(
        text.includes(`  path: ${url}\n  fs_config:\n    endpointurl: ${s3.config.endpointurl}\n`),
      );
      cairnOk(["update", "f.bin.dvc"], { cwd: dst }); // reads the source again with fs_config
      assertEquals(readText(dst, "f.bin.dvc"), text);
      cairnOk(["get-url", url, "g.bin", ...fs], { cwd: dst });
      assertEquals(readText(dst, "g.bin"), "from s3\n");
    } finally {
      removeDir(dst);
      removeTree(s3.localRoot);
    }
  },
});
