/**
 * Parsing with the `yaml` package when this process has not loaded it:
 * in a worker that loads it, while this thread waits (Atomics.wait), so
 * parseYaml() stays synchronous for its many callers. Only for text the fast
 * reader declines (yaml_fast.ts), which DVC's own files never are. The
 * worker serves later calls too and closes itself when idle.
 *
 * The result crosses as JSON that keeps what structured clone would lose:
 * Python types (PyFloat, bigint), key order, positions, shared objects.
 */
import { CairnError, DvcFileSyntaxError } from "../errors.ts";
import { isPyFloat, keyString, mapEntries, PyFloat, setKeyOrder } from "./value.ts";
import { PosIndex, type YamlPos } from "./yaml_pos.ts";

/** Header of the shared buffer: state (0 waiting, 1 done), byte length of the answer. */
const HEADER = 8;
/** An answer past this is refused (aliases are bounded far below it). */
const MAX_ANSWER = 1 << 30;
/** How long to wait for the worker before giving up (it loads a package, then parses). */
const TIMEOUT_MS = 120_000;
/** The worker closes itself after this long without work (it would keep the process alive). */
export const IDLE_CLOSE_MS = 500;

/** Worker states in the control word: a CAS on it decides "reuse" against "close". */
export const IDLE = 0, BUSY = 1, CLOSED = 2;

/** What the worker is asked. */
export interface SyncRequest {
  kind: "yaml" | "toml";
  text: string;
  path: string;
  /** where the answer goes (grown by the worker when needed). */
  buffer: SharedArrayBuffer;
  /** the worker's control word (IDLE/BUSY/CLOSED). */
  control: SharedArrayBuffer;
}

type Enc = unknown;
type P = [number, number];

/** parseYaml() of `text` by the library in a worker. */
export function parseYamlInWorker(
  text: string,
  path: string,
): { value: unknown; positions: PosIndex } {
  const answer = callWorker({ kind: "yaml", text, path });
  const positions = new PosIndex(path);
  return { value: decode(answer.value, positions, []), positions };
}

/** lib/py/toml_parse.ts's parseTomlParams() of `text`, in a worker. */
export function parseTomlInWorker(text: string, path: string): unknown {
  const answer = callWorker({ kind: "toml", text, path });
  return decode(answer.value, new PosIndex(path), []);
}

/** The worker of earlier calls while it lives (a run that needs it once often needs it again). */
let current: { worker: Worker; control: Int32Array } | undefined;

function callWorker(req: Omit<SyncRequest, "buffer" | "control">): { value: Enc } {
  if (current && Atomics.compareExchange(current.control, 0, IDLE, BUSY) === CLOSED) {
    current = undefined;
  }
  if (!current) {
    const control = new Int32Array(new SharedArrayBuffer(4));
    control[0] = BUSY;
    const worker = new Worker(new URL("./_yaml_worker.ts", import.meta.url), { type: "module" });
    current = { worker, control };
  }
  const buffer = new SharedArrayBuffer(HEADER + 4 * req.text.length + 4096, {
    maxByteLength: MAX_ANSWER,
  });
  const { worker, control } = current;
  worker.postMessage({ ...req, buffer, control: control.buffer as SharedArrayBuffer });
  const state = new Int32Array(buffer, 0, 2);
  if (Atomics.wait(state, 0, 0, TIMEOUT_MS) === "timed-out") {
    worker.terminate();
    current = undefined;
    throw new CairnError(`reading '${req.path}' took too long`, {
      hint: `its ${req.kind.toUpperCase()} reader gave no answer in ${TIMEOUT_MS / 1000} s; ` +
        "try again on a less loaded machine, or simplify the file (anchors, flow style)",
    });
  }
  const len = state[1];
  const json = new TextDecoder().decode(new Uint8Array(buffer, HEADER, len).slice());
  const answer = JSON.parse(json);
  if (answer.error) throw rebuildError(answer.error, req.path);
  return answer;
}

