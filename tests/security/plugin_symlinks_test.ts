/**
 * Issue 10 item 7: Worker plugins must not reach outside their grant through
 * symlinks that already sit inside a granted folder (Deno checks path
 * strings). Real plugins in real Workers, through the real CLI.
 */
import { createHash } from "node:crypto";
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import { cairn, cairnOk, exists, git, makeRepo, removeDir, writeFiles } from "../_rig/rig.ts";

const DATA = "data for the remote\n";
const MD5 = createHash("md5").update(DATA).digest("hex");
const OBJ = `files/md5/${MD5.slice(0, 2)}/${MD5.slice(2)}`;

interface World {
  repo: string;
  remote: string;
  outside: string;
  cleanup(): void;
}

/** A repo with data.txt added, a local remote folder and a folder outside both. */
function world(): World {
  const repo = makeRepo();
  const remote = Deno.makeTempDirSync({ prefix: "cairn-remote-" });
  const outside = Deno.makeTempDirSync({ prefix: "cairn-outside-" });
  writeFiles(repo, { "data.txt": DATA });
  cairnOk(["add", "data.txt"], { cwd: repo });
  cairnOk(["remote", "add", "-d", "r", remote], { cwd: repo });
  git(["add", "-A"], repo);
  git(["commit", "-qm", "data"], repo);
  return {
    repo,
    remote,
    outside,
    cleanup() {
      for (const d of [repo, remote, outside]) removeDir(d);
    },
  };
}

function tree(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const e of Deno.readDirSync(rel ? `${dir}/${rel}` : dir)) {
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory) walk(r);
      else out.push(r);
    }
  };
  walk("");
  return out.sort();
}

Deno.test("remote_local: push does not write through a symlinked folder inside the remote", () => {
  const w = world();
  try {
    Deno.symlinkSync(w.outside, `${w.remote}/files`);
    const r = cairn(["push"], { cwd: w.repo });
    assert(r.code !== 0, `push should fail\n${r.stdout}${r.stderr}`);
    assertMatch(r.stdout + r.stderr, /'[^']*\/files' is a symlink/);
    assertEquals(tree(w.outside), [], "push wrote outside the remote folder");
  } finally {
    w.cleanup();
  }
});

Deno.test("remote_local: a symlinked object folder deep inside the remote is refused too", () => {
  const w = world();
  try {
    Deno.mkdirSync(`${w.remote}/files/md5`, { recursive: true });
    Deno.symlinkSync(w.outside, `${w.remote}/files/md5/${MD5.slice(0, 2)}`);
    const r = cairn(["push"], { cwd: w.repo });
    assert(r.code !== 0, `push should fail\n${r.stdout}${r.stderr}`);
    assertMatch(r.stdout + r.stderr, /is a symlink, and paths are never followed/);
    assertEquals(tree(w.outside), []);
  } finally {
    w.cleanup();
  }
});

Deno.test("remote_local: fetch does not read through a symlink inside the remote", () => {
  const w = world();
  try {
    // The object exists outside the remote, reachable only through a link in it.
    Deno.writeTextFileSync(`${w.outside}/${MD5.slice(2)}`, DATA);
    Deno.mkdirSync(`${w.remote}/files/md5`, { recursive: true });
    Deno.symlinkSync(w.outside, `${w.remote}/files/md5/${MD5.slice(0, 2)}`);
    removeDir(`${w.repo}/.dvc/cache`);
    const r = cairn(["fetch"], { cwd: w.repo });
    assert(r.code !== 0, `fetch should fail\n${r.stdout}${r.stderr}`);
    assertMatch(r.stdout + r.stderr, /is a symlink/);
    assert(!exists(`${w.repo}/.dvc/cache/${OBJ}`), "the object was read through the link");
  } finally {
    w.cleanup();
  }
});

Deno.test("remote_local: an object that is itself a symlink to a host file is not read", () => {
  const w = world();
  try {
    const victim = `${w.outside}/victim.txt`;
    Deno.writeTextFileSync(victim, DATA);
    Deno.mkdirSync(`${w.remote}/files/md5/${MD5.slice(0, 2)}`, { recursive: true });
    Deno.symlinkSync(victim, `${w.remote}/${OBJ}`);
    removeDir(`${w.repo}/.dvc/cache`);
    const r = cairn(["pull"], { cwd: w.repo });
    assert(r.code !== 0, `pull should fail\n${r.stdout}${r.stderr}`);
    assertMatch(r.stdout + r.stderr, /is a symlink/);
    assert(!exists(`${w.repo}/.dvc/cache/${OBJ}`));
  } finally {
    w.cleanup();
  }
});

Deno.test("remote_local: gc -c does not delete through a symlink inside the remote", () => {
  const w = world();
  try {
    cairnOk(["push"], { cwd: w.repo });
    // An unused object whose folder is a link to a folder outside.
    const victim = `${w.outside}/${"f".repeat(30)}`;
    Deno.writeTextFileSync(victim, "precious\n");
    Deno.symlinkSync(w.outside, `${w.remote}/files/md5/ff`);
    const r = cairn(["gc", "-w", "-c", "-f"], { cwd: w.repo });
    assert(exists(victim), `gc deleted a file outside the remote\n${r.stdout}${r.stderr}`);
    assertEquals(Deno.readTextFileSync(victim), "precious\n");
  } finally {
    w.cleanup();
  }
});

