/**
 * Ctrl-C as a signal that long operations check between units of work, so
 * they stop at a consistent point (lock files describe only finished stages,
 * no half-written objects). The CLI triggers it; library users may too.
 */
import { InterruptedError } from "./errors.ts";

const controller = new AbortController();

export const interruptSignal: AbortSignal = controller.signal;

export function triggerInterrupt(): void {
  controller.abort(new InterruptedError());
}

/** Throw InterruptedError if Ctrl-C was pressed. */
export function checkInterrupted(): void {
  if (controller.signal.aborted) throw new InterruptedError();
}
