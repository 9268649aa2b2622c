import { ApiException, type V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { VpcepClient } from '../../../src/cloud/client.js';
import { CredentialResolver, CredentialsError } from '../../../src/controller/credentials.js';
import { ManualClock } from '../../../src/runtime/clock.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

/** A resolver over an in-memory Secret store; records every client it builds. */
function rig(defaults = {}) {
  const secrets = new Map<string, V1Secret>();
  const built: Array<ConstructorParameters<typeof VpcepClient>[0]> = [];
  const clock = new ManualClock();
  const resolver = new CredentialResolver({
    core: {
      readNamespacedSecret: async ({ namespace, name }: { namespace: string; name: string }) => {
        const s = secrets.get(`${namespace}/${name}`);
        if (!s) throw new ApiException(404, 'not found', '', {});
        return s;
      },
    } as ConstructorParameters<typeof CredentialResolver>[0]['core'],
    defaults,
    endpointOverride: 'http://127.0.0.1:1',
    qps: 5,
    burst: 10,
    clock,
    makeClient: (o) => {
      built.push(o);
      return new VpcepClient(o);
    },
  });
  const setSecret = (ns: string, name: string, data: Record<string, string>) =>
    secrets.set(`${ns}/${name}`, {
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b64(v)])),
    });
  return { resolver, built, setSecret, clock };
}

function cr(
  ns: string,
  secret?: string,
  extra: Partial<VpcEndpointService['spec']> = {},
): VpcEndpointService {
  return {
    apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
    kind: 'VpcEndpointService',
    metadata: { name: 'x', namespace: ns, uid: 'u' },
    spec: {
      portId: 'p',
      vpcId: 'v',
      serverType: 'VM',
      ports: [{ clientPort: 1, serverPort: 1 }],
      ...(secret ? { credentialsSecretRef: { name: secret } } : {}),
      ...extra,
    },
  };
}

describe('CredentialResolver', () => {
  it('uses the operator defaults when the resource names no Secret', async () => {
    const r = rig({ accessKey: 'AK', secretKey: 'SK', projectId: 'p1', region: 'cn-north-4' });
    const { source } = await r.resolver.resolve(cr('a'));
    expect(source).toMatch(/operator environment/);
    expect(r.built[0]?.credentials).toEqual({ accessKey: 'AK', secretKey: 'SK' });
    expect(r.built[0]?.target).toMatchObject({ projectId: 'p1', endpoint: 'http://127.0.0.1:1' });
  });

  it('reuses one client while the Secret is unchanged and builds a new one when it changes', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'creds', { accessKey: 'AK1', secretKey: 'SK1' });
    const first = await r.resolver.resolve(cr('a', 'creds'));
    const again = await r.resolver.resolve(cr('a', 'creds'));
    expect(again.client).toBe(first.client);
    expect(first.source).toBe('Secret a/creds');
    r.setSecret('a', 'creds', { accessKey: 'AK1', secretKey: 'SK2-rotated' });
    const rotated = await r.resolver.resolve(cr('a', 'creds'));
    expect(rotated.client).not.toBe(first.client);
    expect(r.built.map((o) => o.credentials.secretKey)).toEqual(['SK1', 'SK2-rotated']);
  });

  it('shares one rate limiter among all clients of an access key', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'one', { accessKey: 'AK', secretKey: 'SK' });
    r.setSecret('b', 'two', { accessKey: 'AK', secretKey: 'SK', projectId: 'other-project' });
    r.setSecret('c', 'three', { accessKey: 'AK-other', secretKey: 'SK' });
    await r.resolver.resolve(cr('a', 'one'));
    await r.resolver.resolve(cr('b', 'two'));
    await r.resolver.resolve(cr('c', 'three'));
    expect(r.built).toHaveLength(3);
    expect(r.built[0]?.limiter).toBe(r.built[1]?.limiter);
    expect(r.built[2]?.limiter).not.toBe(r.built[0]?.limiter);
  });

  it('applies spec.region and spec.projectId over the Secret and the defaults', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'creds', { accessKey: 'AK', secretKey: 'SK', projectId: 'p2' });
    await r.resolver.resolve(cr('a', 'creds', { projectId: 'p3', region: 'ap-southeast-1' }));
    expect(r.built[0]?.target).toMatchObject({ projectId: 'p3', region: 'ap-southeast-1' });
  });

  it('names the Secret and the missing key, never a value', async () => {
    const r = rig({ projectId: 'p1', region: 'cn-north-4' });
    r.setSecret('a', 'partial', { accessKey: 'AK-visible', secretKey: '' });
    const err = await r.resolver.resolve(cr('a', 'partial')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    expect((err as CredentialsError).message).toBe('Secret a/partial has no key secretKey');
    const missing = await r.resolver.resolve(cr('a', 'absent')).catch((e: unknown) => e);
    expect((missing as CredentialsError).message).toBe('Secret a/absent not found');
    expect((missing as CredentialsError).transient).toBe(false);
  });
});
