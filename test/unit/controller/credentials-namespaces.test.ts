import { ApiException, type V1Secret } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { VpcepClient, type VpcepClientProviderOptions } from '../../../src/cloud/client.js';
import { CredentialResolver, CredentialsError } from '../../../src/controller/credentials.js';
import { ManualClock } from '../../../src/util/clock.js';

const DEFAULTS = { accessKey: 'AK-default', secretKey: 'SK-default', projectId: 'p1', region: 'cn-north-4' };

/** A resolver with `--default-credentials-namespaces` over an in-memory Secret store. */
function rig(defaultCredentialsNamespaces?: string[]) {
  const secrets = new Map<string, V1Secret>();
  const built: VpcepClientProviderOptions[] = [];
  const reads: string[] = [];
  const resolver = new CredentialResolver({
    core: {
      readNamespacedSecret: async ({ namespace, name }: { namespace: string; name: string }) => {
        reads.push(`${namespace}/${name}`);
        const s = secrets.get(`${namespace}/${name}`);
        if (!s) throw new ApiException(404, 'not found', '', {});
        return s;
      },
    } as ConstructorParameters<typeof CredentialResolver>[0]['core'],
    defaults: DEFAULTS,
    ...(defaultCredentialsNamespaces ? { defaultCredentialsNamespaces } : {}),
    endpointOverride: 'http://127.0.0.1:1',
    qps: 5,
    burst: 10,
    clock: new ManualClock(),
    makeClient: (o) => {
      built.push(o);
      return new VpcepClient(o);
    },
  });
  const setSecret = (ns: string, name: string, data: Record<string, string>) =>
    secrets.set(`${ns}/${name}`, {
      data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])),
    });
  return { resolver, built, reads, setSecret };
}

function cr(ns: string, secret?: string): VpcEndpointService {
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
    },
  };
}

describe('CredentialResolver with defaultCredentialsNamespaces', () => {
  it('lets a listed namespace use the operator defaults', async () => {
    const r = rig(['platform', 'team-a']);
    const { source } = await r.resolver.resolve(cr('team-a'));
    expect(source).toMatch(/operator environment/);
    expect(r.built.map((o) => o.provider.identity)).toEqual(['AK-default']);
  });

  it('refuses the defaults to any other namespace, non-transiently, saying why and what to do', async () => {
    const r = rig(['platform']);
    const err = await r.resolver.resolve(cr('team-b')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CredentialsError);
    const e = err as CredentialsError;
    expect(e.transient).toBe(false);
    expect(e.defaultsRefused).toBe(true);
    expect(e.message).toBe(
      "namespace team-b may not use the operator's default credentials (--default-credentials-namespaces); " +
        'name a Secret in this namespace with spec.credentialsSecretRef',
    );
    expect(e.message).not.toContain('AK-default');
    expect(r.built).toHaveLength(0);
    expect(r.resolver.size()).toBe(0);
  });

  it('refuses the defaults even after a listed namespace built a client with them', async () => {
    const r = rig(['platform']);
    await r.resolver.resolve(cr('platform'));
    await expect(r.resolver.resolve(cr('team-b'))).rejects.toBeInstanceOf(CredentialsError);
    expect(r.built).toHaveLength(1);
  });

  it('a refused namespace that names a Secret uses the Secret', async () => {
    const r = rig(['platform']);
    r.setSecret('team-b', 'creds', { accessKey: 'AK-team-b', secretKey: 'SK-team-b' });
    const { source } = await r.resolver.resolve(cr('team-b', 'creds'));
    expect(source).toBe('Secret team-b/creds');
    expect(r.reads).toEqual(['team-b/creds']);
    expect(r.built.map((o) => o.provider.identity)).toEqual(['AK-team-b']);
    // A missing Secret there is still reported as such, not as a refusal of the defaults.
    const missing = await r.resolver.resolve(cr('team-b', 'absent')).catch((e: unknown) => e);
    expect((missing as CredentialsError).message).toBe('Secret team-b/absent not found');
    expect((missing as CredentialsError).defaultsRefused).toBe(false);
  });

  it('without the option (or with an empty list) every namespace may use the defaults', async () => {
    for (const list of [undefined, []]) {
      const r = rig(list);
      await expect(r.resolver.resolve(cr('anywhere'))).resolves.toMatchObject({
        source: expect.stringMatching(/operator environment/) as unknown,
      });
    }
  });
});
