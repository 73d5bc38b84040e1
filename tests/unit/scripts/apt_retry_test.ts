/**
 * scripts/apt_retry.sh: apt-get waits while another apt holds the lock, other
 * failures surface at once with apt's message, and missing packages are named.
 * apt-get itself is a stand-in script here (the real one would change the machine).
 */
import { assertEquals, assertMatch, assertNotMatch } from "../../_rig/assert.ts";
import { join } from "node:path";
import { removeDir, ROOT, writeFiles } from "../../_rig/rig.ts";

const dec = new TextDecoder();

/** Run `script` in bash with apt_retry.sh sourced and a fake apt-get first on PATH. */
function bash(script: string, fakeAptGet: string, env: Record<string, string> = {}) {
  const dir = Deno.makeTempDirSync({ prefix: "cairn-apt-" });
  try {
    writeFiles(dir, { "bin/apt-get": fakeAptGet });
    Deno.chmodSync(join(dir, "bin/apt-get"), 0o755);
    const out = new Deno.Command("bash", {
      args: ["-c", `. ${join(ROOT, "scripts/apt_retry.sh")}; ${script}`],
      cwd: dir,
      env: { PATH: `${dir}/bin:${Deno.env.get("PATH")}`, APT_LOCK_WAIT: "0", ...env },
      stdout: "piped",
      stderr: "piped",
    }).outputSync();
    const calls = (() => {
      try {
        return Deno.readTextFileSync(join(dir, "calls")).trim().split("\n");
      } catch (err) {
        if (err instanceof Deno.errors.NotFound) return [];
        throw err;
      }
    })();
    return {
      code: out.code,
      stdout: dec.decode(out.stdout),
      stderr: dec.decode(out.stderr),
      calls,
    };
  } finally {
    removeDir(dir);
  }
}

// Fails with dpkg's lock message until it has been called `n` times.
const lockedUntil = (n: number) =>
  `#!/bin/bash
echo "$*" >> calls
if [ "$(wc -l < calls)" -lt ${n} ]; then
  echo "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)" >&2
  exit 100
fi
echo installed
`;

Deno.test("apt_get: waits while the lock is busy, then runs", () => {
  const r = bash("apt_get install -y foo && echo rc=$?", lockedUntil(3));
  assertEquals(r.calls.length, 3);
  assertMatch(r.calls[0], /-o DPkg::Lock::Timeout=60 install -y foo/);
  assertMatch(r.stderr, /another apt\/dpkg holds the lock; waiting \(try 2 of 30\)/);
  assertMatch(r.stdout, /rc=0/);
  assertNotMatch(r.stdout, /installed/); // apt's output only when it fails
});

Deno.test("apt_get: gives up after APT_LOCK_TRIES and says the lock was busy", () => {
  const r = bash("apt_get update; echo rc=$?", lockedUntil(100), { APT_LOCK_TRIES: "4" });
  assertEquals(r.calls.length, 4);
  assertMatch(r.stdout, /rc=1/);
  assertMatch(r.stderr, /the lock was still busy after 4 tries: apt-get update did not run/);
});

Deno.test("apt_get: another failure is reported at once with apt's message and code", () => {
  const fake = `#!/bin/bash
echo "$*" >> calls
echo "E: Unable to locate package nosuch" >&2
exit 100
`;
  const r = bash("apt_get install -y nosuch; echo rc=$?", fake);
  assertEquals(r.calls.length, 1);
  assertMatch(r.stdout, /rc=100/);
  assertMatch(r.stderr, /E: Unable to locate package nosuch/);
});

Deno.test("missing_packages: names exactly the packages dpkg does not have", () => {
  const r = bash("missing_packages bash cairn-no-such-package-x", "#!/bin/sh\nexit 1\n");
  assertEquals(r.code, 0);
  assertEquals(r.stdout, "cairn-no-such-package-x\n");
});
