/**
 * Issue 10 item 5: corruption is reported as corruption. A flipped byte in a
 * cache or remote object was already caught (never checked out, pushed or
 * kept), but the user was told the file was "missing". Now every command
 * that meets one says which object (md5, cache path or remote key, the
 * workspace path using it), where it came from (local cache / remote name)
 * and what was done (removed, not checked out / not pushed / not downloaded).
 *
 * Objects are corrupted with real flipped bytes. cairn (like DVC) trusts a
 * read-only (0444) cache object without re-reading it; what corrupts a cache
 * object in practice is a write through a link into the cache (hardlink /
 * symlink cache types, after `chmod u+w`), which also changes its mode, so
 * the tests flip bytes the same way: through a writable mode.
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";
import { remoteCase, testOptions } from "../plugins/_remotes.ts";

function md5(text: string | Uint8Array): string {
  return createHash("md5").update(text).digest("hex");
}

function objectPath(cacheOrRemote: string, sum: string): string {
  return join(cacheOrRemote, "files", "md5", sum.slice(0, 2), sum.slice(2));
}

/** Flip one bit of byte `at` (the file keeps its size: only a hash check can tell). */
function flipByte(path: string, at = 0): void {
  Deno.chmodSync(path, 0o644);
  const bytes = Deno.readFileSync(path);
  bytes[at] ^= 0x01;
  Deno.writeFileSync(path, bytes);
}

const CORRUPT = /is corrupted \(its content does not match its md5\)/;

interface Setup {
  dir: string;
  remote: string;
  cache: string;
}

/** A repo with a local-folder default remote, a file and a directory added and pushed. */
function setup(): Setup {
  const dir = makeRepo();
  const remote = Deno.makeTempDirSync({ prefix: "cairn-corrupt-remote-" });
  cairnOk(["remote", "add", "-d", "store", remote], { cwd: dir });
  writeFiles(dir, { "a.txt": "hello\n", "d/1": "one\n", "d/2": "two\n" });
  cairnOk(["add", "a.txt", "d"], { cwd: dir });
  git(["add", "-A"], dir);
  git(["commit", "-qm", "data"], dir);
  cairnOk(["push"], { cwd: dir });
  return { dir, remote, cache: join(dir, ".dvc", "cache") };
}

function cleanup(s: Setup): void {
  removeDir(s.dir);
  removeDir(s.remote);
}

Deno.test("checkout: an in-place edit through a hardlink corrupts the cache object; checkout names it, keeps the edit", () => {
  const dir = makeRepo();
  try {
    cairnOk(["config", "cache.type", "hardlink"], { cwd: dir });
    writeFiles(dir, { "data.txt": "original content\n" });
    cairnOk(["add", "data.txt"], { cwd: dir });
    const sum = md5("original content\n");
    const obj = objectPath(join(dir, ".dvc", "cache"), sum);
    assertEquals(Deno.statSync(join(dir, "data.txt")).ino, Deno.statSync(obj).ino, "hardlinked");
    // the user makes the file writable and edits it in place: the cache object changes too
    Deno.chmodSync(join(dir, "data.txt"), 0o644);
    const f = Deno.openSync(join(dir, "data.txt"), { write: true });
    f.writeSync(new TextEncoder().encode("O"));
    f.close();
    const r = cairn(["checkout", "data.txt"], { cwd: dir });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, CORRUPT);
    assertMatch(r.stderr, new RegExp(`'data\\.txt' \\(md5 ${sum}\\)`));
    assertMatch(r.stderr, new RegExp(`local cache object ${obj.replaceAll(".", "\\.")}`));
    assertMatch(r.stderr, /removed from the cache and not checked out/);
    assertEquals(exists(obj), false, "the corrupted object is gone from the cache");
    // the user's edit is still there (nothing lost)
    assertEquals(Deno.readTextFileSync(join(dir, "data.txt")), "Original content\n");
  } finally {
    removeDir(dir);
  }
});

Deno.test("checkout: a corrupted file inside a directory output and a corrupted .dir are named", () => {
  const s = setup();
  try {
    const one = md5("one\n");
    flipByte(objectPath(s.cache, one));
    Deno.removeSync(join(s.dir, "d"), { recursive: true });
    Deno.removeSync(join(s.dir, "a.txt"));
    const r = cairn(["checkout"], { cwd: s.dir });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(
      r.stderr,
      new RegExp(`'d/1' \\(md5 ${one}\\): the local cache object .*${CORRUPT.source}`),
    );
    assertEquals(r.stderr.match(CORRUPT)?.length, 1, "only d/1 is corrupted");
    // the intact files were checked out, the corrupted one was not
    assertEquals(Deno.readTextFileSync(join(s.dir, "a.txt")), "hello\n");
    assertEquals(Deno.readTextFileSync(join(s.dir, "d/2")), "two\n");
    assertEquals(exists(join(s.dir, "d/1")), false);

    // the listing itself
    const dvc = Deno.readTextFileSync(join(s.dir, "d.dvc"));
    const dirMd5 = /md5: ([0-9a-f]{32})\.dir/.exec(dvc)![1];
    const listing = objectPath(s.cache, dirMd5) + ".dir";
    flipByte(listing, 2);
    Deno.removeSync(join(s.dir, "d"), { recursive: true });
    const r2 = cairn(["checkout", "d"], { cwd: s.dir });
    assertEquals(r2.code, 1, r2.stderr);
    assertMatch(r2.stderr, new RegExp(`'d' \\(md5 ${dirMd5}\\.dir\\): the local cache object`));
    assertMatch(r2.stderr, CORRUPT);
    assertEquals(exists(listing), false);
  } finally {
    cleanup(s);
  }
});

