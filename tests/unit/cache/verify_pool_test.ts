import { assertEquals } from "../../_rig/assert.ts";
import { VerifyPool } from "../../../lib/cache/verify_pool.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";

Deno.test("VerifyPool: a download's verdict from a Worker; undefined where it cannot settle it", async () => {
  const dir = Deno.makeTempDirSync();
  const pool = new VerifyPool(2);
  try {
    const data = new Uint8Array(100 << 10).map((_, i) => (i * 7) & 0xff);
    const md5 = md5Bytes(data);
    Deno.writeFileSync(`${dir}/good`, data);
    const bad = data.slice();
    bad[5000] ^= 1;
    Deno.writeFileSync(`${dir}/bad`, bad);
    const answers = await Promise.all([
      pool.verify(`${dir}/good`, data.length, md5),
      pool.verify(`${dir}/bad`, data.length, md5),
      // longer or shorter than announced, or gone: the caller's own path decides and reports
      pool.verify(`${dir}/good`, data.length - 1, md5),
      pool.verify(`${dir}/good`, data.length + 1, md5),
      pool.verify(`${dir}/missing`, data.length, md5),
      // many at once, spread over both Workers
      ...Array.from({ length: 20 }, () => pool.verify(`${dir}/good`, data.length, md5)),
    ]);
    assertEquals(answers.slice(0, 5), [true, false, undefined, undefined, undefined]);
    assertEquals(answers.slice(5), Array(20).fill(true));
    // closed with a question open: answered undefined, nothing left waiting
    const open = pool.verify(`${dir}/good`, data.length, md5);
    pool.close();
    assertEquals(await open, undefined);
  } finally {
    pool.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
