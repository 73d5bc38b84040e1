/**
 * Ctrl-C. Every file cairn writes is written atomically, so by default the
 * CLI may exit at once (252) and leave a consistent state. Operations that
 * own resources that must be cleaned up first (running stage processes,
 * a lock file to finish) register a handler; then the CLI triggers the
 * handlers and waits for the operation to stop with InterruptedError.
 */
import { InterruptedError } from "./errors.ts";

const controller = new AbortController();
const handlers = new Set<() => void>();

export const interruptSignal: AbortSignal = controller.signal;

/** Register cleanup to run on Ctrl-C; returns the unregister function. */
export function onInterrupt(handler: () => void): () => void {
  handlers.add(handler);
  return () => handlers.delete(handler);
}

/** True if an operation asked to handle Ctrl-C itself. */
export function hasInterruptHandlers(): boolean {
  return handlers.size > 0;
}

export function triggerInterrupt(): void {
  if (!controller.signal.aborted) controller.abort(new InterruptedError());
  for (const h of [...handlers]) {
    try {
      h();
    } catch { /* a failing handler must not block the others */ }
  }
}

/** Throw InterruptedError if Ctrl-C was pressed. */
export function checkInterrupted(): void {
  if (controller.signal.aborted) throw new InterruptedError();
}

/**
 * A macrotask boundary without timer clamping: Worker replies and Ctrl-C (a
 * signal listener) get handled. Long synchronous loops await it now and then,
 * or Ctrl-C would wait for the loop to end.
 */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => {
      ch.port1.close();
      resolve();
    };
    ch.port2.postMessage(null);
  });
}
