/**
 * cairn as a library: open a repository, run the verbs, read results as
 * typed values. Nothing here prints or exits.
 *
 * ```ts
 * import { openRepo } from "./mod.ts";
 * const repo = openRepo(".");
 * ```
 */
export { findRoot, openRepo, type Repo } from "./lib/repo/repo.ts";
export { init, type InitOptions, type InitResult } from "./lib/repo/init.ts";
export { type Config, loadConfig } from "./lib/config/config.ts";
export * from "./lib/errors.ts";
export type * from "./lib/stage/types.ts";
export { VERSION } from "./lib/version.ts";
