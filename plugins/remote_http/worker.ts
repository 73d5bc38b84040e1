/**
 * This remote's Worker entry (plugins/builtin.ts names it): the plugin module
 * is a static import, loaded with the entry, so the Worker needs no read
 * access to cairn's source (Deno's lazy dynamic imports would ask for it).
 */
import { servePlugin } from "../../lib/plugin/worker_serve.ts";
import * as mod from "./mod.ts";

servePlugin(() => Promise.resolve(mod));
