/// <reference lib="deno.worker" />
/**
 * Worker of yaml_sync.ts: parses documents with the `yaml` package (or
 * TOML with smol-toml) and
 * writes each result into the caller's shared buffer; closes itself when
 * idle (a live worker keeps the process alive).
 */
import {
  answer,
  answerError,
  CLOSED,
  encode,
  IDLE,
  IDLE_CLOSE_MS,
  type SyncRequest,
} from "./yaml_sync.ts";
import { PosIndex } from "./yaml_pos.ts";

let idle: ReturnType<typeof setTimeout> | undefined;

self.onmessage = async (e: MessageEvent<SyncRequest>) => {
  clearTimeout(idle);
  const req = e.data;
  try {
    if (req.kind === "toml") {
      const { parseTomlParams } = await import("./toml_parse.ts");
      const value = parseTomlParams(req.text, req.path);
      answer(req, { value: encode(value, new PosIndex(req.path)) });
    } else {
      await import("./yaml_lib.ts"); // makes the library available to parseYaml
      const { parseYaml } = await import("./yaml_parse.ts");
      const r = parseYaml(req.text, req.path);
      answer(req, { value: encode(r.value, r.positions) });
    }
  } catch (err) {
    answerError(req, err);
  }
  const control = new Int32Array(req.control);
  idle = setTimeout(() => {
    // closes only if no call claimed the worker meanwhile (the caller's CAS IDLE -> BUSY)
    if (Atomics.compareExchange(control, 0, IDLE, CLOSED) === IDLE) self.close();
  }, IDLE_CLOSE_MS);
};
