/**
 * A hostile cloud for tests: an HTTP proxy in front of the simulator that forwards every request
 * verbatim (headers included, so signatures still verify) and can rewrite the `id` of the answers of
 * one operation. It records every request it forwarded, so a test can prove that no write went to an id
 * it should not have.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Which answers to rewrite, and to what id. */
export interface Lie {
  /** `get`: `GET …/vpc-endpoint-services/{id}`; `create`: `POST …/vpc-endpoint-services`. */
  operation: 'get' | 'create';
  /** Only answers for this id (get); any (create) when absent. */
  forId?: string;
  /** The id written into the answer. */
  id: string;
}

export interface LyingCloud {
  url: string;
  /** Every request forwarded: method and path (with query). */
  requests: Array<{ method: string; path: string }>;
  /** Sets (or clears, with undefined) the lie in force. */
  lie(l: Lie | undefined): void;
  close(): Promise<void>;
}

const SERVICES = /^\/v1\/[^/]+\/vpc-endpoint-services(?:\/([^/?]+))?(?:\?.*)?$/;

/** Starts the proxy on loopback in front of `upstream` (the simulator's URL). */
export async function startLyingCloud(upstream: string): Promise<LyingCloud> {
  const target = new URL(upstream);
  let current: Lie | undefined;
  const requests: LyingCloud['requests'] = [];
  const server = http.createServer((req, res) => {
    const path = req.url ?? '/';
    requests.push({ method: req.method ?? 'GET', path });
    const m = SERVICES.exec(path);
    const lie = current;
    const rewrite =
      lie !== undefined &&
      m !== null &&
      ((lie.operation === 'get' &&
        req.method === 'GET' &&
        m[1] !== undefined &&
        (!lie.forId || m[1] === lie.forId)) ||
        (lie.operation === 'create' && req.method === 'POST' && m[1] === undefined));
    const up = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path,
        headers: req.headers,
      },
      (upRes) => {
        const chunks: Buffer[] = [];
        upRes.on('data', (c: Buffer) => chunks.push(c));
        upRes.on('end', () => {
          let body = Buffer.concat(chunks);
          if (rewrite && lie && (upRes.statusCode ?? 0) < 300 && body.length > 0) {
            const parsed = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
            parsed.id = lie.id;
            body = Buffer.from(JSON.stringify(parsed), 'utf8');
          }
          const headers = { ...upRes.headers, 'content-length': String(body.length) };
          res.writeHead(upRes.statusCode ?? 502, headers);
          res.end(body);
        });
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    lie: (l) => {
      current = l;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
