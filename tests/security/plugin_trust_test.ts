/**
 * Issue 10 item 8: a project cannot grant its own plugin anything. A plugin
 * named in .dvc/cairn.yaml runs only after the user trusted it, as its files
 * are; trust lives outside the repo ($XDG_CONFIG_HOME/cairn/trusted.json) and
 * a changed plugin needs it again. Item 7 for runner plugins and plugin
 * folders: links that lead out of what was granted are refused before
 * anything runs. Real CLI, real Workers, real bwrap.
 */
import { assert, assertEquals, assertMatch } from "../_rig/assert.ts";
import {
  cairn,
  exists,
  git,
  makeRepo,
  removeDir,
  type RunResult,
  writeFiles,
} from "../_rig/rig.ts";
import { cairnAsUser, cairnWatched, chownTo, unprivilegedUser } from "./_sec.ts";

/** A remote plugin that asks for everything; creating it leaves a marker file. */
function evilRemote(marker: string): Record<string, string> {
  return {
    "tools/remote_evil/manifest.ts": `export const manifest = {
  name: "remote_evil",
  apiVersion: 1,
  kind: "remote",
  schemes: ["evil"],
  permissions: { read: ["/"], write: ["/"], run: ["bash"] },
};
`,
    "tools/remote_evil/mod.ts": `export function create() {
  Deno.writeTextFileSync(${JSON.stringify(marker)}, "the plugin ran\\n");
  return {
    info: () => ({ write: true, traverse: false, listPageSize: 1000, location: "evil" }),
    exists: (keys) => Promise.resolve(keys.map(() => false)),
    list: () => Promise.resolve([]),
    get: (items) => Promise.resolve(items.map(() => ({ ok: false, error: { name: "E", message: "no" } }))),
    put: (items) => Promise.resolve(items.map(() => ({ ok: true, bytes: 0 }))),
    remove: (keys) => Promise.resolve(keys.map(() => ({ ok: true, bytes: 0 }))),
    readBytes: () => Promise.resolve(null),
    writeBytes: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
`,
  };
}

interface Project {
  repo: string;
  config: string;
  marker: string;
  env: Record<string, string>;
  cleanup(): void;
}

function project(): Project {
  const repo = makeRepo();
  const config = Deno.makeTempDirSync({ prefix: "cairn-xdg-" });
  const marker = `${config}/marker-${crypto.randomUUID()}`;
  writeFiles(repo, {
    ...evilRemote(marker),
    ".dvc/cairn.yaml": "plugins:\n  - tools/remote_evil\n",
    "data.txt": "data\n",
  });
  const env = { XDG_CONFIG_HOME: config };
  ok(cairn(["add", "data.txt"], { cwd: repo, env }));
  ok(cairn(["remote", "add", "-d", "r", "evil://somewhere/store"], { cwd: repo, env }));
  git(["add", "-A"], repo);
  git(["commit", "-qm", "project with a plugin"], repo);
  return {
    repo,
    config,
    marker,
    env,
    cleanup() {
      removeDir(repo);
      removeDir(config);
    },
  };
}

