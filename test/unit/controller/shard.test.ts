/**
 * A resource outside this process's shard (`inShard`, from `--selector`) is left alone: no cloud call,
 * no write, its memory forgotten; back in the shard it is reconciled as any resource found afresh.
 */
import { describe, expect, it } from 'vitest';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { silentLogger } from '../../../src/runtime/logging.js';
import { NS, readyResource, rig } from './rig.js';

// The shard is decided by the resource's metadata; the rig's fake store sets annotations, not labels.
const inShard = (o: VpcEndpointService): boolean => o.metadata.annotations?.['shard'] !== 'b';

describe('inShard', () => {
  it('a resource moved out of the shard costs nothing; moved back, it is looked at afresh', async () => {
    const r = await rig({}, () => ({ inShard }));
    const id = await readyResource(r, 'svc');
    const writes = r.ops.statusWrites();
    const calls = r.cloudCalls();
    const kubeWrites = (): number => r.ops.calls.filter((c) => c.op !== 'get').length;
    const kubeBefore = kubeWrites();
    r.ops.annotate(NS, 'svc', { shard: 'b' });
    await r.clock.advance(20 * 60_000); // past any resync: a pass in the shard would GET
    const out = await r.pass('svc', silentLogger());
    expect(out.outcome).toEqual({ kind: 'done' }); // nothing requeued: the other shard owns it now
    expect(r.cloudCalls()).toBe(calls);
    expect(r.ops.statusWrites()).toBe(writes);
    expect(kubeWrites()).toBe(kubeBefore); // not even an event

    r.ops.annotate(NS, 'svc', { shard: null });
    const back = await r.pass('svc');
    expect(back.outcome.kind).toBe('requeue');
    expect(r.cloudCalls()).toBeGreaterThan(calls); // memory forgotten: the cloud is read again
    expect(back.cr?.status?.id).toBe(id);
    expect(r.sim.controls.services()).toHaveLength(1);
  });
});
