/**
 * The Vega, Vega-Lite and vega-embed browser builds, read from the npm
 * packages at the moment a page is written (never imported: CLI start-up
 * stays fast) and inlined so the page renders without internet access.
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { ignoreNotFound } from "../errors.ts";

/** Versions DVC's page loads from its CDN (used only when the packages are unavailable). */
const CDN = [
  "https://cdn.jsdelivr.net/npm/vega@5.20.2",
  "https://cdn.jsdelivr.net/npm/vega-lite@5.2.0",
  "https://cdn.jsdelivr.net/npm/vega-embed@6.18.2",
];

const PACKAGES: [string, string][] = [
  ["vega", "vega.min.js"],
  ["vega-lite", "vega-lite.min.js"],
  ["vega-embed", "vega-embed.min.js"],
];

export interface VegaScripts {
  /** `<script>` elements to put in the page head. */
  html: string;
  /** true when the code is inlined (the page works offline). */
  offline: boolean;
}

/** Path of a package's minified UMD build (next to its main entry, in build/). */
function buildFile(pkg: string, file: string): string {
  const require = createRequire(import.meta.url);
  const main = require.resolve(pkg);
  let dir = dirname(main);
  // main entries live in build/ (vega-node.js, vega-lite.js, vega-embed.js)
  for (let i = 0; i < 3; i++) {
    const p = join(dir, file);
    try {
      if (Deno.statSync(p).isFile) return p;
    } catch (err) {
      ignoreNotFound(err); // look further up
    }
    const b = join(dir, "build", file);
    try {
      if (Deno.statSync(b).isFile) return b;
    } catch (err) {
      ignoreNotFound(err); // look further up
    }
    dir = dirname(dir);
  }
  throw new Error(`${file} not found in package ${pkg}`);
}

let cached: VegaScripts | undefined;

/** Inline `<script>` elements, or CDN ones when the packages cannot be found. */
export function vegaScripts(): VegaScripts {
  if (cached) return cached;
  try {
    const parts = PACKAGES.map(([pkg, file]) => {
      // "</script" inside the code would end the element early.
      const code = Deno.readTextFileSync(buildFile(pkg, file)).replaceAll("</script", "<\\/script");
      return `<script type="text/javascript">/* ${pkg} */\n${code}\n</script>`;
    });
    cached = { html: parts.join("\n"), offline: true };
  } catch {
    // any failure to read the builds (package not installed, no read permission,
    // a compiled binary without them) leaves the page online-only
    cached = { html: CDN.map((u) => `<script src="${u}"></script>`).join("\n"), offline: false };
  }
  return cached;
}
