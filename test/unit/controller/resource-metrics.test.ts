/** The condition gauges over several kinds: each kind's series, counted from its cache at scrape time. */
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../../src/api/types.js';
import { resourceMetrics } from '../../../src/controller/resource-metrics.js';
import { ManualClock } from '../../../src/util/clock.js';

const cond = (type: string, status: Condition['status'], reason: string, at?: string): Condition => ({
  type,
  status,
  reason,
  message: '',
  lastTransitionTime: at ?? '2026-01-01T00:00:00Z',
});
const obj = (
  conditions?: Condition[],
  extra: { deletionTimestamp?: string; creationTimestamp?: string } = {},
) => ({
  metadata: { creationTimestamp: '2026-01-01T00:00:00Z', ...extra },
  ...(conditions ? { status: { conditions } } : {}),
});

async function scrape(registry: Registry): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const m of await registry.getMetricsAsJSON())
    for (const v of m.values) {
      const labels = Object.entries(v.labels)
        .map(([k, x]) => `${k}=${String(x)}`)
        .join(',');
      out.set(`${m.name}{${labels}}`, v.value);
    }
  return out;
}

describe('vpcep_resources over several kinds', () => {
  it("exports both kinds' series, each counted from its own objects", async () => {
    const clock = new ManualClock(Date.parse('2026-01-01T00:10:00Z'));
    const registry = new Registry();
    const services = [
      obj([cond('Ready', 'True', 'Available'), cond('Synced', 'True', 'ReconcileSuccess')]),
      obj([cond('Ready', 'True', 'Available'), cond('Synced', 'True', 'ReconcileSuccess')]),
    ];
    const endpoints = [
      obj([
        cond('Ready', 'False', 'PendingAcceptance', '2026-01-01T00:05:00Z'),
        cond('Synced', 'True', 'ReconcileSuccess'),
      ]),
      obj(undefined, { creationTimestamp: '2026-01-01T00:08:00Z' }),
      // Being deleted: counted by condition, but not as waiting to be Ready.
      obj([cond('Ready', 'False', 'Deleting', '2025-12-01T00:00:00Z')], {
        deletionTimestamp: '2026-01-01T00:09:00Z',
      }),
    ];
    resourceMetrics(registry, [
      { kind: 'VpcEndpointService', objects: () => services, active: () => true, clock },
      { kind: 'VpcEndpoint', objects: () => endpoints, active: () => true, clock },
    ]);
    const m = await scrape(registry);
    expect(
      m.get('vpcep_resources{kind=VpcEndpointService,condition=Ready,status=True,reason=Available}'),
    ).toBe(2);
    expect(
      m.get('vpcep_resources{kind=VpcEndpoint,condition=Ready,status=False,reason=PendingAcceptance}'),
    ).toBe(1);
    expect(m.get('vpcep_resources{kind=VpcEndpoint,condition=Ready,status=Unknown,reason=NoCondition}')).toBe(
      1,
    );
    expect(
      m.get('vpcep_resources{kind=VpcEndpoint,condition=Synced,status=Unknown,reason=NoCondition}'),
    ).toBe(2);
    expect(m.get('vpcep_resources{kind=VpcEndpoint,condition=Ready,status=False,reason=Deleting}')).toBe(1);
    // No series of one kind carries the other's counts.
    expect(
      m.get('vpcep_resources{kind=VpcEndpointService,condition=Ready,status=False,reason=PendingAcceptance}'),
    ).toBeUndefined();
    expect(m.get('vpcep_resources_not_ready_oldest_seconds{kind=VpcEndpointService}')).toBe(0);
    expect(m.get('vpcep_resources_not_ready_oldest_seconds{kind=VpcEndpoint}')).toBe(300);

    // Level-based: the next scrape reads the caches as they are then.
    services.pop();
    endpoints.splice(0, 1);
    await clock.advance(60_000);
    const again = await scrape(registry);
    expect(
      again.get('vpcep_resources{kind=VpcEndpointService,condition=Ready,status=True,reason=Available}'),
    ).toBe(1);
    expect(
      again.get('vpcep_resources{kind=VpcEndpoint,condition=Ready,status=False,reason=PendingAcceptance}'),
    ).toBeUndefined();
    expect(again.get('vpcep_resources_not_ready_oldest_seconds{kind=VpcEndpoint}')).toBe(180);
  });

  it('a kind whose process does not reconcile (not the leader) reports no series', async () => {
    const clock = new ManualClock();
    const registry = new Registry();
    let leading = false;
    resourceMetrics(registry, [
      { kind: 'VpcEndpointService', objects: () => [obj()], active: () => leading, clock },
      { kind: 'VpcEndpoint', objects: () => [obj()], active: () => leading, clock },
    ]);
    expect([...(await scrape(registry)).keys()]).toEqual([]);
    leading = true;
    const keys = [...(await scrape(registry)).keys()];
    expect(keys.filter((k) => k.includes('kind=VpcEndpointService,')).length).toBeGreaterThan(0);
    expect(keys.filter((k) => k.includes('kind=VpcEndpoint,')).length).toBeGreaterThan(0);
  });
});
