/**
 * Which passes are routine: the reconciler's results carry `LOW_PRIORITY` for rechecks of a settled
 * resource and none (the key keeps its priority) while a change converges; `isSettled` tells the
 * initial list's settled resources (spread) from the ones a user is waiting on (reconciled at once).
 */
import { describe, expect, it } from 'vitest';
import type { Condition, ConditionStatus, VpcEndpointService } from '../../../src/api/types.js';
import { endpointServiceKind } from '../../../src/controller/endpoint-service/kind.js';
import { isSettled } from '../../../src/managed/trigger-filter.js';
import { LOW_PRIORITY } from '../../../src/runtime/queue.js';
import type { ReconcileResult } from '../../../src/runtime/reconcile.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { NS, rig, spec, type Rig } from './rig.js';

async function result(r: Rig, name: string): Promise<ReconcileResult> {
  return r.reconciler.reconcile(
    { namespace: NS, name, key: `${NS}/${name}` },
    { reconcileId: 'r', log: silentLogger(), signal: new AbortController().signal },
  );
}

describe('result priorities', () => {
  it('polls of a create keep their priority; the Ready pass and the gated rechecks are low', async () => {
    const r = await rig();
    r.ops.create(NS, 'svc', spec());
    const created = await result(r, 'svc');
    expect(created?.requeueAfterMs).toBeGreaterThan(0);
    expect(created?.priority).toBeUndefined(); // the user's create keeps its priority while it converges
    let last: ReconcileResult = created;
    for (let i = 0; i < 40 && last?.priority === undefined; i++) {
      await r.clock.advance(last?.requeueAfterMs ?? 1_000);
      last = await result(r, 'svc');
    }
    expect(r.ops.peek(NS, 'svc')?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(last?.priority).toBe(LOW_PRIORITY);
    // A pass within the resync period (e.g. a label change woke it) is gated, and routine too.
    await r.clock.advance(1_000);
    const calls = r.cloudCalls();
    const gated = await result(r, 'svc');
    expect(r.cloudCalls()).toBe(calls);
    expect(gated).toMatchObject({ priority: LOW_PRIORITY });
  });
});

describe('isSettled (initial list: spread or at once)', () => {
  const base = (over: Partial<VpcEndpointService['metadata']> = {}): VpcEndpointService => ({
    apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
    kind: 'VpcEndpointService',
    metadata: { name: 'a', namespace: 'ns', generation: 2, ...over },
    spec: spec(),
  });
  const cond = (
    type: string,
    status: ConditionStatus,
    reason: string,
    observedGeneration = 2,
  ): Condition => ({
    type,
    status,
    reason,
    message: '',
    observedGeneration,
    lastTransitionTime: '2026-01-01T00:00:00Z',
  });
  const k = endpointServiceKind;

  it('settled: Ready for this generation, a terminal verdict for it, a recorded pause', () => {
    const ready = { ...base(), status: { conditions: [cond('Ready', 'True', 'Available')] } };
    expect(isSettled(ready, k)).toBe(true);
    const terminal = { ...base(), status: { conditions: [cond('Synced', 'False', 'InvalidSpec')] } };
    expect(isSettled(terminal, k)).toBe(true);
    const paused = {
      ...base({ annotations: { [k.annotations.paused]: 'true' } }),
      status: { conditions: [cond('Synced', 'False', 'Paused')] },
    };
    expect(isSettled(paused, k)).toBe(true);
  });

  it('not settled: a deletion, a new generation, anything converging, no status yet', () => {
    const readyOld = { ...base(), status: { conditions: [cond('Ready', 'True', 'Available', 1)] } };
    expect(isSettled(readyOld, k)).toBe(false);
    const deleting = {
      ...base({ deletionTimestamp: new Date() }),
      status: { conditions: [cond('Ready', 'True', 'Available')] },
    };
    expect(isSettled(deleting, k)).toBe(false);
    const creating = { ...base(), status: { conditions: [cond('Ready', 'False', 'Creating')] } };
    expect(isSettled(creating, k)).toBe(false);
    const retrying = { ...base(), status: { conditions: [cond('Synced', 'False', 'ReconcileError')] } };
    expect(isSettled(retrying, k)).toBe(false);
    const unpaused = { ...base(), status: { conditions: [cond('Synced', 'False', 'Paused')] } };
    expect(isSettled(unpaused, k)).toBe(false);
    expect(isSettled(base(), k)).toBe(false);
  });
});
