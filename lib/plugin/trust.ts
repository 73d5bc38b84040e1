/**
 * Trust in project plugins comes from the user, never from the repository.
 *
 * A project plugin (named under `plugins:` in `.dvc/cairn.yaml`) brings its
 * manifest - the permissions it asks for - and its code in the same clone, so
 * neither can vouch for the other. It runs only after the user said
 * `cairn plugins trust NAME`, which records, outside the repository (in
 * `$XDG_CONFIG_HOME/cairn/trusted.json`, default `~/.config/cairn/`), the
 * plugin's real folder and a SHA-256 digest of every file in it. Trust
 * follows the digest: any change to the manifest or code needs trust again,
 * and a byte-identical copy elsewhere (a re-clone, an experiment's temporary
 * worktree) is the code the user approved. Built-in plugins are part of the
 * installed binary and need none.
 *
 * The folder itself is checked too: a symlink in it that leads outside would
 * let the plugin's Worker, which may read its own folder, read elsewhere
 * (Deno checks path strings), so such a folder is refused outright.
 */
import { sha256Hex } from "../hash/sha256.ts";
import { CairnError, ConfigError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";

/** Limits on what a plugin folder may hold (the digest reads all of it). */
const MAX_ENTRIES = 5_000;
const MAX_BYTES = 64 * 1024 * 1024;

export type TrustState = "built-in" | "trusted" | "untrusted" | "changed";

export interface TrustRecord {
  /** the plugin's manifest name when it was trusted. */
  name: string;
  /** real path of the plugin folder. */
  folder: string;
  /** `sha256:<hex>` over the folder's files (see {@link pluginDigest}). */
  digest: string;
  /** ISO time the user trusted it. */
  trustedAt: string;
}

interface TrustFile {
  version: 1;
  plugins: TrustRecord[];
}

/** What trust needs to know about a plugin (a PluginSpec fits). */
export interface TrustSubject {
  manifest: { name: string };
  builtin: boolean;
  /** the plugin's folder ("built-in" for built-ins). */
  source: string;
}

/** A project plugin the user has not trusted (or that changed since). */
export class PluginUntrustedError extends CairnError {
  constructor(readonly plugin: string, readonly folder: string, readonly state: TrustState) {
    super(
      state === "changed"
        ? `project plugin '${plugin}' (${folder}) changed since you trusted it; it was not run`
        : `project plugin '${plugin}' (${folder}) is not trusted; it was not run`,
      {
        hint: `a project's plugins run only with your consent: review ${folder} ` +
          `(its manifest.ts lists the permissions it asks for), then run ` +
          `'cairn plugins trust ${plugin}'`,
      },
    );
  }
}

/** Where trust records live: outside every repository, in the user's config dir. */
export function trustFilePath(
  env: Record<string, string | undefined> = Deno.env.toObject(),
): string {
  const base = env.XDG_CONFIG_HOME || `${env.HOME || "/"}/.config`;
  return `${base.replace(/\/+$/, "")}/cairn/trusted.json`;
}

function readTrustFile(path: string): TrustFile {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return { version: 1, plugins: [] };
    throw err;
  }
  try {
    const data = JSON.parse(text) as TrustFile;
    if (data?.version !== 1 || !Array.isArray(data.plugins)) throw new Error("unknown format");
    return data;
  } catch (err) {
    throw new ConfigError(`cannot read the plugin trust file ${path}: ${(err as Error).message}`, {
      hint: "fix or delete it (then trust the plugins again)",
    });
  }
}

function isWithin(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir.endsWith("/") ? dir : dir + "/");
}

/** The real folder of a project plugin. */
export function pluginFolder(s: TrustSubject): string {
  try {
    const real = Deno.realPathSync(s.source);
    // `plugins:` may name the manifest file itself.
    return Deno.statSync(real).isFile ? real.slice(0, real.lastIndexOf("/")) || "/" : real;
  } catch (err) {
    throw new ConfigError(`plugin '${s.manifest.name}': its folder ${s.source} is gone`, {
      cause: err,
    });
  }
}

/**
 * SHA-256 over every entry of a plugin folder, sorted by relative path:
 * file contents, and the text of symlinks (which must stay inside the
 * folder). Throws ConfigError for a link leading out, special files, or a
 * folder too large to vouch for.
 */
