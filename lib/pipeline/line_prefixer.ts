/**
 * `[train] ...` prefixes for the output of stages running at once (`repro
 * -j N`). A module of its own: the CLI imports it on every `repro`, and
 * run_command.ts would bring the process-spawning layer with it.
 */

/**
 * Splits a byte stream into lines and prefixes each (`[train] ...`), so
 * the output of stages running at once stays readable. A partial last line
 * is held until its newline or `flush()`.
 */
export class LinePrefixer {
  #buf = "";
  #dec = new TextDecoder();
  constructor(readonly prefix: string, readonly write: (text: string) => void) {}
  push(data: Uint8Array): void {
    this.#buf += this.#dec.decode(data, { stream: true });
    let nl: number;
    while ((nl = this.#buf.indexOf("\n")) !== -1) {
      this.write(`${this.prefix}${this.#buf.slice(0, nl + 1)}`);
      this.#buf = this.#buf.slice(nl + 1);
    }
  }
  flush(): void {
    this.#buf += this.#dec.decode();
    if (this.#buf) this.write(`${this.prefix}${this.#buf}\n`);
    this.#buf = "";
  }
}
