import { describe, expect, it } from 'vitest';
import type { CreateServiceRequest, EndpointService } from '../../../src/cloud/wire.js';
import { OWNERSHIP_TAG_KEY } from '../../../src/api/constants.js';
import {
  diffMutable,
  shortServiceName,
  toCreateRequest,
  toStatusFields,
  toUpdateRequest,
} from '../../../src/controller/endpoint-service/mapping.js';
import type { VpcEndpointServiceSpec } from '../../../src/api/types.js';
import { diffTags } from '../../../src/controller/tags.js';
import { loadExample } from '../../fixtures/crd.js';

const UID = '2f1e3c4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

/** The create request of vpcep-api.md §2, verbatim. */
const SEED_REQUEST: CreateServiceRequest = {
  port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
  vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
  approval_enabled: false,
  service_type: 'interface',
  server_type: 'VM',
  ports: [
    { client_port: 8080, server_port: 90, protocol: 'TCP' },
    { client_port: 8081, server_port: 80, protocol: 'TCP' },
  ],
};

/** The create response of vpcep-api.md §2, verbatim. */
const SEED_RESPONSE: EndpointService = {
  id: '4189d3c2-8882-4871-a3c2-d380272eed83',
  port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
  vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
  pool_id: '5289d3c2-8882-4871-a3c2-d380272eed80',
  status: 'available',
  approval_enabled: false,
  service_name: 'test123',
  service_type: 'interface',
  server_type: 'VM',
  project_id: '6e9dfd51d1124e8d8498dce894923a0d',
  created_at: '2022-04-14T09:35:47Z',
  ports: [
    { client_port: 8080, server_port: 90, protocol: 'TCP' },
    { client_port: 8081, server_port: 80, protocol: 'TCP' },
  ],
};

const vmSpec = (): VpcEndpointServiceSpec =>
  loadExample('vm-service.yaml').spec as unknown as VpcEndpointServiceSpec;
const lbSpec = (): VpcEndpointServiceSpec =>
  loadExample('lb-service.yaml').spec as unknown as VpcEndpointServiceSpec;

/** The VM example as the apiserver stores it, defaults applied. */
const vmSpecDefaulted = (): VpcEndpointServiceSpec => ({
  ...vmSpec(),
  tcpProxy: 'close',
  enablePolicy: false,
  deletionPolicy: 'Delete',
});

const ownership = { key: OWNERSHIP_TAG_KEY, value: UID };

describe('toCreateRequest', () => {
  it('maps the seed example to the documented request exactly, plus the ownership tag', () => {
    const body = toCreateRequest(vmSpec(), UID);
    expect(body).toStrictEqual({ ...SEED_REQUEST, tags: [ownership] });
    const { tags, ...rest } = body;
    expect(rest).toStrictEqual(SEED_REQUEST);
    expect(tags).toStrictEqual([ownership]);
    expect(JSON.parse(JSON.stringify(body))).toStrictEqual(body); // no undefined-valued keys
  });

  it('adds only tcp_proxy for the defaulted seed (enable_policy false is never sent)', () => {
    expect(toCreateRequest(vmSpecDefaulted(), UID)).toStrictEqual({
      ...SEED_REQUEST,
      tcp_proxy: 'close',
      tags: [ownership],
    });
  });

  it('maps every field of the LB example, user tags first and the ownership tag last', () => {
    expect(toCreateRequest(lbSpec(), UID)).toStrictEqual({
      port_id: '7d3f1c2a-5b6e-4f80-9a1b-2c3d4e5f6a70',
      vpc_id: '7d3f1c2a-5b6e-4f80-9a1b-2c3d4e5f6a71',
      approval_enabled: true,
      service_type: 'interface',
      server_type: 'LB',
      ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
      service_name: 'lb-demo',
      tcp_proxy: 'proxy_open',
      description: 'HTTPS API behind a shared load balancer, for partner accounts',
      tags: [{ key: 'env', value: 'demo' }, { key: 'team', value: 'platform' }, ownership],
    });
  });

  it('always sends approval_enabled, true when unset (the API default, not Terraform’s)', () => {
    const spec = vmSpec();
    delete spec.approvalEnabled;
    expect(toCreateRequest(spec, UID).approval_enabled).toBe(true);
  });

  it('defaults service_type and protocol, and sends enable_policy only when true', () => {
    const spec: VpcEndpointServiceSpec = {
      portId: SEED_REQUEST.port_id,
      vpcId: SEED_REQUEST.vpc_id,
      serverType: 'LB',
      ports: [{ clientPort: 1, serverPort: 2 }],
      enablePolicy: true,
    };
    const body = toCreateRequest(spec, UID);
    expect(body.service_type).toBe('interface');
    expect(body.ports).toStrictEqual([{ client_port: 1, server_port: 2, protocol: 'TCP' }]);
    expect(body.enable_policy).toBe(true);
  });

  it('never sends operator fields, and sends an empty tag value for a tag without one', () => {
    const spec: VpcEndpointServiceSpec = {
      ...vmSpec(),
      deletionPolicy: 'Retain',
      credentialsSecretRef: { name: 'creds' },
      region: 'cn-north-4',
      projectId: 'p1',
      tags: [{ key: 'bare' }],
    };
    const body = toCreateRequest(spec, UID) as unknown as Record<string, unknown>;
    for (const k of [
      'deletion_policy',
      'deletionPolicy',
      'credentials_secret_ref',
      'region',
      'project_id',
      'projectId',
    ]) {
      expect(body).not.toHaveProperty(k);
    }
    expect(body.tags).toStrictEqual([{ key: 'bare', value: '' }, ownership]);
  });

  it('does not mutate the spec', () => {
    const spec = lbSpec();
    const copy = structuredClone(spec);
    toCreateRequest(spec, UID);
    toUpdateRequest(spec);
    expect(spec).toStrictEqual(copy);
  });
});

