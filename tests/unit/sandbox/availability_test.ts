/** Sandboxing asked for but not enforceable: refuse before running anything. */
import {
  assertEquals,
  assertMatch,
  assertRejects,
  assertStrictEquals,
  assertThrows,
} from "../../_rig/assert.ts";
import { requireSandbox, sandboxAvailable } from "../../../lib/sandbox/availability.ts";
import { runSandboxed } from "../../../lib/sandbox/run_sandboxed.ts";
import { SandboxUnavailableError } from "../../../lib/sandbox/errors.ts";
import { CairnError } from "../../../lib/errors.ts";
import { hostEnv, makeProject } from "./_fixture.ts";

Deno.test("availability: bwrap and user namespaces work on this machine", async () => {
  const a = await sandboxAvailable();
  assertStrictEquals(a.available, true, a.problems.join("; "));
  assertStrictEquals(a.userns, true);
  assertMatch(a.bwrap ?? "", /bwrap$/);
  assertMatch(a.strace ?? "", /strace$/);
  assertEquals(a.problems, []);
});

Deno.test("availability: backend bwrap forced and missing names it and how to install it; nothing runs", async () => {
  await assertRejects(
    () => requireSandbox({ stage: "train", bwrap: "/nonexistent/bwrap", backend: "bwrap" }),
    (e: unknown) =>
      e instanceof SandboxUnavailableError && e instanceof CairnError && e.missing === "bwrap" &&
      /stage 'train'/.test(e.message) && /apt-get install bubblewrap/.test(e.hint ?? ""),
  );
  const p = await makeProject();
  try {
    for (const policy of ["on", "hermetic"] as const) {
      await assertRejects(
        () =>
          runSandboxed("echo ran > data/features.csv; echo x > escaped.txt", {
            cwd: p.root,
            env: hostEnv(),
            policy,
            deps: [],
            outs: ["data/features.csv"],
            repoRoot: p.root,
            cacheDir: p.cacheDir,
            bwrapPath: "/nonexistent/bwrap",
            backend: "bwrap",
          }),
        SandboxUnavailableError,
      );
    }
    // Never ran unconfined instead.
    assertThrows(() => Deno.statSync(`${p.root}/escaped.txt`));
    assertThrows(() => Deno.statSync(`${p.root}/data/features.csv`));
  } finally {
    await p.cleanup();
  }
});

Deno.test("availability: a bwrap that cannot create namespaces is reported as such", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // Stands in for bwrap on a kernel with user namespaces disabled.
    const fake = `${dir}/bwrap`;
    Deno.writeTextFileSync(
      fake,
      '#!/bin/sh\n[ "$1" = --version ] && { echo "bubblewrap 0.8.0"; exit 0; }\necho "bwrap: No permissions to create new namespace" >&2\nexit 1\n',
    );
    Deno.chmodSync(fake, 0o755);
    const a = await sandboxAvailable({ bwrap: fake });
    assertStrictEquals(a.available, false);
    assertMatch(a.problems.join(), /No permissions to create new namespace/);
    await assertRejects(
      () => requireSandbox({ bwrap: fake, backend: "bwrap" }),
      (e: unknown) =>
        e instanceof SandboxUnavailableError && e.missing === "userns" &&
        /user namespaces/.test(e.hint ?? ""),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A bwrap stand-in that fails the way a blocked user namespace does. */
function blockedBwrap(dir: string): string {
  const fake = `${dir}/bwrap`;
  Deno.writeTextFileSync(
    fake,
    '#!/bin/sh\n[ "$1" = --version ] && { echo "bubblewrap 0.8.0"; exit 0; }\necho "bwrap: setting up uid map: Permission denied" >&2\nexit 1\n',
  );
  Deno.chmodSync(fake, 0o755);
  return fake;
}

for (const [what, bwrap] of [["no bwrap", "/nonexistent/bwrap"], ["no user namespaces", ""]]) {
  Deno.test(`availability: auto with ${what} takes Landlock, and the stage is confined`, async () => {
    const dir = await Deno.makeTempDir();
    const p = await makeProject();
    try {
      const b = bwrap || blockedBwrap(dir);
      const a = await requireSandbox({ stage: "train", bwrap: b, backend: "auto" });
      assertEquals(a.backend, "landlock");
      assertStrictEquals(a.available, false);
      for (const policy of ["on", "hermetic"] as const) {
        const r = await runSandboxed("echo ran > data/features.csv; echo x > escaped.txt", {
          cwd: p.root,
          env: hostEnv(),
          policy,
          deps: [],
          outs: ["data/features.csv"],
          repoRoot: p.root,
          cacheDir: p.cacheDir,
          bwrapPath: b,
          backend: "auto",
        });
        assertEquals(r.backend, "landlock");
        assertStrictEquals(r.ok, false);
        assertMatch(r.violations.map((v) => v.message).join("\n"), /escaped\.txt/);
        assertThrows(() => Deno.statSync(`${p.root}/escaped.txt`));
        assertEquals(Deno.readTextFileSync(`${p.root}/data/features.csv`), "ran\n");
        Deno.removeSync(`${p.root}/data/features.csv`);
      }
    } finally {
      await p.cleanup();
      await Deno.remove(dir, { recursive: true });
    }
  });
}
