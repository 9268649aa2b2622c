import { describe, expect, it } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import { CoordinationV1Api, CustomObjectsApi, EventsV1Api, KubeConfig } from '@kubernetes/client-node';
import { currentNamespace, useKeepAlive } from '../../../src/runtime/kubeconfig.js';
import type { LeaseClient } from '../../../src/runtime/leader-election.js';
import type { EventsClient } from '../../../src/runtime/events.js';
import type { CustomObjectsPatcher } from '../../../src/runtime/finalizer.js';
import type { StatusPatcher } from '../../../src/runtime/status-writer.js';

function kubeconfig(server: string, skipTLSVerify = false): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'c', server, skipTLSVerify }],
    users: [{ name: 'u', token: 'not-a-real-token' }],
    contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'team-a' }],
    currentContext: 'x',
  });
  return kc;
}

type AgentOf = { agent?: unknown };

describe('useKeepAlive', () => {
  it('makes every request share one keep-alive agent (client-node 1.4 makes one per call)', async () => {
    const kc = kubeconfig('https://127.0.0.1:6443');
    const before = [
      (await kc.applyToFetchOptions({})) as AgentOf,
      (await kc.applyToFetchOptions({})) as AgentOf,
    ];
    expect(before[0]!.agent).not.toBe(before[1]!.agent);
    useKeepAlive(kc);
    useKeepAlive(kc); // idempotent
    const a = (await kc.applyToFetchOptions({})) as AgentOf;
    const b = (await kc.applyToFetchOptions({})) as AgentOf;
    expect(a.agent).toBe(b.agent);
    expect(a.agent).toBeInstanceOf(https.Agent);
    expect((a.agent as https.Agent & { keepAlive?: boolean }).keepAlive).toBe(true);
  });

  it('uses a plain keep-alive agent for http test servers with skipTLSVerify, and keeps the error otherwise', async () => {
    const kc = kubeconfig('http://127.0.0.1:8080', true);
    useKeepAlive(kc);
    const a = (await kc.applyToFetchOptions({})) as AgentOf;
    expect(a.agent).toBeInstanceOf(http.Agent);
    expect(a.agent).not.toBeInstanceOf(https.Agent);
    const strict = kubeconfig('http://127.0.0.1:8080', false);
    useKeepAlive(strict);
    await expect(strict.applyToFetchOptions({})).rejects.toThrow(/HTTP protocol is not allowed/);
  });

  it('reads the namespace of the current context', () => {
    expect(currentNamespace(kubeconfig('https://x'))).toBe('team-a');
  });

  it('the real client-node API classes satisfy the minimal interfaces the runtime asks for', () => {
    const kc = kubeconfig('https://127.0.0.1:6443');
    const lease: LeaseClient = kc.makeApiClient(CoordinationV1Api);
    const events: EventsClient = kc.makeApiClient(EventsV1Api);
    const custom = kc.makeApiClient(CustomObjectsApi);
    const patcher: CustomObjectsPatcher = custom;
    const status: StatusPatcher = custom;
    expect([lease, events, patcher, status].every(Boolean)).toBe(true);
  });
});
