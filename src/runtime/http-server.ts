/**
 * The probe and metrics endpoints: `/metrics` (Prometheus text), `/healthz` (liveness) and `/readyz`
 * (readiness), on configurable bind addresses, like controller-runtime's `--metrics-bind-address` and
 * `--health-probe-bind-address`.
 *
 * Guarantees: `/readyz` answers 200 only while `ready()` is true (caches synced), else 503 with
 * `not ready: <notReadyReason()>` as the body (default reason: caches not synced);
 * `/healthz` answers 200 while `healthy()` is true (default: always), else 500. A probe callback that
 * throws answers 500, never crashes. An address of `"0"` (or empty) disables that server; when both
 * addresses are equal, one server serves all three paths. Resolves once listening; rejects if a bind
 * fails (after closing what it opened).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import type { Logger } from './logging.js';

/** Options of {@link startProbeServer}. */
export interface ProbeServerOptions {
  /** `":8080"`, `"127.0.0.1:0"`, `"[::1]:8080"`, `"8080"`; `"0"` disables. */
  metricsAddress: string;
  healthAddress: string;
  registry: Registry;
  ready: () => boolean;
  /** Why not ready, for the 503 body (issue 16). Default: "caches not synced". */
  notReadyReason?: () => string | undefined;
  healthy?: () => boolean;
  log: Logger;
}

/** A running probe server. Ports are the bound ones (useful with port 0); 0 means disabled. */
export interface ProbeServer {
  metricsPort: number;
  healthPort: number;
  /** Stops listening and closes idle connections. Idempotent. */
  close(): Promise<void>;
}

/** Parses a bind address. `undefined` means disabled. */
export function parseBindAddress(addr: string): { host?: string; port: number } | undefined {
  const a = addr.trim();
  if (a === '' || a === '0') return undefined;
  let host: string | undefined;
  let portText: string;
  const v6 = /^\[([^\]]+)\]:(\d+)$/.exec(a);
  if (v6) {
    host = v6[1];
    portText = v6[2]!;
  } else if (a.includes(':')) {
    const i = a.lastIndexOf(':');
    host = a.slice(0, i) || undefined;
    portText = a.slice(i + 1);
  } else {
    portText = a;
  }
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new Error(`invalid bind address "${addr}"`);
  return { host, port };
}

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void> | void;

function probe(check: () => boolean, failCode: number, failText: () => string): Route {
  return (_req, res) => {
    let ok = false;
    try {
      ok = check();
    } catch {
      ok = false;
    }
    res.writeHead(ok ? 200 : failCode, { 'content-type': 'text/plain; charset=utf-8' });
    res.end(ok ? 'ok\n' : `${failText()}\n`);
  };
}

function listen(
  host: string | undefined,
  port: number,
  routes: Map<string, Route>,
  log: Logger,
): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const route = routes.get(path);
    if (!route || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(route ? 405 : 404, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(route ? 'method not allowed\n' : 'not found\n');
      return;
    }
    Promise.resolve()
      .then(() => route(req, res))
      .catch((err: unknown) => {
        log.warn({ err, path }, 'probe handler failed');
        if (!res.headersSent) res.writeHead(500);
        res.end();
      });
  });
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server);
    });
  });
}

function closeServer(s: http.Server): Promise<void> {
  return new Promise((resolve) => {
    s.close(() => resolve());
    s.closeIdleConnections();
  });
}

/** Starts the endpoints; see the module doc. */
export async function startProbeServer(opts: ProbeServerOptions): Promise<ProbeServer> {
  const metrics = parseBindAddress(opts.metricsAddress);
  const health = parseBindAddress(opts.healthAddress);
  const metricsRoute: Route = async (_req, res) => {
    const body = await opts.registry.metrics();
    res.writeHead(200, { 'content-type': opts.registry.contentType });
    res.end(body);
  };
  const healthRoutes = new Map<string, Route>([
    ['/healthz', probe(opts.healthy ?? (() => true), 500, () => 'unhealthy')],
    ['/readyz', probe(opts.ready, 503, () => `not ready: ${opts.notReadyReason?.() ?? 'caches not synced'}`)],
  ]);
  const servers: http.Server[] = [];
  const portOf = (s: http.Server): number => (s.address() as AddressInfo).port;
  try {
    let metricsPort = 0;
    let healthPort = 0;
    const same =
      metrics && health && metrics.host === health.host && metrics.port === health.port && metrics.port !== 0;
    if (same) {
      const s = await listen(
        metrics.host,
        metrics.port,
        new Map([['/metrics', metricsRoute], ...healthRoutes]),
        opts.log,
      );
      servers.push(s);
      metricsPort = healthPort = portOf(s);
    } else {
      if (metrics) {
        const s = await listen(metrics.host, metrics.port, new Map([['/metrics', metricsRoute]]), opts.log);
        servers.push(s);
        metricsPort = portOf(s);
      }
      if (health) {
        const s = await listen(health.host, health.port, healthRoutes, opts.log);
        servers.push(s);
        healthPort = portOf(s);
      }
    }
    opts.log.info({ metricsPort, healthPort }, 'probe endpoints listening');
    let closed: Promise<void> | undefined;
    return {
      metricsPort,
      healthPort,
      close: () => (closed ??= Promise.all(servers.map(closeServer)).then(() => undefined)),
    };
  } catch (err) {
    await Promise.all(servers.map(closeServer));
    throw err;
  }
}
