/**
 * One HTTP exchange over node:http / node:https with a keep-alive agent and a per-request deadline.
 *
 * Its job beyond sending bytes is to say precisely whether a failed request *may have reached the
 * server*: the cloud client must never repeat a create that might have been applied.
 */
import http from 'node:http';
import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Socket } from 'node:net';

/** A fully prepared request: the URL carries the encoded path and query exactly as signed. */
export interface HttpRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  /** Sent verbatim (the bytes that were hashed for the signature). */
  body?: Buffer;
  /** Deadline for the whole exchange, connect to last response byte (real time). */
  timeoutMs: number;
  /**
   * Use a new connection instead of a pooled keep-alive one. Non-idempotent calls use it, so a stale
   * pooled socket (closed by the server while idle) cannot turn into a spurious "unknown outcome".
   */
  freshConnection?: boolean;
  /**
   * Gives up on the exchange: when it aborts (or is already aborted), the request and its socket are
   * destroyed at once and {@link HttpTransport.send} rejects with a {@link TransportError} whose
   * `aborted` is true (and whose `mayHaveBeenSent` is exact, as for any other failure).
   */
  signal?: AbortSignal;
}

/** A complete response (status, headers, whole body). */
export interface HttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** Why an exchange failed without a complete response. */
export class TransportError extends Error {
  /** Node's error code (`ECONNREFUSED`, `ECONNRESET`, …) or `ETIMEDOUT` for our own deadline. */
  readonly code: string | undefined;
  /**
   * False only when the connection was never established for this request (refused, DNS failure,
   * connect or TLS-handshake failure, deadline hit while connecting): then not one request byte left
   * this process and the server certainly did not act. True once a connected socket carried it.
   */
  readonly mayHaveBeenSent: boolean;
  /** The status line arrived but the body did not complete. */
  readonly responseStarted: boolean;
  readonly timedOut: boolean;
  /** The request's `signal` aborted: the exchange was cut short on purpose (code `ABORT_ERR`). */
  readonly aborted: boolean;

  constructor(
    message: string,
    o: {
      code: string | undefined;
      mayHaveBeenSent: boolean;
      responseStarted: boolean;
      timedOut: boolean;
      aborted?: boolean;
    },
    cause?: unknown,
  ) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'TransportError';
    this.code = o.code;
    this.mayHaveBeenSent = o.mayHaveBeenSent;
    this.responseStarted = o.responseStarted;
    this.timedOut = o.timedOut;
    this.aborted = o.aborted ?? false;
  }
}

/** `TransportError.code` of an exchange cut short by its request's `signal` (Node's own abort code). */
export const ABORT_ERR = 'ABORT_ERR';

/** Largest response body accepted (bytes); VPCEP answers are small. */
export const MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

const errCode = (e: unknown): string | undefined => {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === 'string' ? c : undefined;
};

/** Options of {@link HttpTransport}. */
export interface HttpTransportOptions {
  /** Pooled sockets per host (default 16). */
  maxSockets?: number;
}

/**
 * Sends requests over pooled keep-alive connections (one agent per scheme). Guarantees: each
 * {@link send} settles exactly once, within `timeoutMs` of real time (the socket is destroyed on the
 * deadline); failures reject with a {@link TransportError} whose `mayHaveBeenSent` is exact as
 * described there (a request Node refuses to build, e.g. a header with a forbidden character, rejects
 * with Node's `code` and `mayHaveBeenSent: false`, and its message never carries the header value).
 * When the request's `signal` aborts before the response is complete, the request is destroyed (its
 * socket closed, never returned to the pool) and `send` rejects at once with `aborted: true`, code
 * {@link ABORT_ERR}; an already-aborted signal rejects without opening a connection
 * (`mayHaveBeenSent: false`). Never retries by itself; never follows redirects (a 3xx is returned like
 * any other response).
 */
export class HttpTransport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(opts: HttpTransportOptions = {}) {
    const maxSockets = opts.maxSockets ?? 16;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets });
  }

  /** Destroys pooled sockets; in-flight requests fail with a transport error. */
  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  send(r: HttpRequest): Promise<HttpResponse> {
    return new Promise<HttpResponse>((resolve, reject) => {
      const secure = r.url.protocol === 'https:';
      const signal = r.signal;
      if (signal?.aborted) {
        reject(
          new TransportError(
            `${r.method} ${r.url.pathname}: aborted before sending`,
            {
              code: ABORT_ERR,
              mayHaveBeenSent: false,
              responseStarted: false,
              timedOut: false,
              aborted: true,
            },
            signal.reason,
          ),
        );
        return;
      }
      let connected = false;
      let responseStarted = false;
      let timedOut = false;
      let aborted = false;
      let settled = false;

      const fail = (e: unknown): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const code = timedOut ? 'ETIMEDOUT' : aborted ? ABORT_ERR : errCode(e);
        const what = timedOut
          ? `timed out after ${r.timeoutMs} ms`
          : aborted
            ? 'aborted by the caller'
            : e instanceof Error
              ? e.message
              : String(e);
        reject(
          new TransportError(
            `${r.method} ${r.url.pathname}: ${what}`,
            { code, mayHaveBeenSent: connected, responseStarted, timedOut, aborted },
            aborted ? signal?.reason : e,
          ),
        );
      };
      // Destroying the request closes its socket (a pooled one is dropped, not reused); settling here
      // rather than on the 'error' event that follows keeps the rejection synchronous with the abort.
      const onAbort = (): void => {
        if (settled) return;
        aborted = true;
        const e = new Error('aborted by the caller');
        req.destroy(e);
        fail(e);
      };

      const mod = secure ? https : http;
      const agent: http.Agent | false = r.freshConnection ? false : secure ? this.httpsAgent : this.httpAgent;
      let req: http.ClientRequest;
      try {
        req = mod.request({
          protocol: r.url.protocol,
          hostname: r.url.hostname.replace(/^\[(.*)\]$/, '$1'),
          port: r.url.port || undefined,
          path: `${r.url.pathname}${r.url.search}`,
          method: r.method,
          headers: r.body ? { ...r.headers, 'Content-Length': String(r.body.length) } : r.headers,
          agent,
        });
      } catch (e) {
        // Node refused to build the request (e.g. ERR_INVALID_CHAR in a header): nothing was sent.
        // The message names Node's code, never the offending value (it may be a credential).
        settled = true;
        const code = errCode(e);
        reject(
          new TransportError(
            `${r.method} ${r.url.pathname}: could not build the request (${code ?? 'invalid request'})`,
            { code, mayHaveBeenSent: false, responseStarted: false, timedOut: false },
          ),
        );
        return;
      }

      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error('deadline exceeded'));
      }, r.timeoutMs);
      signal?.addEventListener('abort', onAbort, { once: true });

      req.on('socket', (socket: Socket) => {
        // A pooled socket is already connected: the request goes out on it at once.
        if (req.reusedSocket) {
          connected = true;
          return;
        }
        // A new socket: request bytes are written only after TCP connect (and, for TLS, after the
        // handshake; the TLS socket buffers writes until then).
        if (!secure && !socket.connecting) connected = true;
        else socket.once(secure ? 'secureConnect' : 'connect', () => void (connected = true));
      });

      req.on('response', (res) => {
        responseStarted = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) {
            req.destroy(new Error(`response larger than ${MAX_RESPONSE_BYTES} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
        res.on('error', fail);
        res.on('close', () => {
          if (!res.complete) fail(new Error('connection closed before the response completed'));
        });
      });

      req.on('error', fail);
      req.end(r.body);
    });
  }
}
