/**
 * The one assertion module of the tests (backed by node:assert/strict), so
 * every test reads the same way. Import from here, not from node:assert.
 */
import {
  AssertionError,
  deepStrictEqual,
  doesNotMatch,
  match,
  notStrictEqual,
  ok,
  rejects,
  strictEqual,
  throws,
} from "node:assert/strict";

/** `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  ok(value, message);
}
/** Deep, strict structural equality (primitives compared with Object.is). */
export const assertEquals: <T>(actual: unknown, expected: T, message?: string) => void =
  deepStrictEqual;
/** Object.is equality: the same primitive value or the same object. */
export const assertStrictEquals: <T>(actual: unknown, expected: T, message?: string) => void =
  strictEqual;
/** Not Object.is equal. */
export const assertNotStrictEquals: (actual: unknown, expected: unknown, message?: string) => void =
  notStrictEqual;
export const assertMatch: (value: string, re: RegExp, message?: string) => void = match;
export const assertNotMatch: (value: string, re: RegExp, message?: string) => void = doesNotMatch;

// deno-lint-ignore no-explicit-any
type ErrorClass = abstract new (...args: any[]) => Error;

function isErrorClass(x: unknown): x is ErrorClass {
  return typeof x === "function" && (x === Error || x.prototype instanceof Error);
}

function checkCaught(err: unknown, cls: ErrorClass, msg?: string | RegExp): void {
  ok(err instanceof cls, `expected ${cls.name}, got ${err instanceof Error ? err.stack : err}`);
  if (typeof msg === "string") {
    ok(err.message.includes(msg), `expected the message to include "${msg}": ${err.message}`);
  } else if (msg) match(err.message, msg);
}

/** node:assert's validation (RegExp, predicate, object of properties) or, alone, a failure message. */
type Validation = RegExp | ((err: unknown) => boolean) | object | string;

/**
 * `fn` rejects. With an error class: an instance of it, whose message
 * includes `msg` (string) or matches it (RegExp); returns the error.
 * Otherwise node:assert's rejects(fn, validation, message).
 */
export async function assertRejects(
  fn: (() => Promise<unknown>) | Promise<unknown>,
  expected?: ErrorClass | Validation,
  msg?: string | RegExp,
): Promise<unknown> {
  if (typeof expected === "string" || expected === undefined) {
    await rejects(fn, expected);
    return undefined;
  }
  if (!isErrorClass(expected)) {
    await rejects(fn, expected, msg as string | undefined);
    return undefined;
  }
  try {
    await (typeof fn === "function" ? fn() : fn);
  } catch (err) {
    checkCaught(err, expected, msg);
    return err;
  }
  throw new AssertionError({ message: `expected a rejection with ${expected.name}` });
}

/** Like assertRejects, for a function that throws synchronously. */
export function assertThrows(
  fn: () => unknown,
  expected?: ErrorClass | Validation,
  msg?: string | RegExp,
): unknown {
  if (typeof expected === "string" || expected === undefined) {
    throws(fn, expected);
    return undefined;
  }
  if (!isErrorClass(expected)) {
    throws(fn, expected, msg as string | undefined);
    return undefined;
  }
  try {
    fn();
  } catch (err) {
    checkCaught(err, expected, msg);
    return err;
  }
  throw new AssertionError({ message: `expected ${expected.name} to be thrown` });
}