Deno.test("remote_local: a remote whose configured path is itself a symlink still works", () => {
  const w = world();
  const link = `${w.outside}/remote-link`;
  try {
    Deno.symlinkSync(w.remote, link);
    cairnOk(["remote", "modify", "r", "url", link], { cwd: w.repo });
    cairnOk(["push"], { cwd: w.repo });
    assertEquals(Deno.readTextFileSync(`${w.remote}/${OBJ}`), DATA);
    removeDir(`${w.repo}/.dvc/cache`);
    Deno.removeSync(`${w.repo}/data.txt`);
    cairnOk(["pull"], { cwd: w.repo });
    assertEquals(Deno.readTextFileSync(`${w.repo}/data.txt`), DATA);
  } finally {
    w.cleanup();
  }
});

Deno.test("host: a symlink planted inside the cache is not handed to a plugin (push)", () => {
  const w = world();
  try {
    // The cache folder of the object now leads outside, where another file waits under its name.
    const dir = `${w.repo}/.dvc/cache/files/md5/${MD5.slice(0, 2)}`;
    removeDir(dir);
    Deno.writeTextFileSync(`${w.outside}/${MD5.slice(2)}`, "private key material\n");
    Deno.symlinkSync(w.outside, dir);
    const r = cairn(["push"], { cwd: w.repo });
    // Refused by the cache's own checks (the content does not match) or by the host's symlink check.
    assertMatch(r.stdout + r.stderr, /is a symlink|Missing cache files|is corrupted/);
    assertEquals(tree(w.remote), [], "the file behind the link was pushed");
    assertEquals(
      Deno.readTextFileSync(`${w.outside}/${MD5.slice(2)}`),
      "private key material\n",
      "a file outside the repo was deleted through the link",
    );
  } finally {
    w.cleanup();
  }
});

/** A trusted project plugin that opens `<root>/<key>` naively, as many would. */
const NAIVE_MANIFEST = `export const manifest = {
  name: "remote_naive",
  apiVersion: 1,
  kind: "remote",
  schemes: ["naive"],
  permissions: { read: ["{remote.path}", "{cacheDir}"], write: ["{remote.path}", "{cacheDir}"] },
};
`;
const NAIVE_MOD = `export function create(config) {
  const root = new URL(config.url.replace(/^naive:/, "file:")).pathname;
  const p = (k) => root + "/" + k;
  const each = (xs, f) => Promise.resolve(xs.map((x) => {
    try { return f(x); } catch (e) { return { ok: false, error: { name: e.name, message: e.message } }; }
  }));
  return {
    info: () => ({ write: true, traverse: false, listPageSize: 1000, location: root }),
    exists: (keys) => Promise.resolve(keys.map((k) => { try { Deno.statSync(p(k)); return true; } catch { return false; } })),
    list: () => Promise.resolve([]),
    get: (items) => each(items, (it) => { Deno.copyFileSync(p(it.key), it.dest); return { ok: true, bytes: 0 }; }),
    put: (items) => each(items, (it) => {
      Deno.mkdirSync(p(it.key).slice(0, p(it.key).lastIndexOf("/")), { recursive: true });
      Deno.copyFileSync(it.src, p(it.key));
      return { ok: true, bytes: 0 };
    }),
    remove: (keys) => each(keys, (k) => { Deno.removeSync(p(k)); return { ok: true, bytes: 0 }; }),
    readBytes: (k) => Promise.resolve(Deno.readFileSync(p(k))),
    writeBytes: (k, d) => Promise.resolve(Deno.writeFileSync(p(k), d)),
    close: () => Promise.resolve(),
  };
}
`;

Deno.test("project remote plugin: its Worker refuses paths through a symlink inside its granted folder", () => {
  const w = world();
  const config = Deno.makeTempDirSync({ prefix: "cairn-xdg-" });
  const env = { XDG_CONFIG_HOME: config };
  try {
    writeFiles(w.repo, {
      "tools/remote_naive/manifest.ts": NAIVE_MANIFEST,
      "tools/remote_naive/mod.ts": NAIVE_MOD,
      ".dvc/cairn.yaml": "plugins:\n  - tools/remote_naive\n",
    });
    cairnOk(["remote", "modify", "r", "url", `naive://${w.remote}`], { cwd: w.repo, env });
    cairnOk(["plugins", "trust", "remote_naive"], { cwd: w.repo, env });
    Deno.symlinkSync(w.outside, `${w.remote}/files`);
    const r = cairn(["push"], { cwd: w.repo, env });
    assert(r.code !== 0, `push wrote through the link\n${r.stdout}${r.stderr}`);
    assertMatch(
      r.stdout + r.stderr,
      /passes through the symlink '[^']*\/files', which leads outside/,
    );
    assertEquals(tree(w.outside), [], "the plugin wrote outside its folder");
    // Without the link the same plugin works: the guard only stops the escape.
    Deno.removeSync(`${w.remote}/files`);
    cairnOk(["push"], { cwd: w.repo, env });
    assertEquals(Deno.readTextFileSync(`${w.remote}/${OBJ}`), DATA);
  } finally {
    w.cleanup();
    removeDir(config);
  }
});
