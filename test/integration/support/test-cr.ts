import { PatchStrategy, setHeaderOptions, type CustomObjectsApi } from '@kubernetes/client-node';

export const G = 'vpcep.huaweicloud.io';
export const V = 'v1alpha1';
export const P = 'vpcendpointservices';

/** The fields of a VpcEndpointService the runtime tests look at. */
export interface TestCR {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: Record<string, unknown>;
  status?: { observedGeneration?: number; id?: string; status?: string };
}

/** Request fields naming the resource collection in `namespace`. */
export function crRef(namespace: string): {
  group: string;
  version: string;
  plural: string;
  namespace: string;
} {
  return { group: G, version: V, plural: P, namespace };
}

/** Creates a minimal valid VpcEndpointService. */
export async function createTestCR(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  description = 'runtime integration test',
): Promise<TestCR> {
  return (await custom.createNamespacedCustomObject({
    ...crRef(namespace),
    body: {
      apiVersion: `${G}/${V}`,
      kind: 'VpcEndpointService',
      metadata: { name },
      spec: {
        portId: '4189d3c2-8882-4871-a3c2-d380272eed88',
        vpcId: '4189d3c2-8882-4871-a3c2-d380272eed80',
        serverType: 'VM',
        ports: [{ clientPort: 8080, serverPort: 90 }],
        description,
      },
    },
  })) as TestCR;
}

/** Reads a VpcEndpointService. */
export async function getTestCR(custom: CustomObjectsApi, namespace: string, name: string): Promise<TestCR> {
  return (await custom.getNamespacedCustomObject({ ...crRef(namespace), name })) as TestCR;
}

/** Changes `spec.description` (a spec change: the generation goes up). */
export async function setDescription(
  custom: CustomObjectsApi,
  namespace: string,
  name: string,
  description: string,
): Promise<TestCR> {
  return (await custom.patchNamespacedCustomObject(
    { ...crRef(namespace), name, body: { spec: { description } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  )) as TestCR;
}
