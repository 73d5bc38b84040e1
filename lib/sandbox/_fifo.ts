/**
 * A named pipe through which the Landlock wrapper tells cairn that the
 * stage's command has ended: cairn holds it open for reading and writing
 * (neither side's open ever blocks, whoever comes first or goes away) and
 * its pending read returns the moment the wrapper writes a byte, without
 * polling a file (polling every few ms takes CPU from the stage on a busy
 * machine). libc's mkfifo through FFI; false when FFI is not allowed
 * (callers poll then).
 */

import { openNative } from "../native_lib.ts";

const SYMBOLS = {
  mkfifo: { parameters: ["buffer", "u32"], result: "i32" },
} as const;

type Lib = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];
let lib: Lib | null | undefined;

function load(): Lib | null {
  if (lib !== undefined) return lib;
  lib = Deno.build.os === "linux"
    ? openNative(["libc.so.6"], SYMBOLS, "CAIRN_NO_NATIVE_FIFO")
    : null;
  return lib;
}

function cstr(s: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(s + "\0") as Uint8Array<ArrayBuffer>;
}

/** Create a named pipe at `path` (owner only); false when that cannot be done here. */
export function makeFifo(path: string): boolean {
  const c = load();
  return !!c && c.mkfifo(cstr(path), 0o600) === 0;
}
