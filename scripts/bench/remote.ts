/**
 * Remote transfers through the plugin host and transfer engine:
 *  - push / pull of N x 1 KiB objects (one .dir; 100k, quick: 5k) to a local-folder
 *    remote  vs  `cp -r` of the same object files
 *  - push / pull of one big object (1 GiB, quick: 64 MiB)  vs  `cp`
 *  - push to the S3 test server (moto, if running: scripts/test_services.sh start)
 *    in objects per second (5k, quick: 500)
 */
import type { BenchOptions, BenchRow } from "../bench.ts";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import {
  fetchObjects,
  gcRemote,
  pushObjects,
  type TransferObject,
} from "../../lib/cache/transfer.ts";
import { md5Bytes } from "../../lib/hash/md5.ts";
import { openRemote, type RemoteConfig } from "../../lib/plugin/remote.ts";
import { readServicesEnv } from "../../tests/plugins/_remotes.ts";
import { fillRandom, shell, timeIt, timeShell } from "./_util.ts";

function smallObjects(store: ObjectStore, n: number): TransferObject {
  const buf = new Uint8Array(1024);
  const entries = [];
  for (let i = 0; i < n; i++) {
    fillRandom(buf, 2 * i + 1);
    const md5 = md5Bytes(buf);
    store.addBytes(buf, md5);
    entries.push({ relpath: `d${i % 100}/f${i}`, md5 });
  }
  return { md5: store.addDirObject(entries).md5 };
}

function bigObject(store: ObjectStore, size: number): TransferObject {
  const chunk = new Uint8Array(64 << 20);
  const path = `${store.cacheDir}/big.tmp`;
  Deno.mkdirSync(store.cacheDir, { recursive: true });
  const f = Deno.openSync(path, { write: true, create: true, truncate: true });
  for (let off = 0, i = 0; off < size; off += chunk.length, i++) {
    fillRandom(chunk, 7 + 2 * i);
    f.writeSync(chunk.subarray(0, Math.min(chunk.length, size - off)));
  }
  f.close();
  const md5 = new TextDecoder().decode(
    new Deno.Command("md5sum", { args: [path] }).outputSync().stdout,
  ).slice(0, 32);
  store.addFile(path, md5);
  Deno.removeSync(path);
  return { md5 };
}

async function pushPull(
  root: string,
  label: string,
  store: ObjectStore,
  obj: TransferObject,
  refPath: string,
): Promise<BenchRow[]> {
  const remoteDir = `${root}/remote-${label}`;
  const remote = await openRemote({ url: remoteDir }, { name: "bench", cacheDir: root });
  const rows: BenchRow[] = [];
  try {
    let pushed = 0;
    const push = await timeIt(async () => {
      pushed = (await pushObjects(store, remote, [obj])).transferred.length;
    });
    const refPush = await timeShell(`cp -r '${refPath}' '${root}/cp-${label}'`);
    rows.push({
      name: `push ${label} to local remote (${pushed} objects)`,
      value: push,
      unit: "s",
      reference: "cp -r",
      referenceValue: refPush,
      ratio: push / refPush,
    });
    await shell(`rm -rf '${root}/cp-${label}'`);

    const dst = new ObjectStore(`${root}/pulled-${label}`);
    const pull = await timeIt(async () => {
      await fetchObjects(dst, remote, [obj]);
    });
    const refPull = await timeShell(`cp -r '${refPath}' '${root}/cp-${label}'`);
    rows.push({
      name: `pull ${label} from local remote (md5-verified)`,
      value: pull,
      unit: "s",
      reference: "cp -r",
      referenceValue: refPull,
      ratio: pull / refPull,
    });
    await shell(`rm -rf '${root}/cp-${label}' '${root}/pulled-${label}' '${remoteDir}'`);
  } finally {
    await remote.close();
  }
  return rows;
}

export async function run(opts: BenchOptions): Promise<BenchRow[]> {
  const root = opts.workDir;
  Deno.mkdirSync(root, { recursive: true });
  const rows: BenchRow[] = [];
  const n = opts.quick ? 5_000 : 100_000;

  const small = new ObjectStore(`${root}/small`);
  const dir = smallObjects(small, n);
  rows.push(...await pushPull(root, `${n} x 1 KiB`, small, dir, `${root}/small/files`));
  await shell(`rm -rf '${root}/small'`);

  const bigSize = opts.quick ? 64 << 20 : 1 << 30;
  const big = new ObjectStore(`${root}/big`);
  const bigObj = bigObject(big, bigSize);
  const label = opts.quick ? "64 MiB file" : "1 GiB file";
  rows.push(...await pushPull(root, label, big, bigObj, big.pathFor(bigObj.md5)));
  await shell(`rm -rf '${root}/big'`);

  const env = readServicesEnv();
  if (env.CAIRN_TEST_S3_ENDPOINT) {
    const m = opts.quick ? 500 : 5_000;
    const store = new ObjectStore(`${root}/s3src`);
    const sdir = smallObjects(store, m);
    const config: RemoteConfig = {
      url: `s3://${env.CAIRN_TEST_S3_BUCKET}/bench-${Date.now()}`,
      endpointurl: env.CAIRN_TEST_S3_ENDPOINT,
      access_key_id: "testing",
      secret_access_key: "testing",
    };
    const remote = await openRemote(config, { name: "s3", cacheDir: root });
    try {
      let moved = 0;
      const t = await timeIt(async () => {
        moved = (await pushObjects(store, remote, [sdir])).transferred.length;
      });
      rows.push({
        name: `push ${moved} x 1 KiB to S3 (moto)`,
        value: moved / t,
        unit: "objects/s",
      });
      // Leave the shared test server as it was.
      await gcRemote(remote, []);
    } finally {
      await remote.close();
    }
  } else {
    console.error("  S3 server not running (scripts/test_services.sh start): S3 row skipped");
  }
  return rows;
}
