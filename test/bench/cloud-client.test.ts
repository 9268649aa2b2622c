/**
 * Cloud client overhead, in real time over loopback.
 *
 * - Signing: `signRequest` (SDK-HMAC-SHA256) per request, against a plain SHA-256 of the same body
 *   (the least any signed request costs: the body hash is part of the signature).
 * - `getService` against the simulator with the client's keep-alive pool, against the same signed GET
 *   sent with raw `node:http` twice: through a keep-alive agent (what the client adds on top: limiter,
 *   URL building, decoding, error model) and with `agent: false`, a new connection per request (what
 *   keep-alive saves). The client has no switch to force new connections for reads (only its
 *   non-idempotent creates use one), hence the raw baseline.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toCreateRequest } from '../../src/controller/endpoint-service/mapping.js';
import { VpcepClient } from '../../src/cloud/client.js';
import { sha256Hex, signRequest } from '../../src/cloud/signer.js';
import { API_VERSION_PREFIX } from '../../src/cloud/wire.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { AK, benchSpec, PROJECT, SK } from './fixtures.js';
import { interleaved, med, nowMs, opsPerSecond, printTable, ratio, type Cell } from './harness.js';

const SIGN_ROUNDS = 9;
const SIGN_MS = 80;
/** Signing reaches steady speed only after some 20 000 calls (JIT); warm up longer than that. */
const SIGN_WARMUP_MS = 300;
const HTTP_ROUNDS = 3;
const HTTP_MS = 400;
const WARMUP_MS = 500;

