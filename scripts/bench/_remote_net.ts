/**
 * Network remotes (issue 16): push and pull of N x 1 KiB objects (one `.dir`;
 * 5,000, quick: 500) to the test servers `scripts/test_services.sh start`
 * runs on 127.0.0.1 (S3: moto, SSH: sshd, WebDAV: nginx), through the plugin
 * host and transfer engine, in objects/s, each against the server's own limit
 * measured in the same run by a plain client moving the same files with the
 * same number of requests in flight as cairn:
 *   S3      curl -Z (parallel) PUT / GET signed with --aws-sigv4
 *   WebDAV  curl -Z (parallel) PUT / GET (no temp name + MOVE: one request per object)
 *   SSH     OpenSSH `sftp -b` put / get over one connection, as cairn uses one
 * The ratio is the reference's objects/s over cairn's (1.0 = as fast as the plain client).
 * Runs alone too: `deno run -A scripts/bench/_remote_net.ts [--quick] [s3|ssh|webdav...]`.
 */
import type { BenchRow } from "../bench.ts";
import { ObjectStore } from "../../lib/cache/object_store.ts";
import {
  fetchObjects,
  gcRemote,
  pushObjects,
  remoteKey,
  type TransferObject,
} from "../../lib/cache/transfer.ts";
import { md5Bytes } from "../../lib/hash/md5.ts";
import { openRemote, type Remote } from "../../lib/plugin/remote.ts";
import {
  readServicesEnv,
  type RemoteCase,
  remoteCase,
  removeTree,
  ROOT,
} from "../../tests/plugins/_remotes.ts";
import { fillRandom, measureShell } from "./_util.ts";
import process from "node:process";

/** Requests in flight, cairn's and the reference's: 8 batches (4 jobs x 2 cores) x 4 items each. */
export const IN_FLIGHT = 32;

type Kind = "s3" | "ssh" | "webdav";
const KINDS: Kind[] = ["s3", "ssh", "webdav"];

interface Sample {
  seconds: number;
  cpu: number;
  /** the server's CPU seconds meanwhile. */
  server?: number;
}

/** `fn` timed, with the server's CPU use meanwhile. */
async function withServer(kind: Kind, fn: () => Promise<Sample>): Promise<Sample> {
  const s0 = serverCpu(kind);
  const m = await fn();
  return { ...m, server: serverCpu(kind) - s0 };
}

/** N distinct 1 KiB objects in `store`, listed by one `.dir`; returns it and the file md5s. */
function makeObjects(store: ObjectStore, n: number): { dir: TransferObject; files: string[] } {
  const buf = new Uint8Array(1024);
  const entries = [];
  const files: string[] = [];
  for (let i = 0; i < n; i++) {
    fillRandom(buf, 2 * i + 1);
    const md5 = md5Bytes(buf);
    store.addBytes(buf, md5);
    entries.push({ relpath: `d${i % 100}/f${i}`, md5 });
    files.push(md5);
  }
  return { dir: { md5: store.addDirObject(entries).md5 }, files };
}

/**
 * CPU seconds the server has used so far: its process, its live children
 * (nginx workers) and the children it reaped (sshd's per-connection ones).
 */
function serverCpu(kind: Kind): number {
  const dir = Deno.env.get("CAIRN_SERVICES_DIR") ?? `${ROOT}/.tools/services`;
  const name = kind === "webdav" ? "http" : kind;
  let total = 0;
  const add = (pid: string, reaped: boolean) => {
    try {
      // fields after the ")" of comm: 14-17 are utime stime cutime cstime (1-based)
      const f = Deno.readTextFileSync(`/proc/${pid}/stat`).split(") ")[1].split(" ");
      total += Number(f[11]) + Number(f[12]) + (reaped ? Number(f[13]) + Number(f[14]) : 0);
      const kids = Deno.readTextFileSync(`/proc/${pid}/task/${pid}/children`).trim();
      for (const k of kids ? kids.split(" ") : []) add(k, false);
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
  };
  try {
    add(Deno.readTextFileSync(`${dir}/${name}.pid`).trim(), true);
  } catch (err) {
    if (!(err instanceof Deno.errors.NotFound)) throw err;
  }
  return total / 100; // USER_HZ
}

/** Wall and CPU (this process: host + plugin Workers) of `fn`. */
async function timed(fn: () => Promise<unknown>): Promise<Sample> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const seconds = (performance.now() - t0) / 1000;
  const c = process.cpuUsage(c0);
  return { seconds, cpu: (c.user + c.system) / 1e6 };
}

