/**
 * Remote transfers as users run them: `scripts/cairn push` of a tracked folder
 * to an empty local-folder remote and `scripts/cairn pull` into a fresh
 * `git clone`, against `cp -r` of the same object files in the same run
 * (quick: 5k x 1 KiB; full: 100k x 1 KiB in 100 folders and 20k x 100 KiB).
 * Nothing is deleted between the timed runs (ext4 without a journal, as here,
 * makes file creation slow for a while after mass deletions, which would
 * favour whichever side runs first).
 *
 * Then the library-level rows, through the plugin host and transfer engine:
 *  - push / pull of N x 1 KiB objects (one .dir; 100k, quick: 5k) to a local-folder
 *    remote  vs  `cp -r` of the same object files
 *  - push / pull of one big object (1 GiB, quick: 64 MiB)  vs  `cp`
 *  - push / pull of 5k x 1 KiB (quick: 500) to the S3, SSH and WebDAV test
 *    servers (scripts/test_services.sh start) in objects/s, against a plain
 *    client (curl, sftp) on the same server: scripts/bench/_remote_net.ts
 */
import type { BenchOptions, BenchRow } from "../bench.ts";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import { fetchObjects, pushObjects, type TransferObject } from "../../lib/cache/transfer.ts";
import { md5Bytes } from "../../lib/hash/md5.ts";
import { openRemote } from "../../lib/plugin/remote.ts";
import { networkRows } from "./_remote_net.ts";
import { fillRandom, measure, measureShell, shell, timeIt, timeShell, writeTree } from "./_util.ts";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const CAIRN = join(dirname(fileURLToPath(import.meta.url)), "..", "cairn");
const GIT_ENV = {
  GIT_AUTHOR_NAME: "bench",
  GIT_AUTHOR_EMAIL: "bench@example.invalid",
  GIT_COMMITTER_NAME: "bench",
  GIT_COMMITTER_EMAIL: "bench@example.invalid",
};

/** CLI push to an empty local remote and pull into a fresh clone, each vs `cp -r`. */
async function cliPushPull(root: string, n: number, size: number): Promise<BenchRow[]> {
  const label = `${n} x ${size >= 1024 ? `${size >> 10} KiB` : `${size} B`}`;
  const dir = `${root}/cli-${n}-${size}`;
  const repo = `${dir}/repo`;
  const run = (args: string[], cwd: string) => measure(CAIRN, args, { cwd, env: GIT_ENV });
  Deno.mkdirSync(repo, { recursive: true });
  await shell("git init -q", repo);
  await run(["init", "-q"], repo);
  writeTree(`${repo}/data`, n, size);
  await run(["add", "-q", "data"], repo);
  await run(["remote", "add", "-d", "store", `${dir}/remote`], repo);
  await measure("sh", ["-c", "git add -A && git commit -qm data"], { cwd: repo, env: GIT_ENV });

  const rows: BenchRow[] = [];
  const row = (name: string, m: { seconds: number; cpu: number }, ref: { seconds: number }) => {
    console.error(
      `  ${name}: ${m.seconds.toFixed(2)} s (CPU ${m.cpu.toFixed(2)} s), cp -r ${
        ref.seconds.toFixed(2)
      } s`,
    );
    rows.push({
      name,
      value: m.seconds,
      unit: "s",
      reference: "cp -r",
      referenceValue: ref.seconds,
      ratio: m.seconds / ref.seconds,
      target: "<= 1.5x",
    });
  };
  const push = await run(["push", "-q"], repo);
  const refPush = await measureShell(`cp -r .dvc/cache/files '${dir}/cp-push'`, repo);
  row(`cairn push ${label} to an empty local remote`, push, refPush);

  await shell(`git clone -q '${repo}' '${dir}/clone'`);
  const pull = await run(["pull", "-q"], `${dir}/clone`);
  const refPull = await measureShell(`cp -r '${dir}/remote/files' '${dir}/cp-pull'`);
  row(`cairn pull ${label} into a fresh clone`, pull, refPull);
  await shell(`chmod -R u+w '${dir}' && rm -rf '${dir}'`);
  return rows;
}

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
  rows.push(...await cliPushPull(root, n, 1024));
  if (!opts.quick) rows.push(...await cliPushPull(root, 20_000, 100 << 10));

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

  // S3 / SSH / WebDAV against a plain client on the same server (scripts/bench/_remote_net.ts).
  rows.push(...await networkRows(root, opts.quick));
  return rows;
}
