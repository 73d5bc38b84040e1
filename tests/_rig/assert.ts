/** Assertion names used across the tests, backed by node:assert/strict. */
import { deepStrictEqual, match, ok, rejects, throws } from "node:assert/strict";

export function assert(value: unknown, message?: string): asserts value {
  ok(value, message);
}
export const assertEquals: <T>(actual: unknown, expected: T, message?: string) => void =
  deepStrictEqual;
export const assertMatch: (value: string, re: RegExp, message?: string) => void = match;
export { rejects as assertRejects, throws as assertThrows };
