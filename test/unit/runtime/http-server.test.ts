import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { Counter, Registry } from 'prom-client';
import { parseBindAddress, startProbeServer, type ProbeServer } from '../../../src/runtime/http-server.js';
import { memoryLogger } from './fakes.js';

function get(port: number, path: string): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }),
        );
      })
      .on('error', reject);
  });
}

let server: ProbeServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('parseBindAddress', () => {
  it('understands controller-runtime style addresses', () => {
    expect(parseBindAddress(':8080')).toEqual({ host: undefined, port: 8080 });
    expect(parseBindAddress('127.0.0.1:0')).toEqual({ host: '127.0.0.1', port: 0 });
    expect(parseBindAddress('[::1]:9090')).toEqual({ host: '::1', port: 9090 });
    expect(parseBindAddress('8081')).toEqual({ host: undefined, port: 8081 });
    expect(parseBindAddress('0')).toBeUndefined();
    expect(() => parseBindAddress('host:port')).toThrow();
  });
});

describe('startProbeServer', () => {
  it('serves /metrics, and /readyz turns 200 once ready', async () => {
    const registry = new Registry();
    new Counter({ name: 'demo_total', help: 'demo', registers: [registry] }).inc(3);
    let ready = false;
    server = await startProbeServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '127.0.0.1:0',
      registry,
      ready: () => ready,
      log: memoryLogger().log,
    });
    expect(server.metricsPort).toBeGreaterThan(0);
    expect(server.healthPort).not.toBe(server.metricsPort);
    const m = await get(server.metricsPort, '/metrics');
    expect(m.status).toBe(200);
    expect(m.body).toContain('demo_total 3');
    expect(m.type).toContain('text/plain');
    expect((await get(server.healthPort, '/healthz')).status).toBe(200);
    expect((await get(server.healthPort, '/readyz')).status).toBe(503);
    ready = true;
    expect((await get(server.healthPort, '/readyz')).status).toBe(200);
    expect((await get(server.healthPort, '/metrics')).status).toBe(404);
  });

  it('reports unhealthy, survives a throwing probe, and can disable a server', async () => {
    server = await startProbeServer({
      metricsAddress: '0',
      healthAddress: '127.0.0.1:0',
      registry: new Registry(),
      ready: () => {
        throw new Error('probe bug');
      },
      healthy: () => false,
      log: memoryLogger().log,
    });
    expect(server.metricsPort).toBe(0);
    expect((await get(server.healthPort, '/healthz')).status).toBe(500);
    expect((await get(server.healthPort, '/readyz')).status).toBe(503);
  });

  it('rejects when the port is taken, leaving nothing open', async () => {
    server = await startProbeServer({
      metricsAddress: '127.0.0.1:0',
      healthAddress: '0',
      registry: new Registry(),
      ready: () => true,
      log: memoryLogger().log,
    });
    await expect(
      startProbeServer({
        metricsAddress: '127.0.0.1:0',
        healthAddress: `127.0.0.1:${server.metricsPort}`,
        registry: new Registry(),
        ready: () => true,
        log: memoryLogger().log,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});
