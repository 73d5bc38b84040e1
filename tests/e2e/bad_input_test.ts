/** Bad input: clear errors, DVC exit codes, nothing half-written. */
import { join } from "node:path";
import { createHash } from "node:crypto";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import {
  CAIRN,
  cairn,
  cairnOk,
  exists,
  GIT_ENV,
  makeRepo,
  removeDir,
  run,
  writeFiles,
} from "../_rig/rig.ts";

function cacheObjects(dir: string, cacheDir = join(dir, ".dvc/cache")): string[] {
  return run("find", [cacheDir, "-type", "f", "-path", "*files/md5*"], { cwd: dir }).stdout.split(
    "\n",
  )
    .filter(Boolean);
}

/** Every object's content hashes to its name (no partial or corrupt object). */
function assertObjectsIntact(paths: string[]) {
  for (const p of paths) {
    const name = p.split("/").slice(-2).join("").replace(/\.dir$/, "");
    if (!/^[0-9a-f]{32}$/.test(name)) continue; // temp files are not objects
    const md5 = createHash("md5").update(Deno.readFileSync(p)).digest("hex");
    assertEquals(md5, name, `object ${p} is intact`);
  }
}

Deno.test("malformed .dvc file: path, line and column in the error, nothing changed", () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "ok.txt": "ok\n" });
    cairnOk(["add", "ok.txt"], { cwd: dir });
    writeFiles(dir, { "bad.dvc": "outs:\n- md5: 123\n  path: [unclosed\n" });
    const r = cairn(["checkout"], { cwd: dir });
    assertEquals(r.code, 1);
    assertMatch(r.stderr, /bad\.dvc/);
    assertMatch(r.stderr, /bad\.dvc:\d+(:\d+)?/);
    writeFiles(dir, { "bad.dvc": "outs:\n- md5: 123\n  path: x\n  bogus: 1\n" });
    const r2 = cairn(["checkout"], { cwd: dir });
    assertEquals(r2.code, 1);
    assertMatch(r2.stderr, /bad\.dvc:4/);
    assertMatch(r2.stderr, /bogus/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("disk full during add: clean error, no .dvc file, no partial cache object", () => {
  const dir = makeRepo();
  const mnt = Deno.makeTempDirSync({ prefix: "cairn-full-" });
  const m = run("mount", ["-t", "tmpfs", "-o", "size=256k", "tmpfs", mnt], { cwd: dir });
  assertEquals(m.code, 0, `mounting a tmpfs needs root: ${m.stderr}`);
  try {
    cairnOk(["cache", "dir", mnt], { cwd: dir });
    const big = new Uint8Array(1024 * 1024).map((_, i) => (i * 31) & 0xff);
    writeFiles(dir, { "big.bin": big, "small.txt": "s\n" });
    const r = cairn(["add", "big.bin"], { cwd: dir });
    assertEquals(r.code, 1, r.stderr);
    assertMatch(r.stderr, /no space left/i);
    assert(!exists(join(dir, "big.bin.dvc")), "no .dvc file pointing at missing data");
    assertEquals(cacheObjects(dir, mnt).filter((p) => /[0-9a-f]{30}$/.test(p)), []);
    assertEquals(Deno.readFileSync(join(dir, "big.bin")).length, big.length, "data untouched");
    cairnOk(["add", "small.txt"], { cwd: dir });
    assert(exists(join(dir, "small.txt.dvc")));
  } finally {
    run("umount", [mnt], { cwd: "/" });
    removeDir(mnt);
    removeDir(dir);
  }
});

Deno.test("Ctrl-C during add exits 252 and leaves a consistent repo", async () => {
  const dir = makeRepo();
  try {
    const files: Record<string, string> = {};
    for (let i = 0; i < 6000; i++) files[`big/d${i % 60}/f${i}.txt`] = `file ${i}\n`.repeat(20);
    writeFiles(dir, files);
    const child = new Deno.Command(CAIRN, {
      args: ["add", "big"],
      cwd: dir,
      env: GIT_ENV,
      stdout: "null",
      stderr: "piped",
    }).spawn();
    // interrupt once objects are being written (start-up time varies with load)
    for (let i = 0; i < 200 && !exists(join(dir, ".dvc/cache/files/md5")); i++) {
      await new Promise((r) => setTimeout(r, 50));
    }
    try {
      child.kill("SIGINT");
    } catch { /* already finished */ }
    const out = await child.output();
    if (out.code === 0) {
      // finished before the signal: then the repo must be complete
      assert(exists(join(dir, "big.dvc")));
    } else {
      assertEquals(out.code, 252, new TextDecoder().decode(out.stderr));
      assert(!exists(join(dir, "big.dvc")), "no .dvc file for an interrupted add");
    }
    assertObjectsIntact(cacheObjects(dir));
    // the repo still works: the same add completes afterwards
    cairnOk(["add", "big"], { cwd: dir });
    assertEquals(cairnOk(["status", "--json"], { cwd: dir }).stdout.trim(), "{}");
  } finally {
    removeDir(dir);
  }
});

Deno.test("a second writer waits for the repo lock, then fails clearly", async () => {
  const dir = makeRepo();
  try {
    writeFiles(dir, { "a.txt": "a\n" });
    // Hold .dvc/tmp/lock the way DVC does (an fcntl lock), from another process.
    const holder = new Deno.Command("python3", {
      args: [
        "-c",
        "import fcntl,sys,time;f=open(sys.argv[1],'a+');fcntl.flock(f,fcntl.LOCK_EX|fcntl.LOCK_NB);print('locked',flush=True);time.sleep(8)",
        join(dir, ".dvc/tmp/lock"),
      ],
      stdout: "piped",
    }).spawn();
    const reader = holder.stdout.getReader();
    const first = await reader.read();
    assertMatch(new TextDecoder().decode(first.value), /locked/);
    // A second process, spawned without blocking this thread, so that an event
    // scheduled 1 s in can fire while it waits: its failure must come after it.
    let waitedPastOneSecond = false;
    const timer = setTimeout(() => (waitedPastOneSecond = true), 1000);
    const out = await new Deno.Command(CAIRN, {
      args: ["add", "a.txt"],
      cwd: dir,
      env: GIT_ENV,
      stdout: "piped",
      stderr: "piped",
    }).output();
    clearTimeout(timer);
    assertEquals(out.code, 1);
    assertMatch(new TextDecoder().decode(out.stderr), /Unable to acquire lock/);
    assert(waitedPastOneSecond, "it waited before giving up");
    assert(!exists(join(dir, "a.txt.dvc")));
    holder.kill();
    reader.releaseLock();
    await holder.stdout.cancel().catch(() => {});
    await holder.status;
    cairnOk(["add", "a.txt"], { cwd: dir });
  } finally {
    removeDir(dir);
  }
});

Deno.test("usage errors exit 254, --cd and -q work, help has DVC's shape", () => {
  const dir = makeRepo();
  try {
    assertEquals(cairn(["frobnicate"], { cwd: dir, subprocess: true }).code, 254);
    assertEquals(cairn(["checkout", "--no-such-flag"], { cwd: dir, subprocess: true }).code, 254);
    writeFiles(dir, { "sub/x.txt": "x\n" });
    cairnOk(["--cd", "sub", "add", "x.txt"], { cwd: dir, subprocess: true });
    assert(exists(join(dir, "sub/x.txt.dvc")));
    assertEquals(cairnOk(["add", "-q", "sub/x.txt"], { cwd: dir, subprocess: true }).stdout, "");
    const h = cairnOk(["add", "-h"], { cwd: dir, subprocess: true });
    assertMatch(h.stdout, /Usage: cairn add \[options\] <targets\.\.\.>/);
    assertMatch(h.stdout, /--no-commit/);
  } finally {
    removeDir(dir);
  }
});

Deno.test("a FIFO where a cache object or a .dir should be, or given to add: reported, never a hang", () => {
  const dir = makeRepo();
  try {
    // 2100 files: linkMany on both cores (native copies), then the one-by-one fallback
    const files: Record<string, string> = {};
    for (let i = 0; i < 2100; i++) files[`big/f${i}`] = `file ${i}\n`;
    files["small/a"] = "a\n";
    files["small/b"] = "b\n";
    writeFiles(dir, files);
    cairnOk(["add", "-q", "big", "small"], { cwd: dir });
    const objectOf = (content: string) => {
      const md5 = createHash("md5").update(content).digest("hex");
      return join(dir, ".dvc/cache/files/md5", md5.slice(0, 2), md5.slice(2));
    };
    const toFifo = (path: string) => {
      Deno.removeSync(path);
      run("mkfifo", ["-m", "444", path], { cwd: dir });
    };
    toFifo(objectOf("file 7\n"));
    const smallDir = /md5: (\S+\.dir)/.exec(Deno.readTextFileSync(join(dir, "small.dvc")))![1];
    toFifo(join(dir, ".dvc/cache/files/md5", smallDir.slice(0, 2), smallDir.slice(2)));
    removeDir(join(dir, "big"));
    removeDir(join(dir, "small"));
    // a hang shows as timeout's 124, not as a test that never ends
    const timed = (args: string[]) => run("timeout", ["120", CAIRN, ...args], { cwd: dir });
    const co = timed(["checkout"]);
    assertEquals(co.code, 1, co.stderr);
    assertMatch(co.stderr, /Checkout failed for following targets:\nbig\nsmall\n/);
    assertEquals([...Deno.readDirSync(join(dir, "big"))].length, 2099);
    const st = timed(["status"]);
    assertEquals(st.code, 0, st.stderr);
    assertMatch(st.stdout, /not in cache: +small/);
    // and a FIFO given to add is refused, not read forever
    run("mkfifo", ["pipe"], { cwd: dir });
    const add = timed(["add", "pipe"]);
    assertEquals(add.code, 1, add.stderr);
    assertMatch(add.stderr, /pipe' is not a regular file or directory: it cannot be hashed/);
  } finally {
    removeDir(dir);
  }
});
