/**
 * "No secret value appears in any log line, event, status or metric": every place the operator writes
 * text that someone else can read, searched for every secret a test used (raw and base64, the form a
 * Secret's data has in the API).
 */
import { EventsV1Api } from '@kubernetes/client-node';
import { expect } from 'vitest';
import { GROUP, PLURAL, VERSION } from '../../../src/api/constants.js';
import type { TestKube } from './kube.js';
import type { OperatorProcess } from './operator.js';

/** The port the operator logged as its metrics port (`operator started`), if any. */
export function metricsPort(op: OperatorProcess): number | undefined {
  for (const l of op.lines) {
    try {
      const rec = JSON.parse(l) as { msg?: string; metricsPort?: number };
      if (rec.msg === 'operator started' && typeof rec.metricsPort === 'number' && rec.metricsPort > 0)
        return rec.metricsPort;
    } catch {
      // not a JSON line
    }
  }
  return undefined;
}

/** The operator's `/metrics` text ('' when it serves none or has stopped). */
export async function metricsText(op: OperatorProcess): Promise<string> {
  const port = metricsPort(op);
  if (port === undefined) return '';
  try {
    return await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  } catch {
    return '';
  }
}

/**
 * Asserts that none of `secrets` (nor its base64 form) appears in the operator's output, in the events
 * (both APIs) or resource statuses of `namespaces`, or in the operator's `/metrics`. Secrets shorter
 * than 8 characters are refused: a short one would match by chance and prove nothing. Call while the
 * operator still runs (for `/metrics`).
 */
export async function expectNoSecretsLeaked(
  k: TestKube,
  op: OperatorProcess,
  namespaces: readonly string[],
  secrets: readonly string[],
  opts: { requireMetrics?: boolean } = {},
): Promise<void> {
  for (const s of secrets)
    expect(s.length, 'a secret to grep for must be at least 8 characters').toBeGreaterThanOrEqual(8);
  const places: Array<[string, string]> = [['operator output', op.lines.join('\n')]];
  const metrics = await metricsText(op);
  if (opts.requireMetrics ?? true)
    expect(metrics, '/metrics must be readable while the operator runs').toContain(
      'controller_runtime_reconcile_total',
    );
  places.push(['/metrics', metrics]);
  const events = k.kc.makeApiClient(EventsV1Api);
  for (const ns of namespaces) {
    places.push([
      'events.k8s.io events',
      JSON.stringify(await events.listNamespacedEvent({ namespace: ns })),
    ]);
    places.push(['core events', JSON.stringify(await k.core.listNamespacedEvent({ namespace: ns }))]);
    // The CRD may be gone (a test deletes it on purpose): then there are no statuses to search.
    const crs = (await k.custom
      .listNamespacedCustomObject({ group: GROUP, version: VERSION, plural: PLURAL, namespace: ns })
      .catch(() => ({ items: [] }))) as { items: Array<{ metadata?: { name?: string }; status?: unknown }> };
    places.push(['statuses', JSON.stringify(crs.items.map((c) => [c.metadata?.name, c.status]))]);
  }
  for (const s of secrets)
    for (const form of [s, Buffer.from(s).toString('base64')])
      for (const [where, text] of places)
        expect(text.includes(form), `a secret (${s.slice(0, 3)}…) appears in the ${where}`).toBe(false);
}
