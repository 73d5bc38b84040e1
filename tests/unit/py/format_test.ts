import { assertEquals } from "../../_rig/assert.ts";
import { formatField, pyFormatG, pyRound, pyStr } from "../../../lib/py/format.ts";
import { PyFloat } from "../../../lib/py/value.ts";
import { pyJsonDumps } from "../../../lib/py/json_dumps.ts";

Deno.test("pyRound is Python's round(): exact half-even on the binary value", () => {
  assertEquals(pyRound(1.056177, 5), 1.05618);
  assertEquals(pyRound(0.125, 2), 0.12); // exact tie -> even
  assertEquals(pyRound(0.375, 2), 0.38);
  assertEquals(pyRound(2.675, 2), 2.67); // 2.67499999... in binary
  assertEquals(pyRound(0.5, 0), 0);
  assertEquals(pyRound(1.5, 0), 2);
  assertEquals(pyRound(-1.2345678, 3), -1.235);
  assertEquals(pyRound(1234.5, -2), 1200);
  assertEquals(pyRound(1e-7, 5), 0);
  assertEquals(pyRound(123456789.123456789, 5), 123456789.12346);
});

Deno.test("pyStr gives Python's str()", () => {
  assertEquals(pyStr(true), "True");
  assertEquals(pyStr(null), "None");
  assertEquals(pyStr(new PyFloat(1)), "1.0");
  assertEquals(pyStr(1e-5), "1e-05");
  assertEquals(pyStr([0.25, 0.5, new PyFloat(2)]), "[0.25, 0.5, 2.0]");
  assertEquals(pyStr(["a", "it's"]), `['a', "it's"]`);
  assertEquals(pyStr({ a: 1, b: [true] }), "{'a': 1, 'b': [True]}");
});

Deno.test("formatField: floats rounded, 0 precision means none, ints untouched", () => {
  assertEquals(formatField(1.056177, { precision: 5, roundDigits: true }), "1.05618");
  assertEquals(formatField(new PyFloat(3), { precision: 5, roundDigits: true }), "3.0");
  assertEquals(formatField(1.056177, { precision: 0, roundDigits: true }), "1.056177");
  assertEquals(formatField(7, { precision: 1, roundDigits: true }), "7");
  assertEquals(formatField(0.000012345, { precision: 3 }), "1.23e-05");
  assertEquals(pyFormatG(1234567, 3), "1.23e+06");
  assertEquals(pyFormatG(0.5, 5), "0.5");
});

Deno.test("pyJsonDumps: Python json.dumps separators, float repr, ascii", () => {
  assertEquals(
    pyJsonDumps({ a: new PyFloat(0), b: 0.009000000000000001, c: "é", d: [1, true, null] }),
    '{"a": 0.0, "b": 0.009000000000000001, "c": "\\u00e9", "d": [1, true, null]}',
  );
  assertEquals(pyJsonDumps({ a: { b: [] } }, { indent: 2 }), '{\n  "a": {\n    "b": []\n  }\n}');
});
