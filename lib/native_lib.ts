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
