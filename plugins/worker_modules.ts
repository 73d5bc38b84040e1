/**
 * The modules of the built-in plugins that run in Workers (the remotes of
 * ./builtin.ts), by plugin name, with literal specifiers: imported only by the
 * Worker's entry (./worker_host.ts), so they are part of the Worker's module
 * graph (`deno compile` embeds them; loading needs no read permission) and
 * stay out of the main program's type check (ssh2's types pull in an older
 * @types/node). tests/unit/plugin/builtin_test.ts checks it against the table.
 */
export const WORKER_MODULES: Readonly<Record<string, () => Promise<Record<string, unknown>>>> = {
  remote_local: () => import("./remote_local/mod.ts"),
  remote_s3: () => import("./remote_s3/mod.ts"),
  remote_ssh: () => import("./remote_ssh/mod.ts"),
  remote_http: () => import("./remote_http/mod.ts"),
};
