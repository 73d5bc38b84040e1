/** cairn's version (kept in step with deno.json "version"). */
export const VERSION = "0.1.0";

/**
 * The DVC release whose formats and output cairn matches. `cairn --version`
 * answers with it, as clients that drive a `dvc` executable (DVC's VS Code
 * extension checks `dvc --version` against its supported range) expect;
 * cairn's own version is in `cairn version` / `cairn doctor`.
 */
export const DVC_COMPAT_VERSION = "3.64.0";
