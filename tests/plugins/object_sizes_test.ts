/**
 * Objects at the sizes where the network plugins switch paths go up and come
 * back byte for byte, on the real servers: SSH (uploads up to 256 KiB from
 * memory in 32 KiB writes sent together with the close, fastPut above),
 * WebDAV (kept-alive client up to 1 MiB, fetch above) and S3 (whole body read
 * up to 1 MiB, streamed above). No temp object is left behind.
 */
import { assert, assertEquals } from "../_rig/assert.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import { md5Bytes } from "../../lib/hash/md5.ts";
import { fetchObjects, keyObject, pushObjects } from "../../lib/cache/transfer.ts";
import { pseudoRandom, remoteCase, removeTree, testOptions } from "./_remotes.ts";

const KiB = 1024;
const SIZES = [
  0,
  1,
  64 * KiB - 1,
  64 * KiB,
  64 * KiB + 1,
  200 * KiB,
  256 * KiB,
  256 * KiB + 1,
  1024 * KiB,
  1024 * KiB + 1,
];

for (const kind of ["ssh", "webdav", "s3"] as const) {
  const c = remoteCase(kind);
  Deno.test({
    name: `${kind}: objects at the plugin's size boundaries round-trip intact`,
    ...testOptions(c),
    fn: async () => {
      const base = Deno.makeTempDirSync({ prefix: "cairn-sizes-" });
      const src = new ObjectStore(`${base}/src`);
      const want = new Map<string, Uint8Array>();
      for (const [i, size] of SIZES.entries()) {
        const data = pseudoRandom(size, 101 + i);
        const md5 = md5Bytes(data);
        src.addBytes(data, md5);
        want.set(md5, data);
      }
      const objs = [...want.keys()].map((md5) => ({ md5 }));
      const remote = await openRemote(c.config, { name: kind, cacheDir: base });
      try {
        const pushed = await pushObjects(src, remote, objs);
        assertEquals(pushed.failed, []);
        assertEquals(pushed.transferred.length, SIZES.length);
        // only object keys: no temp name left behind
        const keys = await remote.list("");
        assertEquals(keys.filter((k) => !keyObject(k)), []);
        assertEquals(keys.length, SIZES.length);

        const dst = new ObjectStore(`${base}/dst`);
        const got = await fetchObjects(dst, remote, objs);
        assertEquals(got.failed, []);
        assertEquals(got.transferred.length, SIZES.length);
        for (const [md5, data] of want) {
          const back = Deno.readFileSync(dst.pathFor(md5));
          assert(back.length === data.length && md5Bytes(back) === md5, `${md5}: ${back.length}`);
        }
      } finally {
        await remote.remove(
          [...want.keys()].map((md5) => `files/md5/${md5.slice(0, 2)}/${md5.slice(2)}`),
        )
          .catch(() => {});
        await remote.close();
        removeTree(c.localRoot);
        removeTree(base);
      }
    },
  });
}
