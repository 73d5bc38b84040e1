import { assertEquals, assertMatch, assertNotMatch } from "../_rig/assert.ts";
import { openNative } from "../../lib/native_lib.ts";

const LIBC = { getpid: { parameters: [], result: "i32" } } as const;

Deno.test("openNative: libc opens where FFI is granted, and the opt-out variable turns it off", () => {
  const lib = openNative(["no-such-lib.so.0", "libc.so.6"], LIBC, "CAIRN_NO_NATIVE_TEST");
  assertEquals(lib?.getpid(), Deno.pid);
  Deno.env.set("CAIRN_NO_NATIVE_TEST", "1");
  try {
    assertEquals(openNative(["libc.so.6"], LIBC, "CAIRN_NO_NATIVE_TEST"), null);
  } finally {
    Deno.env.delete("CAIRN_NO_NATIVE_TEST");
  }
  assertEquals(openNative(["no-such-lib.so.0"], LIBC, "CAIRN_NO_NATIVE_TEST"), null);
});

Deno.test("openNative: without the FFI or env permission (a script importing mod.ts) it answers null and asks nothing, on a terminal too", async () => {
  // On a terminal Deno prompts for a permission an op lacks and waits for the answer; a
  // script importing mod.ts with --allow-read only must get the Deno path instead. script(1)
  // gives the child a terminal; its stdin is empty, so a prompt would show and hang.
  const dir = Deno.makeTempDirSync();
  try {
    const file = `${dir}/t.ts`;
    const url = new URL("../../lib/native_lib.ts", import.meta.url).href;
    Deno.writeTextFileSync(
      file,
      `import { openNative } from ${JSON.stringify(url)};
const lib = openNative(["libc.so.6"], { getpid: { parameters: [], result: "i32" } }, "CAIRN_NO_NATIVE_TEST");
console.log(lib === null ? "answer: null" : "answer: opened");\n`,
    );
    const run = async (flags: string) => {
      const cmd = `'${Deno.execPath()}' run -q ${flags} '${file}'`;
      const out = await new Deno.Command("timeout", {
        args: ["20", "script", "-qec", cmd, "/dev/null"],
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
      return new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
    };
    const readOnly = await run("--allow-read");
    assertNotMatch(readOnly, /requests/);
    assertMatch(readOnly, /answer: null/);
    const withFfi = await run("--allow-read --allow-ffi");
    assertNotMatch(withFfi, /requests/);
    assertMatch(withFfi, /answer: opened/);
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("openLibcrypto: the process exits cleanly while a Worker is inside OpenSSL (no exit-time cleanup under it)", async () => {
  // With OpenSSL's atexit cleanup, exiting while another thread digests crashed
  // (SIGSEGV, SIGBUS or a glibc heap abort) in about 4 exits out of 10 here.
  const dir = Deno.makeTempDirSync();
  try {
    const md5 = JSON.stringify(new URL("../../lib/hash/_native_md5.ts", import.meta.url).href);
    Deno.writeTextFileSync(
      `${dir}/worker.ts`,
      `import { nativeMd5Bytes } from ${md5};
const data = new Uint8Array(600);
self.postMessage(nativeMd5Bytes(data) !== undefined);
for (;;) nativeMd5Bytes(data);\n`,
    );
    Deno.writeTextFileSync(
      `${dir}/main.ts`,
      `import { nativeMd5Bytes } from ${md5};
if (nativeMd5Bytes(new Uint8Array(1)) === undefined) Deno.exit(3);
const w = new Worker(new URL("./worker.ts", import.meta.url), { type: "module" });
w.onmessage = (e) => setTimeout(() => Deno.exit(e.data ? 0 : 4), 20);\n`,
    );
    const codes: number[] = [];
    for (let i = 0; i < 12; i++) {
      const out = await new Deno.Command(Deno.execPath(), {
        args: ["run", "-q", "-A", `${dir}/main.ts`],
        stdin: "null",
        stdout: "null",
        stderr: "null",
      }).output();
      codes.push(out.code);
    }
    assertEquals(codes, Array(12).fill(0));
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});