function ok(r: RunResult): RunResult {
  if (r.code !== 0) throw new Error(`exit ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

function trustOf(p: Project, name: string): string {
  const list = ok(cairn(["plugins", "list", "--json"], { cwd: p.repo, env: p.env }));
  const found = (JSON.parse(list.stdout) as { name: string; trust: string }[])
    .find((x) => x.name === name);
  assert(found, `plugin ${name} not listed: ${list.stdout}`);
  return found.trust;
}

Deno.test("trust: an untrusted project remote plugin does not run, and the error says how to trust it", () => {
  const p = project();
  try {
    const r = cairn(["push"], { cwd: p.repo, env: p.env });
    assert(r.code !== 0, `push ran an untrusted plugin\n${r.stdout}${r.stderr}`);
    assertMatch(
      r.stderr,
      /project plugin 'remote_evil' \([^)]*tools\/remote_evil\) is not trusted; it was not run/,
    );
    assertMatch(r.stderr, /cairn plugins trust remote_evil/);
    assert(!exists(p.marker), "the untrusted plugin's code ran");
    assertEquals(trustOf(p, "remote_evil"), "untrusted");
    const text = ok(cairn(["plugins", "list"], { cwd: p.repo, env: p.env })).stdout;
    assertMatch(text, /remote_evil \(remote, [^)]+\)\n {2}trust: NOT TRUSTED/);
    assertEquals(trustOf(p, "remote_local"), "built-in");
  } finally {
    p.cleanup();
  }
});

Deno.test("trust: a trusted plugin runs; changed after trust it is refused again; untrust withdraws", () => {
  const p = project();
  try {
    const t = ok(cairn(["plugins", "trust", "remote_evil"], { cwd: p.repo, env: p.env }));
    assertMatch(
      t.stdout,
      /Trusted plugin 'remote_evil' .* it asks for: read: \/; write: \/; run: bash/s,
    );
    // Recorded outside the repository, in the user's config dir.
    const file = `${p.config}/cairn/trusted.json`;
    assert(exists(file));
    assertEquals(git(["status", "--porcelain"], p.repo), "");
    assertEquals(trustOf(p, "remote_evil"), "trusted");

    ok(cairn(["push"], { cwd: p.repo, env: p.env }));
    assert(exists(p.marker), "the trusted plugin did not run");
    Deno.removeSync(p.marker);

    // Any change to its files (here: one byte of code) needs trust again.
    const mod = `${p.repo}/tools/remote_evil/mod.ts`;
    Deno.writeTextFileSync(mod, Deno.readTextFileSync(mod) + "// changed\n");
    const r = cairn(["push"], { cwd: p.repo, env: p.env });
    assert(r.code !== 0);
    assertMatch(r.stderr, /'remote_evil' .* changed since you trusted it; it was not run/);
    assert(!exists(p.marker), "the changed plugin ran");
    assertEquals(trustOf(p, "remote_evil"), "changed");
    // A new file in its folder counts as a change too.
    ok(cairn(["plugins", "trust", "remote_evil"], { cwd: p.repo, env: p.env }));
    writeFiles(p.repo, { "tools/remote_evil/extra.ts": "export const x = 1;\n" });
    assertEquals(trustOf(p, "remote_evil"), "changed");

    ok(cairn(["plugins", "trust", "remote_evil"], { cwd: p.repo, env: p.env }));
    ok(cairn(["push"], { cwd: p.repo, env: p.env }));
    assert(exists(p.marker));
    Deno.removeSync(p.marker);

    const u = ok(cairn(["plugins", "untrust", "remote_evil"], { cwd: p.repo, env: p.env }));
    assertMatch(u.stdout, /no longer trusted/);
    assert(cairn(["push"], { cwd: p.repo, env: p.env }).code !== 0);
    assert(!exists(p.marker));
  } finally {
    p.cleanup();
  }
});

Deno.test("trust: it follows the files: an identical copy elsewhere is trusted, a different one is not", () => {
  const p = project();
  const q = project();
  try {
    ok(cairn(["plugins", "trust", "remote_evil"], { cwd: p.repo, env: p.env }));
    // Same user config, other clone whose plugin differs (its marker path): not trusted.
    const r = cairn(["push"], { cwd: q.repo, env: p.env });
    assert(r.code !== 0);
    assertMatch(r.stderr, /is not trusted/);
    assert(!exists(q.marker));
    // A byte-identical copy (a re-clone, an experiment's temp worktree) is the approved code.
    writeFiles(q.repo, evilRemote(p.marker));
    ok(cairn(["push"], { cwd: q.repo, env: p.env }));
    assert(exists(p.marker), "the identical copy did not run");
    // Untrusting it there withdraws the trust in those files everywhere.
    Deno.removeSync(p.marker);
    ok(cairn(["plugins", "untrust", "remote_evil"], { cwd: q.repo, env: p.env }));
    assert(cairn(["push"], { cwd: p.repo, env: p.env }).code !== 0);
    assert(!exists(p.marker));
  } finally {
    p.cleanup();
    q.cleanup();
  }
});

Deno.test("trust: built-in plugins need none and cannot be trusted", () => {
  const p = project();
  try {
    const r = cairn(["plugins", "trust", "remote_local"], { cwd: p.repo, env: p.env });
    assert(r.code !== 0);
    assertMatch(r.stderr, /built-in; it needs no trust/);
    const none = cairn(["plugins", "trust", "nope"], { cwd: p.repo, env: p.env });
    assert(none.code !== 0);
    assertMatch(none.stderr, /no plugin named 'nope'/);
  } finally {
    p.cleanup();
  }
});

Deno.test("trust: a plugin folder with a symlink leading out of it is not loaded, trusted or not", () => {
  const p = project();
  try {
    ok(cairn(["plugins", "trust", "remote_evil"], { cwd: p.repo, env: p.env }));
    Deno.symlinkSync("/", `${p.repo}/tools/remote_evil/root`);
    for (const args of [["push"], ["plugins", "list"], ["plugins", "trust", "remote_evil"]]) {
      const r = cairn(args, { cwd: p.repo, env: p.env });
      assert(r.code !== 0, `${args.join(" ")} accepted the plugin`);
      assertMatch(r.stderr, /remote_evil\/root' is a symlink to '\/', outside the plugin's folder/);
    }
    assert(!exists(p.marker));
  } finally {
    p.cleanup();
  }
});

Deno.test("trust: as an unprivileged user, trust lives in ~/.config/cairn and works the same", async () => {
  const u = unprivilegedUser();
  if (!u) return; // already unprivileged: the tests above are this case
  const p = project();
  const marker = `${u.home}/marker-${crypto.randomUUID()}`;
  try {
    writeFiles(p.repo, evilRemote(marker));
    git(["add", "-A"], p.repo);
    git(["commit", "-qm", "marker for the user"], p.repo);
    chownTo(u, p.repo);
    const trustFile = `${u.home}/.config/cairn/trusted.json`;
    try {
      Deno.removeSync(trustFile);
    } catch { /* none yet */ }
    const env = { XDG_CONFIG_HOME: "" };
    const r = await cairnAsUser(u, ["push"], { cwd: p.repo, env });
    assert(r.code !== 0 && /is not trusted/.test(r.stderr), r.stdout + r.stderr);
    assert(!exists(marker));
    const t = await cairnAsUser(u, ["plugins", "trust", "remote_evil"], { cwd: p.repo, env });
    assertEquals(t.code, 0, t.stderr);
    assert(exists(trustFile), "trust not recorded in the user's ~/.config/cairn");
    const again = await cairnAsUser(u, ["push"], { cwd: p.repo, env });
    assertEquals(again.code, 0, again.stderr);
    assert(exists(marker), "the trusted plugin did not run for the user");
  } finally {
    p.cleanup();
    try {
      Deno.removeSync(marker);
    } catch { /* not created */ }
  }
});

Deno.test("trust: a manifest that never finishes loading does not hang cairn", async () => {
  const p = project();
  try {
    writeFiles(p.repo, {
      "tools/remote_evil/manifest.ts":
        "while (true) { /* never returns */ }\nexport const manifest = {};\n",
    });
    const r = await cairnWatched(["plugins", "list"], { cwd: p.repo, env: p.env });
    assert(!r.killed, "cairn hung on the manifest");
    assert(r.code !== 0);
    assertMatch(r.stderr, /tools\/remote_evil'?: its manifest did not load within 10 s/);
  } finally {
    p.cleanup();
  }
});
