export function create() {
  throw new Error("todo");
}
