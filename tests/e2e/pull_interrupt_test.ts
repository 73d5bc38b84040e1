/**
 * A pull killed half-way (SIGKILL, the real CLI) leaves no partial object
 * under its final name in the cache: every object file there has the md5 its
 * name says (downloads land as temp files, are md5-verified, then renamed),
 * and the next pull completes the workspace.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals } from "../_rig/assert.ts";
import { CAIRN, cairnOk, git, GIT_ENV, makeRepo, removeDir } from "../_rig/rig.ts";

const N = 3000;
const SIZE = 16 << 10;

function objectFiles(cacheDir: string): { path: string; name: string }[] {
  const out: { path: string; name: string }[] = [];
  const root = `${cacheDir}/files/md5`;
  let prefixes: Deno.DirEntry[];
  try {
    prefixes = [...Deno.readDirSync(root)];
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return out;
    throw err;
  }
  for (const p of prefixes) {
    for (const e of Deno.readDirSync(`${root}/${p.name}`)) {
      if (/^[0-9a-f]{30}(\.dir)?$/.test(e.name)) {
        out.push({ path: `${root}/${p.name}/${e.name}`, name: p.name + e.name });
      }
    }
  }
  return out;
}

Deno.test("pull killed mid-transfer: no partial object under its final name; the next pull completes", async () => {
  const repo = makeRepo();
  const remote = Deno.makeTempDirSync({ prefix: "cairn-remote-" });
  const clone = `${Deno.makeTempDirSync({ prefix: "cairn-clone-" })}/c`;
  try {
    const buf = new Uint8Array(SIZE);
    for (let d = 0; d < 10; d++) Deno.mkdirSync(`${repo}/data/d${d}`, { recursive: true });
    for (let i = 0; i < N; i++) {
      crypto.getRandomValues(buf.subarray(0, 4096));
      new DataView(buf.buffer).setUint32(0, i);
      Deno.writeFileSync(`${repo}/data/d${i % 10}/f${i}`, buf);
    }
    cairnOk(["add", "data"], { cwd: repo });
    cairnOk(["remote", "add", "-d", "r", remote], { cwd: repo });
    git(["add", "-A"], repo);
    git(["commit", "-qm", "data"], repo);
    cairnOk(["push"], { cwd: repo });
    git(["clone", "-q", repo, clone], Deno.cwd());

    const child = new Deno.Command(CAIRN, {
      args: ["pull", "-q"],
      cwd: clone,
      env: GIT_ENV,
      stdout: "null",
      stderr: "null",
    }).spawn();
    // Kill it once some objects have landed in the cache, long before all have.
    const cache = `${clone}/.dvc/cache`;
    const deadline = Date.now() + 120_000;
    while (objectFiles(cache).length < 50 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    child.kill("SIGKILL");
    await child.status;

    const landed = objectFiles(cache);
    assert(landed.length >= 50, `pull never got going (${landed.length} objects)`);
    assert(landed.length < N + 1, "the pull finished before it was killed: nothing tested");
    for (const o of landed) {
      const md5 = createHash("md5").update(Deno.readFileSync(o.path)).digest("hex");
      assertEquals(md5, o.name.replace(/\.dir$/, ""), `partial or wrong object ${o.path}`);
    }

    cairnOk(["pull"], { cwd: clone, subprocess: true });
    assertEquals(objectFiles(cache).length, N + 1);
    for (const i of [0, 1, N - 1]) {
      const want = Deno.readFileSync(`${repo}/data/d${i % 10}/f${i}`);
      assertEquals(Deno.readFileSync(`${clone}/data/d${i % 10}/f${i}`), want);
    }
  } finally {
    for (const d of [repo, remote, clone.slice(0, -2)]) removeDir(d);
  }
});