describe('toUpdateRequest', () => {
  it('sends the mutable fields only, with effective values', () => {
    expect(toUpdateRequest(lbSpec())).toStrictEqual({
      port_id: '7d3f1c2a-5b6e-4f80-9a1b-2c3d4e5f6a70',
      approval_enabled: true,
      ports: [{ client_port: 443, server_port: 8443, protocol: 'TCP' }],
      tcp_proxy: 'proxy_open',
      description: 'HTTPS API behind a shared load balancer, for partner accounts',
      service_name: 'lb-demo',
    });
  });

  it('clears a removed description with "" and resets removed defaults; omits an unset service name', () => {
    expect(toUpdateRequest(vmSpec())).toStrictEqual({
      port_id: SEED_REQUEST.port_id,
      approval_enabled: false,
      ports: SEED_REQUEST.ports,
      tcp_proxy: 'close',
      description: '',
    });
  });
});

describe('shortServiceName', () => {
  it.each([
    ['cn-north-4.obs_test.77e40857-03e9-45ee-a940-4bbb8cef72bf', 'obs_test'],
    ['br-abc-aaa1.obs_test.77e40857-03e9-45ee-a940-4bbb8cef72bf', 'obs_test'],
    ['cn-north-4.77e40857-03e9-45ee-a940-4bbb8cef72bf', undefined],
    ['test123', 'test123'],
    ['', undefined],
    [undefined, undefined],
  ])('%s -> %s', (full, short) => {
    expect(shortServiceName(full)).toBe(short);
  });
});