Deno.test("push: a corrupted local object is never uploaded, and named (not 'missing')", () => {
  const dir = makeRepo();
  const remote = Deno.makeTempDirSync({ prefix: "cairn-corrupt-remote-" });
  try {
    cairnOk(["remote", "add", "-d", "store", remote], { cwd: dir });
    writeFiles(dir, { "a.txt": "hello\n", "b.txt": "bye\n" });
    cairnOk(["add", "a.txt", "b.txt"], { cwd: dir });
    const a = md5("hello\n");
    flipByte(objectPath(join(dir, ".dvc", "cache"), a));
    const r = cairn(["push"], { cwd: dir });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, new RegExp(`WARNING: 'a\\.txt' \\(md5 ${a}\\): the local cache object`));
    assertMatch(r.stderr, /removed from the cache and not pushed/);
    assertEquals(/do not exist neither locally nor on remote/.test(r.stderr), false, r.stderr);
    assertEquals(exists(objectPath(remote, a)), false, "never uploaded");
    assertEquals(exists(objectPath(join(dir, ".dvc", "cache"), a)), false, "removed locally");
    assertEquals(Deno.readTextFileSync(objectPath(remote, md5("bye\n"))), "bye\n", "the rest went");
  } finally {
    removeDir(dir);
    removeDir(remote);
  }
});

Deno.test("fetch / pull: a corrupted remote object is not downloaded; the remote and key are named", () => {
  const s = setup();
  try {
    const a = md5("hello\n");
    flipByte(objectPath(s.remote, a));
    Deno.chmodSync(objectPath(s.cache, a), 0o644);
    Deno.removeSync(objectPath(s.cache, a));
    Deno.removeSync(join(s.dir, "a.txt"));
    const f = cairn(["fetch"], { cwd: s.dir });
    assertEquals(f.code, 1, f.stderr);
    assertMatch(
      f.stderr,
      new RegExp(
        `'a\\.txt' \\(md5 ${a}\\): the copy on remote 'store' \\(files/md5/${a.slice(0, 2)}/${
          a.slice(2)
        }\\) is corrupted`,
      ),
    );
    assertMatch(f.stderr, /it was not downloaded/);
    assertEquals(exists(objectPath(s.cache, a)), false, "nothing corrupted entered the cache");
    assertEquals(/Everything is up to date/.test(f.stdout), false);

    const p = cairn(["pull"], { cwd: s.dir });
    assertEquals(p.code, 1, p.stderr);
    assertMatch(p.stderr, /Checkout failed for following targets:\na\.txt\n/);
    assertMatch(p.stderr, /the copy on remote 'store' .* is corrupted/);
    assertEquals(exists(join(s.dir, "a.txt")), false, "no corrupted data in the workspace");
  } finally {
    cleanup(s);
  }
});

Deno.test("fetch: a corrupted local object is replaced from an intact remote copy", () => {
  const s = setup();
  try {
    const two = md5("two\n");
    flipByte(objectPath(s.cache, two));
    const f = cairn(["fetch"], { cwd: s.dir });
    assertEquals(f.code, 0, f.stderr);
    assertMatch(f.stderr, new RegExp(`'d/2' \\(md5 ${two}\\): the local cache object`));
    assertMatch(f.stderr, /removed from the cache and fetched again/);
    assertEquals(Deno.readTextFileSync(objectPath(s.cache, two)), "two\n");
    assertEquals(Deno.statSync(objectPath(s.cache, two)).mode! & 0o777, 0o444);
  } finally {
    cleanup(s);
  }
});

Deno.test("status -c: a corrupted local object is reported as corrupted", () => {
  const s = setup();
  try {
    const one = md5("one\n");
    flipByte(objectPath(s.cache, one));
    const r = cairn(["status", "-c"], { cwd: s.dir });
    assertMatch(r.stderr, new RegExp(`WARNING: 'd/1' \\(md5 ${one}\\): the local cache object`));
    assertMatch(r.stderr, CORRUPT);
    // no longer in the cache: the remote has it, so status shows it as deleted locally
    assertMatch(r.stdout, /deleted:\s+d\/1/);
  } finally {
    cleanup(s);
  }
});

for (const kind of ["ssh", "webdav"] as const) {
  const server = remoteCase(kind);
  Deno.test({
    name: `pull from a real ${kind} server: a corrupted remote object is named and not used`,
    ...testOptions(server),
    fn() {
      const dir = makeRepo();
      try {
        const { url, ...rest } = server.config;
        cairnOk(["remote", "add", "-d", "srv", String(url)], { cwd: dir });
        for (const [k, v] of Object.entries(rest)) {
          cairnOk(["remote", "modify", "srv", k, String(v)], { cwd: dir });
        }
        writeFiles(dir, { "a.txt": `over ${kind}\n` });
        cairnOk(["add", "a.txt"], { cwd: dir });
        cairnOk(["push"], { cwd: dir });
        const a = md5(`over ${kind}\n`);
        const onServer = objectPath(server.localRoot!, a);
        assert(exists(onServer), "pushed to the server");
        flipByte(onServer, 3);
        const local = objectPath(join(dir, ".dvc", "cache"), a);
        Deno.chmodSync(local, 0o644);
        Deno.removeSync(local);
        Deno.removeSync(join(dir, "a.txt"));
        const p = cairn(["pull"], { cwd: dir });
        assertEquals(p.code, 1, p.stderr);
        assertMatch(
          p.stderr,
          new RegExp(`the copy on remote 'srv' \\(files/md5/${a.slice(0, 2)}/${a.slice(2)}\\)`),
        );
        assertMatch(p.stderr, CORRUPT);
        assertEquals(exists(local), false);
        assertEquals(exists(join(dir, "a.txt")), false);
      } finally {
        removeDir(dir);
        if (server.localRoot) removeDir(server.localRoot);
      }
    },
  });
}
