/** file:// URL of an absolute path (what `import()` inside a Worker needs). */
import { pathToFileURL } from "node:url";

export function toFileUrl(path: string): string {
  return pathToFileURL(path).href;
}
