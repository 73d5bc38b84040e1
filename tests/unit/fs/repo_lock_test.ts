import { assert, assertMatch, assertRejects, assertStrictEquals } from "../../_rig/assert.ts";
import {
  acquireRepoLock,
  lockHolderPid,
  repoLockPath,
  tryAcquireRepoLock,
} from "../../../lib/fs/repo_lock.ts";
import { RepoLockedError } from "../../../lib/errors.ts";

Deno.test("lock: pid written, second holder waits then fails, release frees", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = repoLockPath(`${dir}/.dvc`);
    const a = await acquireRepoLock(path);
    assertStrictEquals(Deno.readTextFileSync(path), ` ${Deno.pid}\n`);
    assertStrictEquals(lockHolderPid(path), Deno.pid);
    assertStrictEquals(tryAcquireRepoLock(path), null);
    // It waits before failing: the failure comes after an event scheduled
    // halfway through its timeout (an ordering, not a measured duration).
    let halfway = false;
    setTimeout(() => (halfway = true), 150);
    await assertRejects(() => acquireRepoLock(path, { timeoutMs: 300 }), RepoLockedError);
    assert(halfway, "gave up before waiting");
    // the pid of the holder survived the failed attempt
    assertStrictEquals(lockHolderPid(path), Deno.pid);
    a.release();
    a.release();
    using b = await acquireRepoLock(path, { timeoutMs: 0 });
    assert(b);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("lock: a waiter gets it once the holder releases", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = repoLockPath(`${dir}/.dvc`);
    const a = await acquireRepoLock(path);
    setTimeout(() => a.release(), 150);
    const b = await acquireRepoLock(path, { timeoutMs: 2000 });
    b.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("lock: compatible with DVC's zc.lockfile (flock) both ways", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = repoLockPath(`${dir}/.dvc`);
    Deno.mkdirSync(`${dir}/.dvc/tmp`, { recursive: true });
    const py = (code: string) =>
      new Deno.Command("python3", { args: ["-c", code, path], stdout: "piped" });
    // DVC (zc.lockfile) holding it: we must not get it.
    const holder = py(
      "import fcntl,sys,time,os\nf=open(sys.argv[1],'a+')\nfcntl.flock(f.fileno(),fcntl.LOCK_EX|fcntl.LOCK_NB)\nf.seek(0);f.truncate();f.write(' %d\\n'%os.getpid());f.flush()\nprint('locked',flush=True)\ntime.sleep(1.0)",
    ).spawn();
    const reader = holder.stdout.getReader();
    const first = await reader.read();
    assertMatch(new TextDecoder().decode(first.value), /locked/);
    await assertRejects(() => acquireRepoLock(path, { timeoutMs: 200 }), RepoLockedError);
    assertStrictEquals(lockHolderPid(path), holder.pid);
    reader.releaseLock();
    await holder.stdout.cancel();
    await holder.status;
    // We hold it: DVC's non-blocking flock fails.
    const lock = await acquireRepoLock(path);
    const out = await py(
      "import fcntl,sys\nf=open(sys.argv[1],'r+')\ntry:\n  fcntl.flock(f.fileno(),fcntl.LOCK_EX|fcntl.LOCK_NB);print('got')\nexcept OSError:\n  print('busy')",
    ).output();
    assertStrictEquals(new TextDecoder().decode(out.stdout).trim(), "busy");
    lock.release();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("lock: two processes never interleave their critical sections", async () => {
  const dir = Deno.makeTempDirSync();
  try {
    const path = repoLockPath(`${dir}/.dvc`);
    const log = `${dir}/log`;
    const mod = new URL("../../../lib/fs/repo_lock.ts", import.meta.url).href;
    const code = `import { acquireRepoLock } from "${mod}";
const [path, log] = Deno.args;
for (let i = 0; i < 3; i++) {
  const l = await acquireRepoLock(path, { timeoutMs: 10000, retryDelayMs: 5 });
  Deno.writeTextFileSync(log, "start " + Deno.pid + "\\n", { append: true });
  await new Promise((r) => setTimeout(r, 30));
  Deno.writeTextFileSync(log, "end " + Deno.pid + "\\n", { append: true });
  l.release();
  await new Promise((r) => setTimeout(r, 5));
}`;
    const run = () =>
      new Deno.Command(Deno.execPath(), {
        args: ["eval", "--ext=ts", code, path, log],
      }).output();
    const [r1, r2] = await Promise.all([run(), run()]);
    assertStrictEquals(r1.code, 0, new TextDecoder().decode(r1.stderr));
    assertStrictEquals(r2.code, 0, new TextDecoder().decode(r2.stderr));
    const lines = Deno.readTextFileSync(log).trim().split("\n");
    assertStrictEquals(lines.length, 12);
    for (let i = 0; i < lines.length; i += 2) {
      const [s, pa] = lines[i].split(" ");
      const [e, pb] = lines[i + 1].split(" ");
      assertStrictEquals(s, "start");
      assertStrictEquals(e, "end");
      assertStrictEquals(pa, pb, lines.join("\n"));
    }
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
