/**
 * The Secret → resources index and the Secret event mapper: exactly the resources that name a Secret
 * are enqueued, only when the Secret changed, and the index follows resources that change or drop
 * their reference.
 */
import { describe, expect, it } from 'vitest';
import type { VpcEndpointService } from '../../../src/api/types.js';
import { SecretReferences, secretEventMapper, secretSources } from '../../../src/controller/secret-watch.js';
import { KubeConfig } from '@kubernetes/client-node';
import { CredentialResolver } from '../../../src/controller/credentials.js';
import { ManualClock } from '../../../src/util/clock.js';

function cr(ns: string, name: string, secret?: string): VpcEndpointService {
  return {
    apiVersion: 'vpcep.huaweicloud.io/v1alpha1',
    kind: 'VpcEndpointService',
    metadata: { name, namespace: ns, uid: `uid-${name}` },
    spec: {
      portId: 'p',
      vpcId: 'v',
      serverType: 'VM',
      ports: [{ clientPort: 1, serverPort: 1 }],
      ...(secret ? { credentialsSecretRef: { name: secret } } : {}),
    },
  };
}

const secret = (ns: string, name: string, rv: string) => ({
  apiVersion: 'meta.k8s.io/v1',
  kind: 'PartialObjectMetadata',
  metadata: { namespace: ns, name, resourceVersion: rv },
});

/** The resolver's own bookkeeping of Secret versions. */
function versions(): CredentialResolver {
  return new CredentialResolver({
    core: { readNamespacedSecret: () => Promise.reject(new Error('not read here')) },
    defaults: {},
    qps: 1,
    burst: 1,
    clock: new ManualClock(),
  });
}

describe('SecretReferences', () => {
  it('maps a Secret to exactly the resources that name it, in their own namespace', () => {
    const refs = new SecretReferences();
    refs.observe('a/one', cr('a', 'one', 'creds'), 'add');
    refs.observe('a/two', cr('a', 'two', 'creds'), 'add');
    refs.observe('a/three', cr('a', 'three', 'other'), 'add');
    refs.observe('b/four', cr('b', 'four', 'creds'), 'add');
    refs.observe('a/five', cr('a', 'five'), 'add');
    expect(refs.keysFor('a', 'creds')).toEqual(['a/one', 'a/two']);
    expect(refs.keysFor('b', 'creds')).toEqual(['b/four']);
    expect(refs.keysFor('a', 'nothing')).toEqual([]);
    expect(refs.size()).toBe(3);
  });

  it('follows a changed reference and forgets deleted resources', () => {
    const refs = new SecretReferences();
    refs.observe('a/one', cr('a', 'one', 'creds'), 'add');
    refs.observe('a/one', cr('a', 'one', 'new-creds'), 'update');
    expect(refs.keysFor('a', 'creds')).toEqual([]);
    expect(refs.keysFor('a', 'new-creds')).toEqual(['a/one']);
    refs.observe('a/one', cr('a', 'one'), 'update');
    expect(refs.size()).toBe(0);
    refs.observe('a/one', cr('a', 'one', 'creds'), 'update');
    refs.observe('a/one', cr('a', 'one', 'creds'), 'delete');
    expect(refs.keysFor('a', 'creds')).toEqual([]);
    expect(refs.size()).toBe(0);
  });
});

describe('secretEventMapper', () => {
  it('a change of a referenced Secret enqueues its resources once; repeats and strangers nothing', () => {
    const refs = new SecretReferences();
    refs.observe('a/one', cr('a', 'one', 'creds'), 'add');
    refs.observe('a/two', cr('a', 'two', 'creds'), 'add');
    const v = versions();
    const map = secretEventMapper(refs, v);
    expect(map(secret('a', 'creds', '7'), 'add')).toEqual(['a/one', 'a/two']);
    expect(map(secret('a', 'creds', '7'), 'update')).toEqual([]); // a relist: nothing changed
    expect(map(secret('a', 'creds', '8'), 'update')).toEqual(['a/one', 'a/two']);
    expect(map(secret('a', 'unrelated', '9'), 'update')).toEqual([]);
    expect(map(secret('b', 'creds', '9'), 'update')).toEqual([]);
    expect(map(secret('a', 'creds', '8'), 'delete')).toEqual(['a/one', 'a/two']);
    expect(map(secret('a', 'creds', '8'), 'delete')).toEqual([]); // already gone
    expect(map(secret('a', 'creds', '9'), 'add')).toEqual(['a/one', 'a/two']); // created again
  });

  it('knows a Secret listed before any resource names it: its relist is no news later', () => {
    const refs = new SecretReferences();
    const v = versions();
    const map = secretEventMapper(refs, v);
    expect(map(secret('a', 'creds', '7'), 'add')).toEqual([]); // the Secret informer listed first
    refs.observe('a/one', cr('a', 'one', 'creds'), 'add');
    const noted = v.version(cr('a', 'one', 'creds'));
    expect(map(secret('a', 'creds', '7'), 'update')).toEqual([]); // a relist after a 410
    expect(v.version(cr('a', 'one', 'creds'))).toBe(noted);
    expect(map(secret('a', 'creds', '8'), 'update')).toEqual(['a/one']);
  });
});

describe('secretSources', () => {
  it('one source for every Secret, or one per name', () => {
    const kc = new KubeConfig();
    expect(secretSources({ kc, names: [] }).map((s) => s.path('team'))).toEqual([
      '/api/v1/namespaces/team/secrets',
    ]);
    expect(secretSources({ kc, names: ['a', 'b', 'a'] }).map((s) => s.path(undefined))).toEqual([
      '/api/v1/secrets?fieldSelector=metadata.name%3Da',
      '/api/v1/secrets?fieldSelector=metadata.name%3Db',
    ]);
  });
});
