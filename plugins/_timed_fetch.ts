/**
 * The HTTP-based remotes' (remote_http, remote_s3) way to send a request: a
 * time limit on the response's start, and network failures mapped to
 * RemoteErrors: fatal before the server ever answered (a wrong address must
 * not be retried), transient after (a dropped connection is worth a retry).
 */
import { RemoteError } from "../lib/plugin/remote_api.ts";

/** Bytes per second assumed when sizing an upload's time limit. */
export const MIN_UPLOAD_RATE = 256 * 1024;

/** What a TimedFetch says when a request fails before any response. */
export interface TimedFetchMessages {
  /** The server was never reached (`msg`: the network error's message). */
  unreachable(url: string, msg: string): string;
  /** A request failed after the server had answered before. */
  failed(url: string, msg: string): string;
}

/**
 * Requests whose response does not start within the connect timeout (plus the
 * time the body takes at MIN_UPLOAD_RATE) are aborted: a wedged server must
 * not hang a push.
 */
export class TimedFetch {
  #connectTimeout: number;
  #messages: TimedFetchMessages;
  #everConnected = false;
  #aborters = new WeakMap<Response, AbortController>();

  /** `connectTimeout`: seconds. */
  constructor(connectTimeout: number, messages: TimedFetchMessages) {
    this.#connectTimeout = connectTimeout;
    this.#messages = messages;
  }

  /** The response's time limit in ms for a request carrying `bodyBytes`. */
  limitMs(bodyBytes: number): number {
    return this.#connectTimeout * 1000 + (bodyBytes / MIN_UPLOAD_RATE) * 1000;
  }

  /** Whether some request has had an answer. */
  get everConnected(): boolean {
    return this.#everConnected;
  }

  /** A request sent another way (a kept-alive client) had an answer. */
  connected(): void {
    this.#everConnected = true;
  }

  /** `send(url, init)` with a signal that aborts it when the time limit passes. */
  async fetch(
    url: string,
    init: RequestInit,
    bodyBytes: number,
    send: (url: string, init: RequestInit) => Promise<Response>,
  ): Promise<Response> {
    let res: Response;
    const ctl = new AbortController();
    const ms = this.limitMs(bodyBytes);
    const timer = setTimeout(
      () => ctl.abort(new Error(`no response within ${Math.round(ms / 1000)} s`)),
      ms,
    );
    try {
      res = await send(url, { ...init, signal: ctl.signal });
    } catch (err) {
      // A denied permission is the plugin's grants, not the network: as it is.
      if ((err as Error)?.name === "NotCapable") throw err;
      const msg = (err as Error)?.message ?? String(err);
      if (!this.#everConnected) {
        throw new RemoteError(this.#messages.unreachable(url, msg), {
          fatal: true,
          code: "ECONNREFUSED",
        });
      }
      throw new RemoteError(this.#messages.failed(url, msg), {
        transient: true,
        code: "ECONNRESET",
      });
    } finally {
      clearTimeout(timer);
    }
    this.#everConnected = true;
    this.#aborters.set(res, ctl);
    return res;
  }

  /** The controller that aborts `res` (its body read too), for saveBody's `abort`. */
  abortOf(res: Response): AbortController | undefined {
    return this.#aborters.get(res);
  }
}
