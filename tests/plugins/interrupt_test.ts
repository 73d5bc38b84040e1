/**
 * A transfer whose server dies half-way: the objects that made it are intact,
 * nothing corrupt appears on either side, and the rerun moves only the rest.
 * Uses its own instances of the SSH and WebDAV servers (scripts/test_services.sh
 * with a private CAIRN_SERVICES_DIR), since it kills them. S3 is left out: moto
 * keeps its objects in memory, so a killed moto has nothing left to resume.
 */
import { assert, assertEquals } from "../_rig/assert.ts";
import { join } from "node:path";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import { md5Bytes, md5File } from "../../lib/hash/md5.ts";
import {
  fetchObjects,
  keyObject,
  pushObjects,
  type TransferObject,
} from "../../lib/cache/transfer.ts";
import { openRemote, type Remote } from "../../lib/plugin/remote.ts";
import { pseudoRandom, readServicesEnv, remoteCase, removeTree, ROOT } from "./_remotes.ts";

const SCRIPT = join(ROOT, "scripts", "test_services.sh");
const N = 96;
const SIZE = 1 << 20;

async function services(dir: string, ...args: string[]): Promise<void> {
  const out = await new Deno.Command("bash", {
    args: [SCRIPT, ...args],
    env: { CAIRN_SERVICES_DIR: dir },
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`test_services ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
}

/** Kill synchronously: the engine reports progress between batches, so the server is
 * down before the next batch goes out (no race with a fast server). */
function killNow(dir: string, svc: string): void {
  const out = new Deno.Command("bash", {
    args: [SCRIPT, "kill", svc],
    env: { CAIRN_SERVICES_DIR: dir },
    stdout: "null",
    stderr: "piped",
  }).outputSync();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
}

const available = (() => {
  try {
    Deno.statSync("/usr/sbin/sshd");
    Deno.statSync("/usr/sbin/nginx");
    return true;
  } catch {
    return false;
  }
})();

/** Every object file under `root` must hash to its name. Returns how many there are. */
function assertIntact(root: string): number {
  let n = 0;
  const walk = (rel: string) => {
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(rel ? `${root}/${rel}` : root)];
    } catch {
      return;
    }
    for (const e of entries) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(r);
      else {
        const obj = keyObject(r);
        if (!obj) continue; // temp files are not objects
        n++;
        const want = obj.md5.replace(/\.dir$/, "");
        assertEquals(md5File(`${root}/${r}`), want, `corrupt object ${r}`);
      }
    }
  };
  walk("");
  return n;
}

function makeData(store: ObjectStore): TransferObject {
  const entries = [];
  for (let i = 0; i < N; i++) {
    const data = pseudoRandom(SIZE, 2 * i + 1); // distinct odd seeds: distinct objects
    const md5 = md5Bytes(data);
    store.addBytes(data, md5);
    entries.push({ relpath: `part-${i}.bin`, md5 });
  }
  return { md5: store.addDirObject(entries).md5 };
}

for (const kind of ["ssh", "webdav"] as const) {
  Deno.test({
    name: `killed ${kind} server mid-transfer: no corrupt object, rerun moves only the rest`,
    ignore: !available && !Deno.env.get("CI"),
    sanitizeResources: false,
    sanitizeOps: false,
    fn: async () => {
      const svcDir = Deno.makeTempDirSync({ prefix: "cairn-svc-" });
      const base = Deno.makeTempDirSync({ prefix: "cairn-interrupt-" });
      const svc = kind === "ssh" ? "ssh" : "http";
      await services(svcDir, "start", svc);
      const c = remoteCase(kind, readServicesEnv(svcDir));
      const open = () => openRemote(c.config, { name: kind, cacheDir: base });
      const src = new ObjectStore(`${base}/src`);
      const dst = new ObjectStore(`${base}/dst`);
      const dir = makeData(src);
      // One batch at a time, so the kill lands between batches of a running transfer.
      const opts = { jobs: 1, retries: 1, backoffMs: 50 };
      let remote: Remote | undefined;
      try {
        // Push, killing the server once the first batch is across.
        remote = await open();
        let killed = false;
        const first = await pushObjects(src, remote, [dir], {
          ...opts,
          onProgress: (p) => {
            if (!killed && p.phase === "transfer" && p.filesDone >= 16) {
              killed = true;
              killNow(svcDir, svc);
            }
          },
        });
        await remote.close();
        assert(first.failed.length > 0, "the kill should have failed some uploads");
        assertEquals(first.skippedDirs.length, 1, ".dir must not be pushed over a partial set");
        const landed = assertIntact(c.localRoot!);
        assertEquals(landed, first.transferred.length);
        assert(landed < N);

        // Rerun against the restarted server: only the rest moves.
        await services(svcDir, "start", svc);
        remote = await open();
        const second = await pushObjects(src, remote, [dir], opts);
        assertEquals(second.failed, []);
        assertEquals(second.transferred.length, N + 1 - landed);
        assertEquals(second.present.length, landed);
        assertEquals(assertIntact(c.localRoot!), N + 1);

        // Pull, killing the server part-way again.
        killed = false;
        const pulled = await fetchObjects(dst, remote, [dir], {
          ...opts,
          onProgress: (p) => {
            if (!killed && p.filesDone >= 16) {
              killed = true;
              killNow(svcDir, svc);
            }
          },
        });
        await remote.close();
        assert(pulled.failed.length > 0, "the kill should have failed some downloads");
        const got = assertIntact(`${base}/dst/files/md5`);
        assertEquals(got, pulled.transferred.length);
        for (const o of dst.list()) assertEquals(dst.verify(o.md5, { strict: true }), "ok");

        await services(svcDir, "start", svc);
        remote = await open();
        const rest = await fetchObjects(dst, remote, [dir], opts);
        assertEquals(rest.failed, []);
        assertEquals(rest.transferred.length, N + 1 - got);
        assertEquals(assertIntact(`${base}/dst/files/md5`), N + 1);
      } finally {
        await remote?.close();
        await services(svcDir, "stop", svc).catch(() => {});
        removeTree(svcDir);
        removeTree(base);
      }
    },
  });
}
