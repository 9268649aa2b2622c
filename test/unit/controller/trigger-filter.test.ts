import { describe, expect, it } from 'vitest';
import { TriggerFilter } from '../../../src/managed/trigger-filter.js';

const obj = (generation: number, annotations: Record<string, string> = {}, status: object = {}) => ({
  apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
  kind: 'VpcEndpointService',
  metadata: { name: 'a', namespace: 'ns', generation, annotations, resourceVersion: String(Math.random()) },
  status,
});

describe('TriggerFilter', () => {
  it('drops updates that only changed status (our own writes)', () => {
    const f = new TriggerFilter();
    expect(f.shouldEnqueue('ns/a', obj(1), 'add')).toBe(true);
    expect(f.shouldEnqueue('ns/a', obj(1, {}, { id: 'x' }), 'update')).toBe(false);
    expect(f.shouldEnqueue('ns/a', obj(1, {}, { id: 'x', status: 'available' }), 'update')).toBe(false);
  });

  it('passes spec, annotation and deletion changes, and every resync', () => {
    const f = new TriggerFilter();
    f.shouldEnqueue('ns/a', obj(1), 'add');
    expect(f.shouldEnqueue('ns/a', obj(2), 'update')).toBe(true);
    expect(f.shouldEnqueue('ns/a', obj(2, { 'vpcep.huaweicloud.io/paused': 'true' }), 'update')).toBe(true);
    const deleting = obj(2, { 'vpcep.huaweicloud.io/paused': 'true' });
    Object.assign(deleting.metadata, { deletionTimestamp: new Date() });
    expect(f.shouldEnqueue('ns/a', deleting, 'update')).toBe(true);
    expect(f.shouldEnqueue('ns/a', deleting, 'resync')).toBe(true);
    expect(f.shouldEnqueue('ns/a', deleting, 'delete')).toBe(true);
  });
});
