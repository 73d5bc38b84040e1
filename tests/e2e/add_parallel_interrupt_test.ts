/**
 * An add large enough to hash and store on two cores (main thread + Worker,
 * >= PARALLEL_MIN_FILES files), stopped half-way by Ctrl-C and by kill -9:
 * every object that made it into the cache is complete (its content hashes
 * to its name) and read-only, no `.dvc` file was written, and the next add
 * finishes with the same `.dir` as an add that was never interrupted.
 */
import { assert, assertEquals, assertStrictEquals } from "../_rig/assert.ts";
import { CAIRN, cairnOk, GIT_ENV, makeRepo, removeDir } from "../_rig/rig.ts";
import { PARALLEL_MIN_FILES } from "../../lib/hash/hash_files.ts";
import { md5Bytes } from "../../lib/hash/md5.ts";

const N = PARALLEL_MIN_FILES + 2_000;

function writeTree(dir: string): void {
  for (let d = 0; d < 20; d++) Deno.mkdirSync(`${dir}/d${d}`, { recursive: true });
  for (let i = 0; i < N; i++) {
    Deno.writeTextFileSync(`${dir}/d${i % 20}/f${i}`, `file ${i}\n`.repeat(1 + (i % 50)));
  }
}

/** Objects in files/md5 (hex names only: temps are dot-names). */
function objects(cache: string): string[] {
  const out: string[] = [];
  let prefixes: Deno.DirEntry[];
  try {
    prefixes = [...Deno.readDirSync(`${cache}/files/md5`)];
  } catch {
    return out;
  }
  for (const p of prefixes) {
    if (!/^[0-9a-f]{2}$/.test(p.name)) continue;
    for (const e of Deno.readDirSync(`${cache}/files/md5/${p.name}`)) {
      if (/^[0-9a-f]{30}(\.dir)?$/.test(e.name)) out.push(`${p.name}/${e.name}`);
    }
  }
  return out;
}

function assertObjectsComplete(cache: string): number {
  const objs = objects(cache);
  for (const o of objs) {
    const path = `${cache}/files/md5/${o}`;
    const want = o.replace("/", "").replace(/\.dir$/, "");
    assertStrictEquals(md5Bytes(Deno.readFileSync(path)), want, `object ${o} is complete`);
    assertStrictEquals(Deno.statSync(path).mode! & 0o777, 0o444, `object ${o} is read-only`);
  }
  return objs.length;
}

/** Start `cairn add data`, send `sig` once some objects are in the cache. */
async function interruptAdd(repo: string, sig: Deno.Signal): Promise<number> {
  const child = new Deno.Command(CAIRN, {
    args: ["add", "data"],
    cwd: repo,
    env: GIT_ENV,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  let done = false;
  const status = child.status.then((s) => {
    done = true;
    return s;
  });
  while (!done && objects(`${repo}/.dvc/cache`).length < 500) {
    await new Promise((r) => setTimeout(r, 5));
  }
  if (!done) child.kill(sig);
  const s = await status;
  return s.code;
}

Deno.test("parallel add stopped by Ctrl-C or kill -9 leaves only complete objects", async () => {
  const repo = makeRepo();
  try {
    writeTree(`${repo}/data`);
    for (const sig of ["SIGINT", "SIGKILL"] as const) {
      const code = await interruptAdd(repo, sig);
      const stored = assertObjectsComplete(`${repo}/.dvc/cache`);
      if (code !== 0) {
        // stopped before the end: nothing recorded
        assert(sig === "SIGKILL" || code === 252, `${sig}: exit ${code}`);
        assert(!exists(`${repo}/data.dvc`), `${sig}: no data.dvc after an interrupted add`);
        assert(stored < N + 1, `${sig}: the add was really cut short`);
      }
      // Next round (and the final add) from an empty cache.
      clearCache(repo);
    }
    cairnOk(["add", "data"], { cwd: repo, subprocess: true });
    assertStrictEquals(assertObjectsComplete(`${repo}/.dvc/cache`), N + 1);
    const dvc = Deno.readTextFileSync(`${repo}/data.dvc`);

    // The same data added in a fresh repo without interruption: same .dir.
    const fresh = makeRepo();
    try {
      writeTree(`${fresh}/data`);
      cairnOk(["add", "data"], { cwd: fresh, subprocess: true });
      assertEquals(Deno.readTextFileSync(`${fresh}/data.dvc`), dvc);
    } finally {
      removeDir(fresh);
    }
    const st = cairnOk(["status"], { cwd: repo, subprocess: true });
    assert(/up to date/.test(st.stdout), st.stdout);

    // Hashes from the state db now: with the cache gone, storing alone takes
    // seconds, and Ctrl-C must stop it too (it used to run to the end, exit 0).
    clearCache(repo);
    assertStrictEquals(await interruptAdd(repo, "SIGINT"), 252);
    assert(!exists(`${repo}/data.dvc`), "no data.dvc after an interrupted add");
    const stored = assertObjectsComplete(`${repo}/.dvc/cache`);
    assert(stored >= 500 && stored < N + 1, `cut short after 500 objects: ${stored}`);
  } finally {
    removeDir(repo);
  }
});

/** Remove the cache and what an add records, keeping the state db. */
function clearCache(repo: string): void {
  Deno.chmodSync(`${repo}/.dvc/cache`, 0o755);
  new Deno.Command("chmod", { args: ["-R", "u+w", `${repo}/.dvc/cache`] }).outputSync();
  Deno.removeSync(`${repo}/.dvc/cache`, { recursive: true });
  for (const f of ["data.dvc", ".gitignore"]) {
    if (exists(`${repo}/${f}`)) Deno.removeSync(`${repo}/${f}`);
  }
}

function exists(p: string): boolean {
  try {
    Deno.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}
