/** Run inside a private 1 MiB tmpfs (see hash_store_large_test.ts): store a large file there. */
import { CONCURRENT_COPY_MIN, hashAndStoreLarge } from "../../../lib/hash/_hash_store.ts";
import { CairnError } from "../../../lib/errors.ts";

const mnt = Deno.args[0];
const src = Deno.makeTempFileSync(); // outside the tmpfs
Deno.writeFileSync(src, new Uint8Array(CONCURRENT_COPY_MIN).fill(3));
try {
  await hashAndStoreLarge(src, CONCURRENT_COPY_MIN, { root: `${mnt}/cache/files/md5` });
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
  console.log("OK", err.message.replace(/ while.*/, ""));
} finally {
  Deno.removeSync(src);
}