export function pluginDigest(folder: string, name = "plugin"): string {
  // The pieces are hashed as one buffer at the end (at most MAX_BYTES of files):
  // lib/hash/sha256.ts, not node:crypto, whose import costs every push/pull a
  // few hundred ms of loading Deno's Node-compat layer.
  const enc = new TextEncoder();
  const pieces: Uint8Array[] = [];
  const h = {
    update: (d: Uint8Array | string) => pieces.push(typeof d === "string" ? enc.encode(d) : d),
  };
  let entries = 0;
  let bytes = 0;
  const walk = (rel: string) => {
    const dir = rel ? `${folder}/${rel}` : folder;
    const names = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
    for (const n of names) {
      const r = rel ? `${rel}/${n}` : n;
      const p = `${folder}/${r}`;
      if (++entries > MAX_ENTRIES) {
        throw new ConfigError(
          `plugin '${name}': its folder ${folder} has more than ${MAX_ENTRIES} entries`,
          { hint: "a plugin folder holds the plugin's code only" },
        );
      }
      const st = Deno.lstatSync(p);
      if (st.isSymlink) {
        const target = Deno.readLinkSync(p);
        let real: string;
        try {
          real = Deno.realPathSync(p);
        } catch {
          real = target.startsWith("/") ? target : `${dir}/${target}`;
        }
        if (!isWithin(real, folder)) {
          throw new ConfigError(
            `plugin '${name}': '${p}' is a symlink to '${target}', outside the plugin's folder; ` +
              `the plugin could read through it, so it is not loaded`,
            { hint: "a plugin folder must not link outside itself: remove the link" },
          );
        }
        h.update(`L ${r}\0${target}\0`);
      } else if (st.isDirectory) {
        h.update(`D ${r}\0`);
        walk(r);
      } else if (st.isFile) {
        bytes += st.size;
        if (bytes > MAX_BYTES) {
          throw new ConfigError(
            `plugin '${name}': its folder ${folder} holds more than ${MAX_BYTES} bytes`,
            { hint: "a plugin folder holds the plugin's code only" },
          );
        }
        const data = Deno.readFileSync(p);
        h.update(`F ${r}\0${data.length}\0`);
        h.update(data);
      } else {
        throw new ConfigError(`plugin '${name}': '${p}' is not a regular file or folder`);
      }
    }
  };
  walk("");
  const all = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    all.set(p, at);
    at += p.length;
  }
  return `sha256:${sha256Hex(all)}`;
}

/** Built-in, trusted, untrusted, or changed since it was trusted. */
export function trustState(s: TrustSubject, opts: { file?: string } = {}): TrustState {
  if (s.builtin) return "built-in";
  const folder = pluginFolder(s);
  const records = readTrustFile(opts.file ?? trustFilePath()).plugins;
  const digest = pluginDigest(folder, s.manifest.name);
  // Trust is in the files, wherever they are: a byte-identical copy (another
  // clone, an experiment's temporary worktree) is the code the user approved.
  if (records.some((r) => r.digest === digest && r.name === s.manifest.name)) return "trusted";
  return records.some((r) => r.folder === folder) ? "changed" : "untrusted";
}

/** Throw PluginUntrustedError unless `s` is built-in or trusted as it is now. */
export function requireTrusted(s: TrustSubject, opts: { file?: string } = {}): void {
  const state = trustState(s, opts);
  if (state === "built-in" || state === "trusted") return;
  throw new PluginUntrustedError(s.manifest.name, s.source, state);
}

/** Record the user's trust in `s` as it is now (replacing earlier records of its folder). */
export function trustPlugin(s: TrustSubject, opts: { file?: string } = {}): TrustRecord {
  if (s.builtin) {
    throw new CairnError(`plugin '${s.manifest.name}' is built-in; it needs no trust`);
  }
  const file = opts.file ?? trustFilePath();
  const folder = pluginFolder(s);
  const record: TrustRecord = {
    name: s.manifest.name,
    folder,
    digest: pluginDigest(folder, s.manifest.name),
    trustedAt: new Date().toISOString(),
  };
  withTrustFileLock(file, () => {
    const data = readTrustFile(file);
    data.plugins = data.plugins.filter((r) => r.folder !== folder);
    data.plugins.push(record);
    writeTextAtomic(file, JSON.stringify(data, null, 2) + "\n");
  });
  return record;
}

/** Read-modify-write of the trust file, one cairn at a time (no lost records). */
function withTrustFileLock<T>(file: string, fn: () => T): T {
  Deno.mkdirSync(file.slice(0, file.lastIndexOf("/")) || "/", { recursive: true });
  const lock = Deno.openSync(`${file}.lock`, { create: true, write: true });
  try {
    lock.lockSync(true);
    return fn();
  } finally {
    lock.close(); // releases the lock
  }
}

/** Forget the trust in `s`; returns whether there was any. */
export function untrustPlugin(s: TrustSubject, opts: { file?: string } = {}): boolean {
  if (s.builtin) {
    throw new CairnError(`plugin '${s.manifest.name}' is built-in; it cannot be untrusted`);
  }
  const file = opts.file ?? trustFilePath();
  const folder = pluginFolder(s);
  const digest = pluginDigest(folder, s.manifest.name);
  return withTrustFileLock(file, () => {
    const data = readTrustFile(file);
    // This folder's records, and any record vouching for these very files elsewhere.
    const kept = data.plugins.filter((r) => r.folder !== folder && r.digest !== digest);
    if (kept.length === data.plugins.length) return false;
    data.plugins = kept;
    writeTextAtomic(file, JSON.stringify(data, null, 2) + "\n");
    return true;
  });
}
