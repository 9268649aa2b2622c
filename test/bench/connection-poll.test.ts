/**
 * What connection approval costs in steady state: cloud calls per service per hour, on virtual time
 * (the reconciler, the real client and the simulator; no apiserver). Three cases: no approval rules
 * (the resync period alone), approval rules with the default connection-poll period (1 minute), and a
 * 10-second poll. Figures, not limits: the harness fails only if a service stops being Ready.
 */
import { describe, expect, it } from 'vitest';
import { NS, isReady, ready, rig, spec } from '../unit/controller/rig.js';
import { printTable, type Cell } from './harness.js';

const HOUR_MS = 3_600_000;

async function callsPerHour(
  approval: boolean,
  pollPeriod?: string,
): Promise<{ total: number; byOp: Record<string, number> }> {
  const r = await rig({ createDelayMs: 1_000 });
  r.ops.create(
    NS,
    'web',
    spec(approval ? { approvalEnabled: true, connectionApproval: { acceptDomains: ['*'] } } : {}),
  );
  if (pollPeriod) r.ops.annotate(NS, 'web', { 'vpcep.huaweicloud.io/connection-poll-period': pollPeriod });
  await r.drive('web', isReady);
  const before = r.sim.controls.counters();
  const start = r.clock.now();
  await r.drive('web', () => r.clock.now() - start >= HOUR_MS, 10_000);
  expect(ready(r.ops.peek(NS, 'web'))?.status).toBe('True');
  const after = r.sim.controls.counters();
  const byOp: Record<string, number> = {};
  for (const [op, n] of Object.entries(after))
    if (n - (before[op] ?? 0) > 0) byOp[op] = n - (before[op] ?? 0);
  return { total: Object.values(byOp).reduce((a, b) => a + b, 0), byOp };
}

describe('connection-poll cost (virtual time)', () => {
  it('prints cloud calls per service per hour, with and without approval rules', async () => {
    const cases: Array<[string, boolean, string | undefined]> = [
      ['no approval rules (resync 10 min)', false, undefined],
      ['approval rules, default poll (1 min)', true, undefined],
      ['approval rules, poll 10 s', true, '10s'],
    ];
    const rows: Cell[][] = [];
    let base = 0;
    for (const [name, approval, poll] of cases) {
      const { total, byOp } = await callsPerHour(approval, poll);
      if (!approval) base = total;
      rows.push([name, total, base ? `${(total / base).toFixed(1)}x` : 'n/a', JSON.stringify(byOp)]);
    }
    printTable(
      'steady-state cloud calls per service per hour',
      ['case', 'calls/hour', 'vs resync only', 'by operation'],
      rows,
    );
  });
});
