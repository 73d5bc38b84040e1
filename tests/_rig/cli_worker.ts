/**
 * Runs `main(argv)` in-process for tests/_rig/rig.ts, in a Worker of the
 * test process: the test thread blocks on a shared buffer until the answer
 * is there, so `cairn()` stays a synchronous call as with a subprocess,
 * while cairn's modules load once per test module instead of once per
 * command. main gets the directory explicitly and never chdirs, so test
 * modules running in parallel in this process do not disturb each other.
 *
 * Protocol: the host posts {argv, cwd, ctl, data}; `ctl` is Int32Array
 * [state, length], `data` growable bytes. The worker writes the JSON answer
 * into `data`, sets length, then state = 1 and notifies. Every failure,
 * including one to load cairn's modules, is reported that way: the host is
 * blocked and could not see a Worker error event.
 */
import { GIT_ENV, type RunResult } from "./rig.ts";

interface Request {
  argv: string[];
  cwd: string;
  ctl: SharedArrayBuffer;
  data: SharedArrayBuffer;
}

// What a `scripts/cairn` subprocess gets from the rig on top of the test's environment.
for (const [k, v] of Object.entries(GIT_ENV)) Deno.env.set(k, v);

const enc = new TextEncoder();

function answer(req: Request, value: RunResult): void {
  const bytes = enc.encode(JSON.stringify(value));
  // deno-lint-ignore no-explicit-any
  if (bytes.length > req.data.byteLength) (req.data as any).grow(bytes.length);
  new Uint8Array(req.data).set(bytes);
  const ctl = new Int32Array(req.ctl);
  Atomics.store(ctl, 1, bytes.length);
  Atomics.store(ctl, 0, 1);
  Atomics.notify(ctl, 0);
}

// A stray rejection would end this Worker and leave the host waiting: as in a
// subprocess (which would die with exit 1), the command running now fails.
let stray: string[] = [];
self.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  stray.push(`error: Uncaught (in promise) ${(e.reason as Error)?.stack ?? e.reason}`);
});

self.onmessage = async (e: MessageEvent<Request>) => {
  const req = e.data;
  let result: RunResult;
  try {
    const { main } = await import("../../lib/cli/main.ts");
    const { captureIo } = await import("../../lib/cli/io.ts");
    const io = captureIo();
    const code = await main(req.argv, io, { cwd: req.cwd, handleSignals: false });
    result = { code, stdout: io.stdoutText(), stderr: io.stderrText() };
  } catch (err) {
    // main() turns every error into an exit code: this is a bug in main or a module that fails to load.
    result = {
      code: 255,
      stdout: "",
      stderr: `rig: main() threw: ${(err as Error)?.stack ?? err}\n`,
    };
  }
  if (stray.length) {
    result = { ...result, code: result.code || 1, stderr: result.stderr + stray.join("\n") + "\n" };
    stray = [];
  }
  answer(req, result);
};
