/**
 * Helpers for the consumer-side tests: a simulator with a second account (the consumer, in its own
 * project and domain), raw calls as either account, and a provider service made `available`.
 */
import {
  createAvailable,
  harness,
  PROJECT,
  uuid,
  type CallOptions,
  type CallResult,
  type Harness,
} from './helpers.js';
import type { SimulatorOptions } from '../../../src/simulator/index.js';

export const CONSUMER = {
  accessKey: 'CONSUMERAK0123456',
  secretKey: 'consumer-secret-key-0123',
  projectId: '1b2c3d4e5f60718293a4b5c6d7e8f9a0',
  domainId: 'c0115e7e1d0c4f6a9b3e2d1c0b9a8f7e',
};

/** A harness whose simulator also accepts the consumer's credential. */
export interface EndpointHarness extends Harness {
  /** A signed call as the consumer, path below `/v1/{consumer project}`. */
  consumer(o: Omit<CallOptions, 'path'> & { path: string }): Promise<CallResult>;
  /** The provider's (primary) account id. */
  ownerDomain: string;
}

/** Starts a simulator with the consumer's credential added. */
export async function endpointHarness(extra: Partial<SimulatorOptions> = {}): Promise<EndpointHarness> {
  const h = await harness({ credentials: [CONSUMER], ...extra });
  return {
    ...h,
    ownerDomain: h.sim.controls.domainId(),
    consumer: (o) =>
      h.api({
        ...o,
        ak: CONSUMER.accessKey,
        sk: CONSUMER.secretKey,
        path: `/v1/${CONSUMER.projectId}${o.path}`,
      }),
  };
}

/** A provider service, `available`, whitelisting the consumer's account unless `whitelist` is false. */
export async function providerService(
  h: EndpointHarness,
  over: Record<string, unknown> = {},
  whitelist = true,
): Promise<string> {
  const svc = await createAvailable(h, { port_id: uuid(), ...over });
  const id = String(svc.id);
  if (whitelist) h.sim.controls.addPermission(id, { permission: `iam:domain::${CONSUMER.domainId}` });
  return id;
}

/** A valid interface endpoint create body for `serviceId`; `over` replaces fields (undefined removes one). */
export function endpointBody(serviceId: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  const b: Record<string, unknown> = {
    endpoint_service_id: serviceId,
    vpc_id: '7f1c2d3e-4b5a-4c6d-8e9f-0a1b2c3d4e5f',
    subnet_id: '6e0b1c2d-3a4f-4b5c-9d8e-7f6a5b4c3d2e',
    enable_dns: true,
    ...over,
  };
  for (const [k, v] of Object.entries(b)) if (v === undefined) delete b[k];
  return b;
}

/** The connections of a service, as its owner lists them. */
export async function connections(h: Harness, serviceId: string): Promise<Array<Record<string, unknown>>> {
  const r = await h.api({
    method: 'GET',
    path: `/v1/${PROJECT}/vpc-endpoint-services/${serviceId}/connections`,
  });
  return r.json.connections as Array<Record<string, unknown>>;
}
