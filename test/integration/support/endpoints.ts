/** VpcEndpoint helpers for integration tests (the consumer kind, beside operator.ts's services). */
import { ApiException, type CustomObjectsApi } from '@kubernetes/client-node';
import { API_VERSION, ENDPOINT_KIND, ENDPOINT_PLURAL, GROUP, VERSION } from '../../../src/api/constants.js';
import type { VpcEndpoint, VpcEndpointSpec } from '../../../src/api/types.js';
import { eventually } from './kube.js';

const ref = (namespace: string) => ({ group: GROUP, version: VERSION, plural: ENDPOINT_PLURAL, namespace });

/** Creates a VpcEndpoint. */
export async function createEndpointCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  spec: VpcEndpointSpec,
): Promise<VpcEndpoint> {
  return (await custom.createNamespacedCustomObject({
    ...ref(namespace),
    body: { apiVersion: API_VERSION, kind: ENDPOINT_KIND, metadata: { name }, spec },
  })) as VpcEndpoint;
}

/** Reads a VpcEndpoint; undefined when it is gone. */
export async function getEndpointCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<VpcEndpoint | undefined> {
  try {
    return (await custom.getNamespacedCustomObject({ ...ref(namespace), name })) as VpcEndpoint;
  } catch (e) {
    if (e instanceof ApiException && e.code === 404) return undefined;
    throw e;
  }
}

/** Merge-patches a VpcEndpoint. */
export async function patchEndpointCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  body: object,
): Promise<VpcEndpoint> {
  const { PatchStrategy, setHeaderOptions } = await import('@kubernetes/client-node');
  return (await custom.patchNamespacedCustomObject(
    { ...ref(namespace), name, body },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as VpcEndpoint;
}

/** Deletes a VpcEndpoint (does not wait). */
export async function deleteEndpointCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
): Promise<void> {
  await custom.deleteNamespacedCustomObject({ ...ref(namespace), name });
}

/** The Ready condition's reason (or status `True`). */
export function readyReason(
  ep: { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } } | undefined,
): string | undefined {
  const c = ep?.status?.conditions?.find((x) => x.type === 'Ready');
  return c?.status === 'True' ? 'True' : c?.reason;
}

/** Waits until `pred` holds for the VpcEndpoint; returns it. */
export function waitForEndpoint(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  pred: (ep: VpcEndpoint | undefined) => boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<VpcEndpoint | undefined> {
  let last: VpcEndpoint | undefined;
  return eventually(
    async () => {
      const ep = await getEndpointCR(custom, namespace, name);
      last = ep;
      return pred(ep) ? { ep } : undefined;
    },
    `${namespace}/${name}: ${what}`,
    timeoutMs,
    100,
  ).then(
    (r) => r.ep,
    (e: Error) => {
      throw new Error(`${e.message}; last status: ${JSON.stringify(last?.status)}`);
    },
  );
}
