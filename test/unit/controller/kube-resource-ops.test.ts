import { ApiException, type V1CustomResourceDefinition } from '@kubernetes/client-node';
import type { ApiextensionsV1Api, CustomObjectsApi } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { endpointServiceKind } from '../../../src/controller/endpoint-service/kind.js';
import { KubeResourceOps } from '../../../src/managed/kube-resource-ops.js';
import type { EventRecorder } from '../../../src/runtime/events.js';
import { silentLogger } from '../../../src/runtime/logging.js';

function opsReading(read: () => Promise<V1CustomResourceDefinition>): KubeResourceOps<VpcEndpointService> {
  return new KubeResourceOps<VpcEndpointService>({
    kind: endpointServiceKind,
    custom: {} as CustomObjectsApi,
    apiextensions: { readCustomResourceDefinition: read } as Pick<
      ApiextensionsV1Api,
      'readCustomResourceDefinition'
    >,
    recorder: {} as EventRecorder,
    log: silentLogger(),
  });
}

const fail = (code: number) => () => Promise.reject(new ApiException(code, 'x', '', {}));

describe('the abandon-on-CRD-deletion guard', () => {
  it('abandons when the CRD has a deletionTimestamp or is already gone', async () => {
    expect(
      await opsReading(
        async () => ({ metadata: { deletionTimestamp: new Date() } }) as V1CustomResourceDefinition,
      ).crdBeingDeleted(),
    ).toBe(true);
    expect(await opsReading(fail(404)).crdBeingDeleted()).toBe(true);
  });

  it('does not abandon while the CRD stays', async () => {
    expect(
      await opsReading(async () => ({ metadata: {} }) as V1CustomResourceDefinition).crdBeingDeleted(),
    ).toBe(false);
  });

  it('is off, not stuck, when RBAC forbids reading the CRD (rbac.crdGuard=false)', async () => {
    expect(await opsReading(fail(403)).crdBeingDeleted()).toBe(false);
  });

  it('retries other failures instead of guessing', async () => {
    await expect(opsReading(fail(500)).crdBeingDeleted()).rejects.toBeInstanceOf(ApiException);
  });
});
