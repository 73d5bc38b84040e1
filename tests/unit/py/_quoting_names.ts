/**
 * The outputs of the lock_formats fixture's `quoting` stage
 * (tests/fixtures/dvc3/_generator/make_fixtures.sh): strings YAML would read as
 * something else (booleans, numbers, null) or that hold its syntax, so DVC's
 * writer quotes most of them. In the fixture's order.
 */
export const QUOTING_NAMES: readonly string[] = [
  "true",
  "123",
  "1e5",
  "null",
  "0x1F",
  "yes",
  "colon: space.txt",
  "hash #sign.txt",
  "[brackets].txt",
  "{braces}.txt",
  "@at.txt",
  "it's.txt",
  "!bang.txt",
  "&amp.txt",
  "*star.txt",
  "-dash.txt",
];