/** Worker side: write `answer` (JSON-able) into the request's buffer and wake the caller. */
export function answer(req: SyncRequest, answer: unknown): void {
  const { buffer } = req;
  let bytes = new TextEncoder().encode(JSON.stringify(answer));
  if (HEADER + bytes.length > MAX_ANSWER) {
    bytes = new TextEncoder().encode(JSON.stringify({
      error: { syntax: false, message: `'${req.path}' is too large once read` },
    }));
  }
  if (HEADER + bytes.length > buffer.byteLength) buffer.grow(HEADER + bytes.length);
  const state = new Int32Array(buffer, 0, 2);
  new Uint8Array(buffer, HEADER, bytes.length).set(bytes);
  state[1] = bytes.length;
  // idle before the caller wakes: its next call then finds the worker reusable
  Atomics.store(new Int32Array(req.control), 0, IDLE);
  Atomics.store(state, 0, 1);
  Atomics.notify(state, 0);
}

/** Worker side: send an error back. */
export function answerError(req: SyncRequest, err: unknown): void {
  const e = err instanceof DvcFileSyntaxError
    ? { syntax: true, message: err.message, line: err.line, column: err.column }
    : { syntax: false, message: err instanceof Error ? err.message : String(err) };
  answer(req, { error: e });
}

function rebuildError(
  e: { syntax: boolean; message: string; line?: number; column?: number },
  path: string,
): Error {
  if (!e.syntax) return new CairnError(e.message);
  const err = new DvcFileSyntaxError(path, "", { line: e.line, column: e.column });
  err.message = e.message;
  return err;
}

const pos = (p: YamlPos | undefined): P | 0 => p ? [p.line, p.column] : 0;
const unpos = (p: P | 0): YamlPos => p ? { line: p[0], column: p[1] } : { line: 1, column: 1 };

/** Worker side: a parsed value with its positions as JSON-able data. */
export function encode(v: unknown, positions: PosIndex, seen = new Map<object, number>()): Enc {
  if (v === null || typeof v === "boolean" || typeof v === "string") return v;
  if (typeof v === "bigint") return { b: v.toString() };
  if (v instanceof PyFloat || isPyFloat(v)) {
    const n = Number(v);
    return { f: Object.is(n, -0) ? "-0" : String(n), w: v instanceof PyFloat ? 1 : 0 };
  }
  if (typeof v === "number") return v; // an int
  if (typeof v !== "object" || v === undefined) throw new TypeError(`cannot pass ${typeof v}`);
  const id = seen.get(v);
  if (id !== undefined) return { r: id };
  seen.set(v, seen.size);
  if (Array.isArray(v)) {
    return {
      a: v.map((x) => encode(x, positions, seen)),
      p: pos(positions.of(v)),
      ip: v.map((_, i) => pos(positions.value(v, i))),
    };
  }
  const m: Enc[] = [];
  for (const [k, x] of mapEntries(v)) {
    const ks = keyString(k);
    const kp = pos(positions.key(v, ks));
    m.push([encode(k, positions), encode(x, positions, seen), kp, pos(positions.value(v, ks))]);
  }
  return { m, p: pos(positions.of(v)) };
}

/** Main side: rebuild what encode() wrote. */
function decode(e: Enc, positions: PosIndex, objs: object[]): unknown {
  if (e === null || typeof e !== "object") return e;
  const o = e as Record<string, unknown>;
  if ("b" in o) return BigInt(o.b as string);
  if ("f" in o) return o.w ? new PyFloat(Number(o.f)) : Number(o.f);
  if ("r" in o) return objs[o.r as number];
  if ("a" in o) {
    const out: unknown[] = [];
    objs.push(out);
    for (const x of o.a as Enc[]) out.push(decode(x, positions, objs));
    positions.set(out, { pos: unpos(o.p as P), items: (o.ip as P[]).map(unpos) });
    return out;
  }
  const obj: Record<string, unknown> = {};
  objs.push(obj);
  const order: unknown[] = [];
  const keys = new Map<string, { key: YamlPos; value: YamlPos }>();
  for (const [k, x, kp, vp] of o.m as [Enc, Enc, P | 0, P | 0][]) {
    const key = decode(k, positions, []);
    const ks = keyString(key);
    obj[ks] = decode(x, positions, objs);
    order.push(key);
    if (kp) keys.set(ks, { key: unpos(kp), value: unpos(vp) });
  }
  setKeyOrder(obj, order);
  positions.set(obj, { pos: unpos(o.p as P), keys });
  return obj;
}
