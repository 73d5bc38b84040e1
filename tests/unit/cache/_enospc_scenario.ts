/** Run inside a private tmpfs (see object_store_test.ts): fill it, then add an object. */
import { commitOutput } from "../../../lib/cache/checkout.ts";
import { ObjectStore } from "../../../lib/cache/object_store.ts";
import { CairnError } from "../../../lib/errors.ts";
import { md5Bytes } from "../../../lib/hash/md5.ts";

const mnt = Deno.args[0];
const src = Deno.makeTempFileSync(); // outside the tmpfs
const data = new Uint8Array(200 * 1024).fill(7);
Deno.writeFileSync(src, data);
const s = new ObjectStore(`${mnt}/cache`);
try {
  s.addFile(src, md5Bytes(data));
  console.log("FAIL: no error");
  Deno.exit(1);
} catch (err) {
  if (!(err instanceof CairnError)) throw err;
  const left: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else left.push(`${d}/${e.name}`);
    }
  };
  walk(mnt);
  if (left.length) {
    console.log("FAIL: left", left);
    Deno.exit(1);
  }
  if (s.has(md5Bytes(data))) Deno.exit(1);
  console.log("OK", err.message.replace(/ while.*/, ""));
} finally {
  Deno.removeSync(src);
}

// The commit path (objects stored while hashing) fails just as cleanly.
const ws = Deno.makeTempDirSync();
try {
  for (let i = 0; i < 4; i++) {
    const d = new Uint8Array(30 * 1024).fill(i + 1);
    Deno.writeFileSync(`${ws}/f${i}`, d);
  }
  await commitOutput({ rootDir: ws, cacheDir: `${mnt}/cache2`, linkTypes: ["copy"] }, ws);
  console.log("FAIL: commit did not fail");
  Deno.exit(1);
} catch (err) {
  if (!(err instanceof CairnError)) throw err;
  const tmps: string[] = [];
  const walk = (d: string) => {
    for (const e of Deno.readDirSync(d)) {
      if (e.isDirectory) walk(`${d}/${e.name}`);
      else if (e.name.endsWith(".tmp")) tmps.push(`${d}/${e.name}`);
    }
  };
  walk(mnt);
  if (tmps.length) {
    console.log("FAIL: temp files left", tmps);
    Deno.exit(1);
  }
  console.log("OK commit", err.message.replace(/ while.*/, ""));
} finally {
  Deno.removeSync(ws, { recursive: true });
}