const q = (s: string) => `"${s.replace(/["\\]/g, (c) => `\\${c}`)}"`;

/** curl config lines moving `pairs` (local path, URL) in the given direction. */
function curlConfig(pairs: [string, string][], dir: "put" | "get"): string {
  return pairs.map(([path, url]) =>
    dir === "put"
      ? `url = ${q(url)}\nupload-file = ${q(path)}\noutput = "/dev/null"\n`
      : `url = ${q(url)}\noutput = ${q(path)}\n`
  ).join("");
}

/** The plain client's command for one direction (paths relative to nothing: all absolute). */
function referenceScript(
  c: RemoteCase,
  env: Record<string, string>,
  work: string,
  refPrefix: string,
  keys: [string, string][],
  dir: "put" | "get",
): string {
  const cfg = `${work}/ref-${dir}.cfg`;
  if (c.kind === "ssh") {
    const root = `${env.CAIRN_TEST_SSH_ROOT}/${refPrefix}`;
    const lines: string[] = [];
    if (dir === "put") {
      const dirs = new Set<string>([root, `${root}/files`, `${root}/files/md5`]);
      for (const [, key] of keys) dirs.add(`${root}/${key.slice(0, key.lastIndexOf("/"))}`);
      for (const d of dirs) lines.push(`-mkdir ${q(d)}`);
      for (const [path, key] of keys) lines.push(`put ${q(path)} ${q(`${root}/${key}`)}`);
    } else {
      for (const [path, key] of keys) lines.push(`get ${q(`${root}/${key}`)} ${q(path)}`);
    }
    Deno.writeTextFileSync(cfg, lines.join("\n") + "\n");
    return `sftp -q -b '${cfg}' -i '${env.CAIRN_TEST_SSH_KEYFILE}' -P ${env.CAIRN_TEST_SSH_PORT} ` +
      `-o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null ` +
      `-o LogLevel=ERROR '${env.CAIRN_TEST_SSH_USER}@${env.CAIRN_TEST_SSH_HOST}' >/dev/null`;
  }
  const base = c.kind === "s3"
    ? `${env.CAIRN_TEST_S3_ENDPOINT}/${env.CAIRN_TEST_S3_BUCKET}/${refPrefix}`
    : `${env.CAIRN_TEST_HTTP_URL}/${refPrefix}`;
  Deno.writeTextFileSync(
    cfg,
    curlConfig(keys.map(([path, key]) => [path, `${base}/${key}`]), dir),
  );
  const sign = c.kind === "s3" ? `--aws-sigv4 'aws:amz:us-east-1:s3' --user testing:testing ` : "";
  return `curl -sS -f -Z --parallel-max ${IN_FLIGHT} --create-dirs ${sign}-K '${cfg}'`;
}

/** Remove what the reference client uploaded under `refPrefix`. */
async function dropReference(c: RemoteCase, env: Record<string, string>, refPrefix: string) {
  if (c.kind === "ssh") return removeTree(`${env.CAIRN_TEST_SSH_ROOT}/${refPrefix}`);
  if (c.kind === "webdav") return removeTree(`${env.CAIRN_TEST_HTTP_ROOT}/${refPrefix}`);
  const r = await openRemote(
    { ...c.config, url: `s3://${env.CAIRN_TEST_S3_BUCKET}/${refPrefix}` },
    {
      name: "ref",
    },
  );
  try {
    await gcRemote(r, []);
  } finally {
    await r.close();
  }
}

