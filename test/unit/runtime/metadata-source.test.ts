/**
 * The metadata-only source against a scripted apiserver on loopback: the Accept headers of list and
 * watch, the name field selector, a 403 degrading to an empty list, and a server that ignores the
 * negotiation being refused (so full objects never reach the cache).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KubeConfig, type KubernetesObject } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import {
  METADATA_LIST_ACCEPT,
  METADATA_WATCH_ACCEPT,
  metadataSource,
} from '../../../src/runtime/metadata-source.js';

interface Seen {
  url: string;
  accept: string | undefined;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

async function apiserver(handle: (req: IncomingMessage, res: ServerResponse) => void): Promise<{
  kc: KubeConfig;
  seen: Seen[];
}> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    seen.push({ url: req.url ?? '', accept: req.headers.accept });
    handle(req, res);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server: `http://127.0.0.1:${port}`, skipTLSVerify: true }],
    users: [{ name: 'u', token: 'unit-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
    currentContext: 'x',
  });
  return { kc, seen };
}

const meta = (name: string, rv: string): KubernetesObject => ({
  apiVersion: 'meta.k8s.io/v1',
  kind: 'PartialObjectMetadata',
  metadata: { name, namespace: 'team', resourceVersion: rv },
});

describe('metadataSource', () => {
  it('lists and watches with the metadata Accept headers; the cache holds metadata only', async () => {
    const { kc, seen } = await apiserver((req, res) => {
      if (req.url?.includes('watch=true')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write(`${JSON.stringify({ type: 'MODIFIED', object: meta('creds', '12') })}\n`);
        return; // keep the stream open
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          apiVersion: 'meta.k8s.io/v1',
          kind: 'PartialObjectMetadataList',
          metadata: { resourceVersion: '11' },
          items: [meta('creds', '11'), meta('other', '5')],
        }),
      );
    });
    const source = metadataSource({ kc, group: '', version: 'v1', plural: 'secrets' });
    expect(source.path('team')).toBe('/api/v1/namespaces/team/secrets');
    expect(source.path(undefined)).toBe('/api/v1/secrets');
    const informer = source.makeInformer(`${source.path('team')}?timeoutSeconds=300`, () =>
      source.list('team'),
    );
    const updates: string[] = [];
    informer.on('update', (o) => updates.push(`${o.metadata?.name}@${o.metadata?.resourceVersion}`));
    await informer.start();
    for (let i = 0; i < 1000 && updates.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await informer.stop();
    expect(updates).toEqual(['creds@12']);
    expect(
      informer
        .list()
        .map((o) => o.metadata?.name)
        .sort(),
    ).toEqual(['creds', 'other']);
    const list = seen.find((s) => !s.url.includes('watch=true'));
    const watch = seen.find((s) => s.url.includes('watch=true'));
    expect(list).toEqual({ url: '/api/v1/namespaces/team/secrets', accept: METADATA_LIST_ACCEPT });
    expect(watch?.accept).toBe(METADATA_WATCH_ACCEPT);
    expect(watch?.url).toMatch(
      /^\/api\/v1\/namespaces\/team\/secrets\?timeoutSeconds=300&.*resourceVersion=11/,
    );
  });

  it('with a name, list and watch select it by field selector', async () => {
    const { kc, seen } = await apiserver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'PartialObjectMetadataList', metadata: {}, items: [] }));
    });
    const source = metadataSource({
      kc,
      group: '',
      version: 'v1',
      plural: 'secrets',
      name: 'vpcep-credentials',
    });
    expect(source.name).toBe('secrets(vpcep-credentials)');
    expect(source.path(undefined)).toBe('/api/v1/secrets?fieldSelector=metadata.name%3Dvpcep-credentials');
    expect((await source.list(undefined)).items).toEqual([]);
    expect(seen[0]?.url).toBe('/api/v1/secrets?fieldSelector=metadata.name%3Dvpcep-credentials');
  });

  it('a 403 on the list is an empty list, reported once until a list succeeds', async () => {
    let status = 403;
    const { kc } = await apiserver((_req, res) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify(
          status === 403
            ? { kind: 'Status', code: 403 }
            : { kind: 'PartialObjectMetadataList', metadata: {}, items: [] },
        ),
      );
    });
    const forbidden: Array<string | undefined> = [];
    const source = metadataSource({
      kc,
      group: '',
      version: 'v1',
      plural: 'secrets',
      onForbidden: (ns) => forbidden.push(ns),
    });
    expect((await source.list('team')).items).toEqual([]);
    expect((await source.list('team')).items).toEqual([]);
    expect(forbidden).toEqual(['team']);
    status = 200;
    await source.list('team');
    status = 403;
    await source.list('team');
    expect(forbidden).toEqual(['team', 'team']);
  });

  it('refuses an answer that is not metadata only (full Secrets never enter the cache)', async () => {
    const { kc } = await apiserver((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'SecretList',
          metadata: {},
          items: [{ metadata: { name: 'creds' }, data: { secretKey: 'c2VjcmV0' } }],
        }),
      );
    });
    const source = metadataSource({ kc, group: '', version: 'v1', plural: 'secrets' });
    await expect(source.list('team')).rejects.toThrow(/did not answer with metadata only/);
  });

  it('other HTTP errors reject with the status (the supervisor retries them)', async () => {
    const { kc } = await apiserver((_req, res) => {
      res.writeHead(500);
      res.end('boom');
    });
    const source = metadataSource({
      kc,
      group: '',
      version: 'v1',
      plural: 'secrets',
      onForbidden: () => undefined,
    });
    await expect(source.list('team')).rejects.toMatchObject({ statusCode: 500 });
  });
});
