/**
 * Installed plugins: the built-in ones (registered from plugins/builtin.ts) plus
 * any a project names by path in its config. Finds the remote plugin for a URL
 * by its scheme; a URL without a scheme is a local-folder remote.
 */
import { isAbsolute, resolve } from "../path.ts";
import { toFileUrl } from "./_file_url.ts";
import { CairnError, ConfigError } from "../errors.ts";
import { type PluginSpec, readManifest } from "./loader.ts";
import { pluginDigest } from "./trust.ts";
import { builtinSpecs } from "./builtins.ts";

/** The scheme of a remote URL: "" for plain paths (local remote). */
export function urlScheme(url: string): string {
  const m = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(url);
  if (!m) return /^[^/@:]+@[^:/]+:/.test(url) ? "ssh" : "";
  const s = m[1].toLowerCase();
  return s === "file" ? "" : s;
}

export class PluginRegistry {
  #plugins: PluginSpec[];

  constructor(plugins: readonly PluginSpec[] = builtinSpecs()) {
    this.#plugins = [...plugins];
  }

  /**
   * Built-ins plus project plugins from paths (a plugin folder with manifest.ts
   * and mod.ts, or the manifest file itself); relative paths resolve against
   * `baseDir`. A project plugin of the same name replaces the built-in.
   */
  static async create(
    opts: { paths?: string[]; baseDir?: string } = {},
  ): Promise<PluginRegistry> {
    const reg = new PluginRegistry();
    for (const p of opts.paths ?? []) await reg.addPath(p, opts.baseDir);
    return reg;
  }

  async addPath(path: string, baseDir: string = Deno.cwd()): Promise<PluginSpec> {
    const abs = isAbsolute(path) ? path : resolve(baseDir, path);
    let dir = abs;
    let manifestFile = `${abs}/manifest.ts`;
    try {
      if (Deno.statSync(abs).isFile) {
        manifestFile = abs;
        dir = abs.slice(0, abs.lastIndexOf("/"));
      }
    } catch (err) {
      throw new ConfigError(`plugin path '${path}' does not exist`, { cause: err });
    }
    const modFile = `${dir}/mod.ts`;
    try {
      Deno.statSync(modFile);
    } catch {
      throw new ConfigError(`plugin at '${path}' has no mod.ts`);
    }
    // Before anything of it runs: a link leading out of the folder would widen
    // the read access its Worker gets to its own folder (lib/plugin/trust.ts).
    pluginDigest(Deno.realPathSync(dir), path);
    const manifest = await readManifest(toFileUrl(manifestFile), path);
    const spec: PluginSpec = {
      manifest,
      module: toFileUrl(modFile),
      builtin: false,
      source: abs,
    };
    this.add(spec);
    return spec;
  }

  add(spec: PluginSpec): void {
    this.#plugins = this.#plugins.filter((p) => p.manifest.name !== spec.manifest.name);
    this.#plugins.push(spec);
  }

  list(): PluginSpec[] {
    return [...this.#plugins];
  }

  get(name: string): PluginSpec | undefined {
    return this.#plugins.find((p) => p.manifest.name === name);
  }

  /** The runner plugin for `runner: NAME` in a stage (`shell` = `runner_shell`). */
  runner(name: string): PluginSpec | undefined {
    for (const n of name.startsWith("runner_") ? [name] : [`runner_${name}`, name]) {
      const found = this.get(n);
      if (found?.manifest.kind === "runner") return found;
    }
    return undefined;
  }

  /** The remote plugin serving `url`'s scheme (project plugins win over built-ins). */
  forUrl(url: string): PluginSpec {
    const scheme = urlScheme(url);
    const found = [...this.#plugins].reverse().find((p) =>
      p.manifest.kind === "remote" && (p.manifest.schemes ?? []).includes(scheme)
    );
    if (!found) {
      const known = this.#plugins.filter((p) => p.manifest.kind === "remote")
        .flatMap((p) => p.manifest.schemes ?? []).filter((s) => s).map((s) => `${s}://`);
      throw new CairnError(`no remote plugin handles '${scheme}://' URLs ('${url}')`, {
        hint: `supported: local paths, ${known.join(", ")}; a project can add a plugin for it`,
      });
    }
    return found;
  }
}
