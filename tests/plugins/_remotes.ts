/**
 * The remotes the plugin tests run against: a temp folder, and the real
 * servers `scripts/test_services.sh start` put on 127.0.0.1 (connection info
 * in its env file). A server that is not running skips its tests locally and
 * fails them in CI (CI must run everything).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import type { RemoteConfig } from "../../lib/plugin/remote.ts";
import "../../plugins/builtin.ts";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

export function servicesDir(): string {
  return Deno.env.get("CAIRN_SERVICES_DIR") ?? join(ROOT, ".tools", "services");
}

export function readServicesEnv(dir = servicesDir()): Record<string, string> {
  try {
    const out: Record<string, string> = {};
    for (const line of Deno.readTextFileSync(join(dir, "services.env")).split("\n")) {
      const i = line.indexOf("=");
      if (i > 0) out[line.slice(0, i)] = line.slice(i + 1);
    }
    return out;
  } catch {
    return {};
  }
}

export type RemoteKind = "local" | "s3" | "ssh" | "webdav";
export const REMOTE_KINDS: RemoteKind[] = ["local", "s3", "ssh", "webdav"];

export interface RemoteCase {
  kind: RemoteKind;
  config: RemoteConfig;
  /** a read-only http:// view of the same data (webdav only). */
  httpConfig?: RemoteConfig;
  /** where the remote's files are on this machine (not for S3). */
  localRoot?: string;
  /** why the case cannot run (service not started). */
  unavailable?: string;
}

/** Why a server is absent: what is not installed (test_services.sh wrote it), else not started. */
function why(missing: string | undefined, server: string): string {
  return missing
    ? `not installed: ${missing}`
    : `no ${server} server running (run scripts/test_services.sh start)`;
}

/** A remote of `kind` rooted at a fresh, unique prefix. */
export function remoteCase(kind: RemoteKind, env = readServicesEnv()): RemoteCase {
  const prefix = `t-${Date.now().toString(36)}-${crypto.randomUUID().slice(0, 8)}`;
  switch (kind) {
    case "local": {
      const dir = Deno.makeTempDirSync({ prefix: "cairn-remote-" });
      return { kind, config: { url: join(dir, "store") }, localRoot: join(dir, "store") };
    }
    case "s3":
      if (!env.CAIRN_TEST_S3_ENDPOINT) {
        return { kind, config: {}, unavailable: why(env.CAIRN_TEST_S3_MISSING, "S3") };
      }
      return {
        kind,
        config: {
          url: `s3://${env.CAIRN_TEST_S3_BUCKET}/${prefix}`,
          endpointurl: env.CAIRN_TEST_S3_ENDPOINT,
          access_key_id: "testing",
          secret_access_key: "testing",
        },
      };
    case "ssh":
      if (!env.CAIRN_TEST_SSH_PORT) {
        return { kind, config: {}, unavailable: why(env.CAIRN_TEST_SSH_MISSING, "SSH") };
      }
      return {
        kind,
        config: {
          url:
            `ssh://${env.CAIRN_TEST_SSH_HOST}:${env.CAIRN_TEST_SSH_PORT}${env.CAIRN_TEST_SSH_ROOT}/${prefix}`,
          user: env.CAIRN_TEST_SSH_USER,
          keyfile: env.CAIRN_TEST_SSH_KEYFILE,
        },
        localRoot: `${env.CAIRN_TEST_SSH_ROOT}/${prefix}`,
      };
    case "webdav": {
      if (!env.CAIRN_TEST_HTTP_URL) {
        return { kind, config: {}, unavailable: why(env.CAIRN_TEST_HTTP_MISSING, "WebDAV") };
      }
      const hostPort = env.CAIRN_TEST_HTTP_URL.replace(/^http:\/\//, "");
      return {
        kind,
        config: { url: `webdav://${hostPort}/${prefix}` },
        httpConfig: { url: `http://${hostPort}/${prefix}` },
        localRoot: `${env.CAIRN_TEST_HTTP_ROOT}/${prefix}`,
      };
    }
  }
}

/** Deno.test options for a case: skipped locally when its server is absent, never in CI. */
export function testOptions(c: RemoteCase): { ignore: boolean } {
  if (c.unavailable && !Deno.env.get("CI")) {
    console.error(`skipping ${c.kind} remote tests: ${c.unavailable}`);
    return { ignore: true };
  }
  return { ignore: false };
}

/** Deterministic pseudo-random bytes (xorshift32), fast for large sizes. */
export function pseudoRandom(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  const words = new Uint32Array(out.buffer, 0, Math.floor(size / 4));
  let x = seed | 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x >>> 0;
  }
  for (let i = words.length * 4; i < size; i++) out[i] = i & 0xff;
  return out;
}

export function removeTree(path: string | undefined): void {
  if (!path) return;
  try {
    Deno.removeSync(path, { recursive: true });
  } catch { /* already gone */ }
}