async function one(
  kind: Kind,
  env: Record<string, string>,
  root: string,
  n: number,
): Promise<BenchRow[]> {
  const c = remoteCase(kind, env);
  if (c.unavailable) {
    console.error(`  ${kind}: ${c.unavailable}: rows skipped`);
    return [];
  }
  const work = `${root}/net-${kind}`;
  Deno.mkdirSync(work, { recursive: true });
  const src = new ObjectStore(`${work}/src`);
  const { dir, files } = makeObjects(src, n);
  const refPrefix = `ref-${Date.now().toString(36)}-${kind}`;
  const keys: [string, string][] = files.map((md5) => [
    src.pathFor(md5),
    remoteKey({ md5 }),
  ]);
  const pulledRef: [string, string][] = files.map((md5, i) => [
    `${work}/ref-pull/${Math.floor(i / 256)}/${md5}`,
    remoteKey({ md5 }),
  ]);
  for (let i = 0; i * 256 < n; i++) Deno.mkdirSync(`${work}/ref-pull/${i}`, { recursive: true });
  const rows: BenchRow[] = [];
  const label = `${n} x 1 KiB`;
  const row = (what: string, moved: number, m: Sample, ref: Sample, refName: string) => {
    console.error(
      `  ${kind} ${what}: cairn ${(moved / m.seconds).toFixed(0)} objects/s (${
        m.seconds.toFixed(2)
      } s, CPU ${m.cpu.toFixed(2)} s, server ${m.server?.toFixed(2)} s), ${refName} ${
        (n / ref.seconds).toFixed(0)
      } objects/s (${ref.seconds.toFixed(2)} s, CPU ${ref.cpu.toFixed(2)} s, server ${
        ref.server?.toFixed(2)
      } s)`,
    );
    rows.push({
      name: `${what} ${label} ${
        kind === "s3" ? "S3 (moto)" : kind === "ssh" ? "SSH (sshd)" : "WebDAV (nginx)"
      }`,
      value: moved / m.seconds,
      unit: "objects/s",
      reference: refName,
      referenceValue: n / ref.seconds,
      ratio: (n / ref.seconds) / (moved / m.seconds),
    });
  };
  const refName = kind === "ssh" ? "sftp -b, 1 connection" : `curl -Z, ${IN_FLIGHT} in flight`;
  const remote: Remote = await openRemote(c.config, { name: kind, cacheDir: work });
  try {
    // Connect first (and learn the remote is there) outside the timed part, as the reference does in its own run.
    await remote.list("files/md5/00/");
    let pushed = 0;
    const push = await withServer(kind, () =>
      timed(async () => {
        pushed = (await pushObjects(src, remote, [dir])).transferred.length - 1; // minus the .dir
      }));
    const refPush = await withServer(
      kind,
      () => measureShell(referenceScript(c, env, work, refPrefix, keys, "put")),
    );
    row("push", pushed, push, refPush, refName);

    let pulled = 0;
    const dst = new ObjectStore(`${work}/pulled`);
    const pull = await withServer(kind, () =>
      timed(async () => {
        pulled = (await fetchObjects(dst, remote, [dir])).transferred.length - 1;
      }));
    const refPull = await withServer(
      kind,
      () => measureShell(referenceScript(c, env, work, refPrefix, pulledRef, "get")),
    );
    row("pull", pulled, pull, refPull, refName);
    // Leave the shared test servers as they were.
    await gcRemote(remote, []);
  } finally {
    await remote.close();
    await dropReference(c, env, refPrefix).catch((e) => console.error(`  cleanup: ${e}`));
    removeTree(c.localRoot);
    removeTree(work);
  }
  return rows;
}

/** The network rows: S3, SSH and WebDAV, each server that is running. */
export async function networkRows(
  root: string,
  quick: boolean,
  kinds: Kind[] = KINDS,
): Promise<BenchRow[]> {
  const env = readServicesEnv();
  const n = quick ? 500 : 5_000;
  const rows: BenchRow[] = [];
  for (const k of kinds) rows.push(...await one(k, env, root, n));
  return rows;
}

if (import.meta.main) {
  const quick = Deno.args.includes("--quick");
  const kinds = Deno.args.filter((a): a is Kind => (KINDS as string[]).includes(a));
  const dirArg = Deno.args.indexOf("--dir");
  const root = dirArg >= 0 ? Deno.args[dirArg + 1] : Deno.makeTempDirSync({ prefix: "cairn-net-" });
  const rows = await networkRows(root, quick, kinds.length ? kinds : KINDS);
  for (const r of rows) {
    console.log(
      `${r.name}\t${r.value.toFixed(0)} ${r.unit}\t${r.reference}\t${
        r.referenceValue?.toFixed(0)
      }\t${r.ratio?.toFixed(2)}x`,
    );
  }
}