describe('cloud client overhead (real time, loopback)', () => {
  it('signing cost per request vs a plain SHA-256 of the body', async () => {
    const path = `${API_VERSION_PREFIX}/${PROJECT}/vpc-endpoint-services/0d6f3e2a-1b4c-4d5e-8f6a-7b8c9d0e1f2a`;
    const create = JSON.stringify(toCreateRequest(benchSpec(1), '3c1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f'));
    const whitelist = JSON.stringify({
      action: 'add',
      permissions: Array.from({ length: 1000 }, (_, i) => `iam:domain::${i.toString(16).padStart(32, '0')}`),
    });
    const cases: Array<{ name: string; method: string; body: string }> = [
      { name: 'GET (empty body)', method: 'GET', body: '' },
      { name: `POST create (${create.length} B)`, method: 'POST', body: create },
      {
        name: `POST whitelist x1000 (${(whitelist.length / 1024).toFixed(0)} KiB)`,
        method: 'POST',
        body: whitelist,
      },
    ];
    const rows: Cell[][] = [];
    const date = new Date();
    const fns = cases.map((c) => ({
      c,
      sign: (): void => {
        signRequest({
          method: c.method,
          path,
          headers: { Host: '127.0.0.1:8443', 'Content-Type': 'application/json' },
          body: c.body,
          accessKey: AK,
          secretKey: SK,
          projectId: PROJECT,
          date,
        });
      },
      hash: (): void => void sha256Hex(c.body),
    }));
    // Warm every case up before measuring any, so the first case does not pay for the JIT.
    for (const { sign, hash } of fns) {
      opsPerSecond(sign, SIGN_WARMUP_MS);
      opsPerSecond(hash, SIGN_WARMUP_MS);
    }
    for (const { c, sign, hash } of fns) {
      const res = await interleaved(SIGN_ROUNDS, [
        { name: 'sign', measure: () => opsPerSecond(sign, SIGN_MS) },
        { name: 'sha256', measure: () => opsPerSecond(hash, SIGN_MS) },
      ]);
      const s = med(res, 'sign');
      const h = med(res, 'sha256');
      rows.push([c.name, s, 1e6 / s, h, 1e6 / h, ratio(1e6 / s, 1e6 / h)]);
    }
    printTable(
      'Request signing (SDK-HMAC-SHA256) vs a plain SHA-256 of the same body',
      ['request', 'sign ops/s', 'sign us/op', 'sha256 ops/s', 'sha256 us/op', 'cost sign/sha256'],
      rows,
      [
        `median of ${SIGN_ROUNDS} alternating rounds of ${SIGN_MS} ms; signing = canonical request + 2 SHA-256 + 1 HMAC.`,
      ],
    );
  });

  describe('getService against the simulator', () => {
    let sim: Simulator;
    let client: VpcepClient;
    let id = '';
    let signPath = '';

    beforeAll(async () => {
      sim = await startSimulator({ accessKey: AK, secretKey: SK, projectId: PROJECT, createDelayMs: 0 });
      // The default limiter (10 qps, burst 20) would measure itself; lift it.
      client = new VpcepClient({
        target: { endpoint: sim.url, projectId: PROJECT },
        credentials: { accessKey: AK, secretKey: SK },
        qps: 1e6,
        burst: 1e6,
      });
      id = (await client.createService(toCreateRequest(benchSpec(1), '7e1d2e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f')))
        .id;
      signPath = `${API_VERSION_PREFIX}/${PROJECT}/vpc-endpoint-services/${id}`;
    });

    afterAll(async () => {
      client.close();
      await sim.close();
    });

    /** One signed GET of the service over raw node:http; resolves to the HTTP status. */
    function rawGet(agent: http.Agent | false): Promise<number> {
      const url = new URL(sim.url);
      const headers = signRequest({
        method: 'GET',
        path: signPath,
        headers: { Host: url.host },
        body: '',
        accessKey: AK,
        secretKey: SK,
        projectId: PROJECT,
        date: new Date(),
      }).headers;
      return new Promise((resolve, reject) => {
        const req = http.request(
          { hostname: url.hostname, port: url.port, path: signPath, method: 'GET', headers, agent },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
            res.on('error', reject);
          },
        );
        req.on('error', reject);
        req.end();
      });
    }

    /** Requests per second with `concurrency` loops for about `forMs`; counts non-2xx as failures. */
    async function rps(
      concurrency: number,
      forMs: number,
      one: () => Promise<number>,
      failures: { n: number },
    ): Promise<number> {
      let done = 0;
      const start = nowMs();
      const loop = async (): Promise<void> => {
        while (nowMs() - start < forMs) {
          const status = await one();
          if (status !== 200) failures.n++;
          done++;
        }
      };
      await Promise.all(Array.from({ length: concurrency }, loop));
      return (done / (nowMs() - start)) * 1000;
    }

    it('keep-alive client vs raw node:http (keep-alive agent, and a new connection per request)', async () => {
      const rows: Cell[][] = [];
      const failures = { n: 0 };
      const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 16 });
      const viaClient = async (): Promise<number> => {
        const svc = await client.getService(id);
        return svc.id === id ? 200 : 0;
      };
      try {
        for (const concurrency of [1, 8]) {
          // Warm-up: the HTTP paths take about a thousand requests to reach steady speed (JIT).
          await rps(concurrency, WARMUP_MS, viaClient, failures);
          await rps(concurrency, WARMUP_MS, () => rawGet(keepAlive), failures);
          await rps(concurrency, WARMUP_MS, () => rawGet(false), failures);
          const res = await interleaved(HTTP_ROUNDS, [
            { name: 'client', measure: () => rps(concurrency, HTTP_MS, viaClient, failures) },
            { name: 'raw-ka', measure: () => rps(concurrency, HTTP_MS, () => rawGet(keepAlive), failures) },
            { name: 'raw-new', measure: () => rps(concurrency, HTTP_MS, () => rawGet(false), failures) },
          ]);
          const c = med(res, 'client');
          const ka = med(res, 'raw-ka');
          const fresh = med(res, 'raw-new');
          rows.push([String(concurrency), c, ka, fresh, ratio(c, fresh), ratio(ka, fresh), ratio(c, ka)]);
        }
      } finally {
        keepAlive.destroy();
      }
      expect(failures.n).toBe(0);
      printTable(
        'getService requests/s against the simulator (loopback, signature verified by the simulator)',
        [
          'in flight',
          'client (keep-alive)',
          'raw keep-alive',
          'raw new conn (baseline)',
          'client/new conn',
          'raw KA/new conn',
          'client/raw KA',
        ],
        rows,
        [
          `median of ${HTTP_ROUNDS} alternating rounds of ${HTTP_MS} ms; raw = the same signed GET with node:http`,
          '(agent: false = a new TCP connection per request). The client ran with its limiter lifted (default 10 qps).',
          'Client and simulator share this process and its 2 cores: the figures include the server side.',
        ],
      );
    });
  });
});
