/**
 * In-cluster approval, measured (part of `make bench-scale`): time from the apply of a `VpcEndpoint`
 * to its Ready=True when the service it references (in another namespace) accepts it by
 * `acceptInCluster`, against a same-run baseline of endpoints to a service without approval (the cloud
 * accepts them itself) and the lower bound set by the simulator's create delay. Prints figures; fails
 * only on wrong behaviour (an endpoint not accepted).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { createEndpointCR, readyReason, waitForEndpoint } from '../integration/support/endpoints.js';
import {
  createCR,
  isReady,
  specFor,
  uuid,
  useOperatorFixture,
  waitForCR,
} from '../integration/support/operator.js';

const COUNT = Math.max(1, Number(process.env.VPCEP_SCALE_ENDPOINTS ?? 20));
const CREATE_DELAY_MS = 3_000;
/** The operator's default --cloud-qps and --cloud-burst: the wave's calls cannot go faster. */
const QPS = 10;
const BURST = 20;

const quantile = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN;
};

describe('in-cluster approval: apply -> Ready', () => {
  const f = useOperatorFixture('approval-bench', {
    sim: { createDelayMs: CREATE_DELAY_MS, deleteDelayMs: 500 },
    allNamespaces: true,
  });
  let consumers = '';
  beforeAll(async () => {
    consumers = await f.k.freshNamespace('approval-bench-consumers');
  });

  /**
   * Applies COUNT endpoints to `service` at once; resolves with each one's apply -> Ready in ms, the
   * whole wave's time, and the cloud calls it took (both sides).
   */
  async function wave(
    service: string,
    prefix: string,
  ): Promise<{ each: number[]; waveMs: number; calls: number }> {
    f.sim.controls.resetCounters();
    const t0 = Date.now();
    const names = Array.from({ length: COUNT }, (_, i) => `${prefix}-${i}`);
    const applied = new Map<string, number>();
    await Promise.all(
      names.map(async (name) => {
        await createEndpointCR(f.k.custom, consumers, name, {
          serviceRef: { name: service, namespace: f.ns },
          vpcId: uuid(),
          subnetId: uuid(),
        });
        applied.set(name, Date.now());
      }),
    );
    const readyAt = await Promise.all(
      names.map(async (name) => {
        const ep = await waitForEndpoint(
          f.k.custom,
          consumers,
          name,
          (e) => readyReason(e) === 'True',
          'Ready',
          120_000,
        );
        expect(ep?.status?.status).toBe('accepted');
        return Date.now() - (applied.get(name) ?? t0);
      }),
    );
    const waveMs = Date.now() - t0;
    const calls = Object.values(f.sim.controls.counters()).reduce((a, b) => a + b, 0);
    return { each: readyAt, waveMs, calls };
  }

  it(`prints apply -> Ready for ${COUNT} endpoints accepted in-cluster, against a no-approval baseline`, async () => {
    await createCR(
      f.k.custom,
      f.ns,
      'open',
      specFor({ portId: uuid(), vpcId: uuid(), approvalEnabled: false }),
    );
    await createCR(
      f.k.custom,
      f.ns,
      'approved',
      specFor({
        portId: uuid(),
        vpcId: uuid(),
        approvalEnabled: true,
        connectionApproval: { acceptInCluster: { namespaces: [consumers] } },
      }),
    );
    await waitForCR(f.k.custom, f.ns, 'open', isReady, 'open Ready', 60_000);
    await waitForCR(f.k.custom, f.ns, 'approved', isReady, 'approved Ready', 60_000);
    const baseline = await wave('open', 'open');
    const approved = await wave('approved', 'approved');
    const row = (label: string, w: { each: number[]; waveMs: number; calls: number }) => {
      const bound = Math.max(CREATE_DELAY_MS, (Math.max(0, w.calls - BURST) / QPS) * 1000);
      return (
        `  ${label.padEnd(30)} apply -> Ready median ${(quantile(w.each, 0.5) / 1000).toFixed(2)} s, ` +
        `max ${(Math.max(...w.each) / 1000).toFixed(2)} s; wave ${(w.waveMs / 1000).toFixed(2)} s for ${w.calls} calls ` +
        `(${(w.calls / COUNT).toFixed(1)} per endpoint), bound ${(bound / 1000).toFixed(2)} s ` +
        `(max of the create delay and (calls - burst ${BURST}) / ${QPS} qps): ratio ${(bound / w.waveMs).toFixed(2)}`
      );
    };
    console.log(
      [
        `in-cluster approval, ${COUNT} VpcEndpoints applied at once (simulator create delay ${CREATE_DELAY_MS / 1000} s, operator --cloud-qps ${QPS})`,
        row('no approval (baseline)', baseline),
        row('approval by acceptInCluster', approved),
        `  approval / baseline, median apply -> Ready: ${(quantile(approved.each, 0.5) / quantile(baseline.each, 0.5)).toFixed(2)}x; wave: ${(approved.waveMs / baseline.waveMs).toFixed(2)}x`,
      ].join('\n'),
    );
  });
});
