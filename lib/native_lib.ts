/**
 * Optional native libraries through FFI. cairn's own binary holds the FFI permission;
 * a script importing mod.ts may not, and must then get the Deno path silently: a
 * `Deno.dlopen` or `Deno.env.get` without the permission would prompt on a terminal.
 */

/** Whether this process already holds a permission (no prompt either way). */
export function granted(desc: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(desc).state === "granted";
  } catch (err) {
    if (err instanceof TypeError) return false; // a descriptor this runtime does not know
    throw err;
  }
}

/**
 * The first of `names` that opens with `symbols`, or null: no FFI permission here, the
 * opt-out variable `optOut` set (when readable), or no such library or symbol.
 */
export function openNative<S extends Deno.ForeignLibraryInterface>(
  names: readonly string[],
  symbols: S,
  optOut: string,
): Deno.DynamicLibrary<S>["symbols"] | null {
  if (!granted({ name: "ffi" })) return null;
  if (granted({ name: "env", variable: optOut }) && Deno.env.get(optOut)) return null;
  for (const name of names) {
    try {
      return Deno.dlopen(name, symbols).symbols;
    } catch (err) {
      if (!(err instanceof Error)) throw err; // absent here, or a symbol it lacks: try the next
    }
  }
  return null;
}

const CRYPTO_NAMES = ["libcrypto.so.3", "libcrypto.so", "libcrypto.3.dylib", "libcrypto.dylib"];
const CRYPTO_INIT = {
  OPENSSL_init_crypto: { parameters: ["u64", "pointer"], result: "i32" },
} as const;
/** OpenSSL >= 1.1.1b: register no exit-time cleanup. */
const OPENSSL_INIT_NO_ATEXIT = 0x00080000n;

/**
 * The system's OpenSSL (libcrypto) with `symbols`, or null (see openNative; opt out with
 * CAIRN_NO_NATIVE_MD5). Before any other call it is initialised without its exit-time
 * cleanup: that cleanup frees the digests while a Worker, or a runtime thread of a
 * `nonblocking` call, may still be inside one when the process exits (Ctrl-C in a
 * parallel add), which crashed cairn with SIGSEGV or a glibc heap abort.
 */
export function openLibcrypto<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): Deno.DynamicLibrary<S & typeof CRYPTO_INIT>["symbols"] | null {
  const all: S & typeof CRYPTO_INIT = { ...symbols, ...CRYPTO_INIT };
  const lib = openNative(CRYPTO_NAMES, all, "CAIRN_NO_NATIVE_MD5");
  if (!lib) return null;
  const init = lib.OPENSSL_init_crypto as Deno.StaticForeignSymbol<
    typeof CRYPTO_INIT.OPENSSL_init_crypto
  >;
  return init(OPENSSL_INIT_NO_ATEXIT, null) === 1 ? lib : null;
}
