/**
 * Jupyter notebooks (nbformat 4) as data: read with a clear error naming the
 * file, cells' source joined, tags, the kernel's language, and written back
 * the way Jupyter writes them (indent 1, sorted keys, source as lines).
 */
import { CairnError } from "../errors.ts";
import { writeTextAtomic } from "../fs/atomic_write.ts";

/** One output of a code cell (stream, display_data, execute_result or error). */
export type CellOutput = Record<string, unknown>;

/** A notebook cell. */
export interface Cell {
  cell_type: "code" | "markdown" | "raw";
  source: string | string[];
  metadata: Record<string, unknown> & { tags?: string[] };
  outputs?: CellOutput[];
  execution_count?: number | null;
  id?: string;
  [key: string]: unknown;
}

/** A notebook document. */
export interface Notebook {
  cells: Cell[];
  metadata: Record<string, unknown>;
  nbformat: number;
  nbformat_minor: number;
}

/** The language a notebook's kernel runs. */
export type NotebookLanguage = "deno" | "python";

/** Bad notebook file (exit 1 like other bad input files). */
export class NotebookError extends CairnError {}

/** Read and check a .ipynb file. */
export function readNotebook(path: string, shown: string = path): Notebook {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      throw new NotebookError(`notebook '${shown}' does not exist`);
    }
    throw err;
  }
  let nb: Notebook;
  try {
    nb = JSON.parse(text);
  } catch (err) {
    throw new NotebookError(`'${shown}' is not a notebook: ${(err as Error).message}`);
  }
  if (!nb || typeof nb !== "object" || !Array.isArray(nb.cells)) {
    throw new NotebookError(`'${shown}' is not a notebook: no 'cells' list`);
  }
  if (nb.nbformat !== 4) {
    throw new NotebookError(`'${shown}': nbformat ${nb.nbformat} is not supported (only 4)`);
  }
  nb.cells.forEach((c, i) => {
    if (!c || typeof c !== "object" || !["code", "markdown", "raw"].includes(c.cell_type)) {
      throw new NotebookError(`'${shown}': cell ${i + 1} has no valid cell_type`);
    }
    c.metadata ??= {};
  });
  nb.metadata ??= {};
  return nb;
}

/** A cell's source as one string. */
export function cellSource(cell: Cell): string {
  return Array.isArray(cell.source) ? cell.source.join("") : cell.source ?? "";
}

/** A source string as nbformat's list of lines (each but the last keeps its newline). */
export function sourceLines(text: string): string[] {
  const lines = text.split(/(?<=\n)/);
  return lines.length === 1 && lines[0] === "" ? [] : lines;
}

/** Tags of a cell (metadata.tags). */
export function cellTags(cell: Cell): string[] {
  const tags = cell.metadata?.tags;
  return Array.isArray(tags) ? tags.filter((t): t is string => typeof t === "string") : [];
}

/** Which kernel language the notebook is for (kernelspec, then language_info). */
export function notebookLanguage(nb: Notebook, path: string): NotebookLanguage {
  const ks = (nb.metadata.kernelspec ?? {}) as Record<string, unknown>;
  const li = (nb.metadata.language_info ?? {}) as Record<string, unknown>;
  const names = [ks.name, ks.language, li.name].map((v) => String(v ?? "").toLowerCase());
  if (names.some((n) => n === "deno" || n === "typescript" || n === "javascript")) return "deno";
  if (names.some((n) => n.startsWith("python"))) return "python";
  throw new NotebookError(
    `'${path}': cannot tell the notebook's language (kernelspec ${
      JSON.stringify(ks.name ?? null)
    }); cairn runs Deno (TypeScript) and Python notebooks`,
  );
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === "object") {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
    return out;
  }
  return v;
}

/** A notebook as Jupyter serializes it. */
export function notebookText(nb: Notebook): string {
  return JSON.stringify(sortKeys(nb), null, 1) + "\n";
}

/** Write a notebook atomically. */
export function writeNotebook(path: string, nb: Notebook): void {
  writeTextAtomic(path, notebookText(nb), { mkdirs: true });
}
