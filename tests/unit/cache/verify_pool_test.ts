import { assertEquals } from "../../_rig/assert.ts";
import { VerifyPool } from "../../../lib/cache/verify_pool.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";
import { lstatOrNull } from "../../../lib/fs/stat_or_null.ts";

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

Deno.test("VerifyPool.land: a Worker lands a good download read-only, keeps a bad one out, gives a blocked one's bytes back", async () => {
  const dir = Deno.makeTempDirSync();
  const pool = new VerifyPool(2);
  try {
    Deno.mkdirSync(`${dir}/files/md5/ab`, { recursive: true });
    const datas = Array.from({ length: 40 }, (_, i) => new Uint8Array(1024).fill(i));
    const md5s = datas.map((d) => md5Bytes(d));
    const at = (i: number) => `${dir}/files/md5/ab/${md5s[i]}`;
    const bad = datas[1].slice();
    bad[10] ^= 1;
    Deno.mkdirSync(at(2)); // a folder where the object goes: not taken for the object
    const moved = datas[0].slice();
    const answers = await Promise.all([
      pool.land(at(0), md5s[0], moved),
      pool.land(at(1), md5s[1], bad),
      pool.land(at(2), md5s[2], datas[2].slice()),
      ...datas.slice(3).map((d, k) => pool.land(at(k + 3), md5s[k + 3], d.slice())),
    ]);
    // the bytes of one not landed come back whole; landed ones were moved, not copied
    assertEquals(answers.slice(0, 3), ["landed", "corrupt", datas[2]]);
    assertEquals(answers.slice(3), Array(37).fill("landed"));
    assertEquals(moved.byteLength, 0);
    for (const i of [0, ...Array.from({ length: 37 }, (_, k) => k + 3)]) {
      assertEquals(Deno.readFileSync(at(i)), datas[i]);
      assertEquals(Deno.statSync(at(i)).mode! & 0o777, 0o444);
    }
    assertEquals(lstatOrNull(at(1)), null, "nothing at the bad one's name");
    assertEquals(Deno.lstatSync(at(2)).isDirectory, true, "the folder left as it was");
  } finally {
    pool.close();
    Deno.removeSync(dir, { recursive: true });
  }
});