describe('diffMutable', () => {
  it('finds nothing between the seed example and the seed response', () => {
    expect(diffMutable(vmSpec(), SEED_RESPONSE)).toEqual([]);
    expect(diffMutable(vmSpecDefaulted(), SEED_RESPONSE)).toEqual([]);
  });

  it('compares ports as a set, ignoring order', () => {
    const observed = { ...SEED_RESPONSE, ports: [...SEED_RESPONSE.ports!].reverse() };
    expect(diffMutable(vmSpec(), observed)).toEqual([]);
  });

  it('reports each drifted field, in a stable order', () => {
    const observed: EndpointService = {
      ...SEED_RESPONSE,
      port_id: '4189d3c2-8882-4871-a3c2-d380272eed99',
      approval_enabled: true,
      ports: [{ client_port: 8080, server_port: 91, protocol: 'TCP' }, SEED_RESPONSE.ports![1]!],
      tcp_proxy: 'open',
      description: 'changed out of band',
    };
    expect(diffMutable(vmSpec(), observed)).toEqual([
      'portId',
      'approvalEnabled',
      'ports',
      'tcpProxy',
      'description',
    ]);
  });

  it('detects a port added or removed', () => {
    const spec = vmSpec();
    spec.ports = [...spec.ports, { clientPort: 9000, serverPort: 9000 }];
    expect(diffMutable(spec, SEED_RESPONSE)).toEqual(['ports']);
    spec.ports = spec.ports.slice(0, 1);
    expect(diffMutable(spec, SEED_RESPONSE)).toEqual(['ports']);
  });

  it('compares the service name with the short name inside the full one', () => {
    const spec = { ...vmSpec(), serviceName: 'svc' };
    const full = 'cn-north-4.svc.4189d3c2-8882-4871-a3c2-d380272eed83';
    expect(diffMutable(spec, { ...SEED_RESPONSE, service_name: full })).toEqual([]);
    expect(diffMutable(spec, { ...SEED_RESPONSE, service_name: 'cn-north-4.other.x' })).toEqual([
      'serviceName',
    ]);
    expect(diffMutable(spec, { ...SEED_RESPONSE, service_name: 'cn-north-4.x' })).toEqual(['serviceName']);
    expect(diffMutable(spec, { ...SEED_RESPONSE, service_name: 'svc' })).toEqual([]);
  });

  it('treats absent observed fields as the API defaults', () => {
    const bare: EndpointService = { id: 'x', port_id: SEED_REQUEST.port_id, ports: SEED_RESPONSE.ports! };
    expect(diffMutable({ ...vmSpec(), approvalEnabled: true }, bare)).toEqual([]);
    expect(diffMutable(vmSpec(), bare)).toEqual(['approvalEnabled']);
  });
});

describe('diffTags', () => {
  const ownershipTag = { key: OWNERSHIP_TAG_KEY, value: UID };

  it('is empty when in sync, whatever the order, ignoring the ownership tag', () => {
    const d = diffTags(
      [{ key: 'a', value: '1' }, { key: 'b' }],
      [ownershipTag, { key: 'b', value: '' }, { key: 'a', value: '1' }],
    );
    expect(d).toEqual({ create: [], delete: [] });
  });

  it('creates new keys, deletes removed ones, and replaces changed values by delete then create', () => {
    const d = diffTags(
      [
        { key: 'keep', value: 'k' },
        { key: 'change', value: 'new' },
        { key: 'add', value: 'x' },
      ],
      [
        { key: 'keep', value: 'k' },
        { key: 'change', value: 'old' },
        { key: 'gone', value: 'g' },
        ownershipTag,
      ],
    );
    expect(d.delete).toEqual([
      { key: 'change', value: 'old' },
      { key: 'gone', value: 'g' },
    ]);
    expect(d.create).toEqual([
      { key: 'change', value: 'new' },
      { key: 'add', value: 'x' },
    ]);
  });

  it('never deletes or creates the ownership tag, even if the spec names it', () => {
    expect(diffTags(undefined, [ownershipTag])).toEqual({ create: [], delete: [] });
    expect(diffTags([{ key: OWNERSHIP_TAG_KEY, value: 'other' }], [])).toEqual({ create: [], delete: [] });
  });

  it('handles absent lists', () => {
    expect(diffTags(undefined, undefined)).toEqual({ create: [], delete: [] });
    expect(diffTags([{ key: 'a' }], undefined)).toEqual({ create: [{ key: 'a', value: '' }], delete: [] });
  });
});

describe('toStatusFields', () => {
  it('maps the seed response to the status fields', () => {
    expect(toStatusFields(SEED_RESPONSE)).toStrictEqual({
      id: '4189d3c2-8882-4871-a3c2-d380272eed83',
      status: 'available',
      poolId: '5289d3c2-8882-4871-a3c2-d380272eed80',
      serviceName: 'test123',
      createdAt: '2022-04-14T09:35:47Z',
    });
  });

  it('keeps the cloud status verbatim, the full name, and updatedAt; omits what the cloud omitted', () => {
    expect(
      toStatusFields({
        id: 'i',
        status: 'someFutureState',
        service_name: 'cn-north-4.svc.i',
        updated_at: '2026-01-01T00:00:00Z',
      }),
    ).toStrictEqual({
      id: 'i',
      status: 'someFutureState',
      serviceName: 'cn-north-4.svc.i',
      updatedAt: '2026-01-01T00:00:00Z',
    });
    expect(toStatusFields({ id: 'i' })).toStrictEqual({ id: 'i' });
  });
});
