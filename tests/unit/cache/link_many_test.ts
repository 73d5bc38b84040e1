import { assert, assertEquals, assertStrictEquals } from "../../_rig/assert.ts";
import { linkMany } from "../../../lib/cache/link_many.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";

function objects(dir: string, n: number): { src: string; body: string }[] {
  Deno.mkdirSync(dir, { recursive: true });
  const out = [];
  for (let i = 0; i < n; i++) {
    const body = `object ${i}\n`.repeat(i % 7 + 1);
    const src = `${dir}/${md5Bytes(body)}`;
    Deno.writeTextFileSync(src, body, { mode: 0o444 });
    Deno.chmodSync(src, 0o444);
    out.push({ src, body });
  }
  return out;
}

Deno.test("linkMany: Workers copy every object, stamps match the files, no temp left", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-linkmany-" });
  try {
    const objs = objects(`${root}/cache`, 40);
    Deno.mkdirSync(`${root}/ws/a`, { recursive: true });
    const jobs = objs.map((o, i) => ({ src: o.src, dst: `${root}/ws/a/f${i}` }));
    const r = await linkMany(jobs, {
      type: "copy",
      tuning: { minFiles: 1, batchFiles: 3, mainThread: false },
    });
    assertEquals(r.failed, []);
    assertStrictEquals(r.byWorkers, 40);
    for (let i = 0; i < jobs.length; i++) {
      assertStrictEquals(Deno.readTextFileSync(jobs[i].dst), objs[i].body);
      const st = Deno.statSync(jobs[i].dst);
      assertEquals(r.stampAt(i), { ino: st.ino, mtimeMs: st.mtime!.getTime(), size: st.size });
      assertStrictEquals(st.mode! & 0o200, 0o200, "workspace copies are writable");
    }
    assertEquals([...Deno.readDirSync(`${root}/ws/a`)].length, 40, "only the files, no temps");
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("linkMany: a file that cannot be placed is handed back, the rest is linked", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-linkmany-" });
  try {
    const objs = objects(`${root}/cache`, 10);
    Deno.mkdirSync(`${root}/ws`, { recursive: true });
    // job 4's parent folder does not exist; job 7's object is gone
    const jobs = objs.map((o, i) => ({
      src: o.src,
      dst: i === 4 ? `${root}/ws/missing/f${i}` : `${root}/ws/f${i}`,
    }));
    Deno.removeSync(objs[7].src);
    for (const mainThread of [false, true]) {
      const r = await linkMany(jobs, {
        type: "copy",
        tuning: { minFiles: 1, batchFiles: 2, mainThread },
      });
      assertEquals(r.failed, [4, 7]);
      assertStrictEquals(r.stampAt(4), undefined);
      for (const i of [0, 1, 2, 3, 5, 6, 8, 9]) {
        assertStrictEquals(Deno.readTextFileSync(jobs[i].dst), objs[i].body);
      }
      const names = [...Deno.readDirSync(`${root}/ws`)].map((e) => e.name).sort();
      assert(!names.some((n) => n.endsWith(".tmp")), `no temp left: ${names}`);
      assert(!names.includes("f7"));
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("linkMany: inline below the threshold, hardlinks keep the object's inode", async () => {
  const root = Deno.makeTempDirSync({ prefix: "cairn-linkmany-" });
  try {
    const objs = objects(`${root}/cache`, 5);
    Deno.mkdirSync(`${root}/ws`, { recursive: true });
    const jobs = objs.map((o, i) => ({ src: o.src, dst: `${root}/ws/f${i}` }));
    const r = await linkMany(jobs, { type: "hardlink" });
    assertStrictEquals(r.byWorkers, 0);
    for (let i = 0; i < 5; i++) {
      assertStrictEquals(r.stampAt(i)!.ino, Deno.statSync(objs[i].src).ino);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});
