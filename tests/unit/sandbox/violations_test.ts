/** The stderr heuristics, on messages captured from real tools inside bwrap. */
import { assertEquals, assertStrictEquals } from "../../_rig/assert.ts";
import {
  formatViolations,
  violationsFromEnv,
  violationsFromStderr,
} from "../../../lib/sandbox/violations.ts";
import { makeProject } from "./_fixture.ts";

Deno.test("violations: paths and hosts named by common tools' error messages", async () => {
  const p = await makeProject();
  try {
    const ctx = {
      repoRoot: p.root,
      cacheDir: p.cacheDir,
      cwd: p.root,
      deps: [`${p.root}/data/raw.csv`],
      hermetic: true,
      exitCode: 1,
    };
    const cases: [string, string, string][] = [
      ["touch: cannot touch '/etc/x': Read-only file system", "write", "/etc/x"],
      ["cp: cannot create regular file '/etc/a.txt': Read-only file system", "write", "/etc/a.txt"],
      [
        "/bin/sh: 1: cannot create notes.txt: Read-only file system",
        "write",
        `${p.root}/notes.txt`,
      ],
      ["mkdir: cannot create directory ‘sub’: Read-only file system", "write", `${p.root}/sub`],
      ["OSError: [Errno 30] Read-only file system: '/etc/zz'", "write", "/etc/zz"],
      [
        "error: Uncaught (in promise) Error: Read-only file system (os error 30): writefile '/etc/x'",
        "write",
        "/etc/x",
      ],
      ["cat: data/other.csv: No such file or directory", "read", `${p.root}/data/other.csv`],
      [
        "FileNotFoundError: [Errno 2] No such file or directory: 'src/helper.py'",
        "read",
        `${p.root}/src/helper.py`,
      ],
      [
        "curl: (7) Failed to connect to 127.0.0.1 port 9 after 0 ms: Couldn't connect to server",
        "net",
        "127.0.0.1:9",
      ],
      ["curl: (6) Could not resolve host: example.com", "net", "example.com"],
      ["wget: unable to resolve host address ‘example.com’", "net", "example.com"],
      [
        "Caused by: Error: error sending request for url (http://example.com/): client error (Connect): dns error",
        "net",
        "example.com:80",
      ],
      [
        "urllib.error.URLError: <urlopen error [Errno -3] Temporary failure in name resolution>",
        "net",
        "(unknown)",
      ],
    ];
    for (const [line, kind, subject] of cases) {
      const vs = violationsFromStderr(line, ctx);
      assertEquals(vs.map((v) => [v.kind, v.subject]), [[kind, subject]], line);
    }
    // A missing file that is missing on the host too is not the sandbox's doing.
    assertEquals(violationsFromStderr("cat: nothere: No such file or directory", ctx), []);
    // Nor is a declared dep.
    assertEquals(
      violationsFromStderr("cat: data/raw.csv: No such file or directory", ctx),
      [],
    );
  } finally {
    await p.cleanup();
  }
});

Deno.test("violations: withheld variables named by the command or the error", () => {
  const withheld = ["SECRET_TOKEN", "API_KEY", "PWD", "X"];
  assertEquals(
    violationsFromEnv('echo "$SECRET_TOKEN" ${API_KEY:-none} $PWD $X', "", withheld, 0)
      .map((v) => v.subject),
    ["SECRET_TOKEN", "API_KEY", "X"],
  );
  assertEquals(
    violationsFromEnv("python train.py", "KeyError: 'API_KEY'", withheld, 1).map((v) => v.subject),
    ["API_KEY"],
  );
  // Only a failed command's stderr counts.
  assertEquals(violationsFromEnv("python train.py", "API_KEY unused", withheld, 0), []);
  const text = formatViolations(violationsFromEnv("echo $API_KEY", "", withheld, 0));
  assertStrictEquals(
    text,
    "  - environment variable API_KEY was withheld from the sandbox (the command refers to it)\n" +
      "    to allow it: meta: {sandbox: {env: [API_KEY]}}",
  );
});
