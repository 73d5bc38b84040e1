/** Scratch projects and a loopback HTTP server for the sandbox tests. */
import { createHash } from "node:crypto";

export interface Project {
  root: string;
  cacheDir: string;
  /** a folder outside the project (visible read-only inside the sandbox). */
  outside: string;
  cleanup(): Promise<void>;
}

/**
 * A small DVC-like project: .git, .dvc/cache with one read-only object,
 * data/raw.csv (the dep), data/other.csv (undeclared), src/helper.py.
 * `base` chooses where it lives (/tmp exercises the private-/tmp re-binding).
 */
export async function makeProject(base?: string): Promise<Project> {
  const root = await Deno.makeTempDir({ dir: base, prefix: "cairn-sbx-proj-" });
  const outside = await Deno.makeTempDir({
    dir: "/var/tmp",
    prefix: "cairn-sbx-outside-",
  });
  Deno.mkdirSync(`${root}/.git`);
  Deno.writeTextFileSync(`${root}/.git/HEAD`, "ref: refs/heads/main\n");
  const obj = `${root}/.dvc/cache/files/md5/ab`;
  Deno.mkdirSync(obj, { recursive: true });
  Deno.writeTextFileSync(`${obj}/cdef0123`, "cached\n");
  Deno.chmodSync(`${obj}/cdef0123`, 0o444);
  Deno.writeTextFileSync(`${root}/.dvc/config`, "");
  Deno.mkdirSync(`${root}/data`);
  Deno.writeTextFileSync(`${root}/data/raw.csv`, "a,b\n1,2\n");
  Deno.writeTextFileSync(`${root}/data/other.csv`, "undeclared\n");
  Deno.mkdirSync(`${root}/src`);
  Deno.writeTextFileSync(`${root}/src/helper.py`, "X = 1\n");
  Deno.writeTextFileSync(`${root}/params.yaml`, "lr: 0.1\n");
  return {
    root,
    cacheDir: `${root}/.dvc/cache`,
    outside,
    async cleanup() {
      for (const d of [root, outside]) {
        // cache objects are read-only: make them removable.
        await new Deno.Command("chmod", { args: ["-R", "u+w", d] }).output();
        await Deno.remove(d, { recursive: true }).catch(() => {});
      }
    },
  };
}

/** path -> md5 of every file below `dir` (symlinks as "-> target"). */
export function snapshot(dir: string, skip: string[] = []): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string, rel: string) => {
    for (const e of Deno.readDirSync(d)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (skip.includes(r)) continue;
      const p = `${d}/${e.name}`;
      if (e.isSymlink) out.set(r, `-> ${Deno.readLinkSync(p)}`);
      else if (e.isDirectory) {
        out.set(r + "/", "dir");
        walk(p, r);
      } else {
        out.set(
          r,
          createHash("md5").update(Deno.readFileSync(p)).digest("hex"),
        );
      }
    }
  };
  walk(dir, "");
  return out;
}

export interface LoopbackServer {
  port: number;
  hits: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 answering "hello from host". */
export function startServer(): LoopbackServer {
  const state = { hits: 0 };
  const srv = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    () => {
      state.hits++;
      return new Response("hello from host\n");
    },
  );
  return {
    port: srv.addr.port,
    get hits() {
      return state.hits;
    },
    close: () => srv.shutdown(),
  };
}

export function hostEnv(extra: Record<string, string> = {}) {
  return { ...Deno.env.toObject(), ...extra };
}
