/**
 * The one assertion module of the tests (backed by node:assert/strict), so
 * every test reads the same way. Import from here, not from node:assert.
 */
import {
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
export { rejects as assertRejects, throws as assertThrows };
