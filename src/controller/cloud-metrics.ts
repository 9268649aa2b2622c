/**
 * Prometheus metrics of cloud calls, fed by the cloud client's per-attempt hook (the client imports no
 * metrics library): `vpcep_cloud_requests_total{operation,code}`,
 * `vpcep_cloud_request_duration_seconds{operation}` and `vpcep_cloud_throttled_total{operation}` (the
 * attempts the cloud refused as throttled: HTTP 429 or a throttling code; each is retried after the
 * wait the cloud asked for).
 */
import { Counter, Histogram, type Registry } from 'prom-client';
import type { CallEvent } from '../cloud/client.js';
import { isThrottleCode } from '../cloud/errors.js';

/** Returns the `onCall` hook that records each attempt in `registry`. */
export function cloudCallMetrics(registry: Registry): (e: CallEvent) => void {
  const total = new Counter({
    name: 'vpcep_cloud_requests_total',
    help: 'VPCEP API attempts by operation and result code ("ok" on success)',
    labelNames: ['operation', 'code'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'vpcep_cloud_request_duration_seconds',
    help: 'Duration of VPCEP API attempts',
    labelNames: ['operation'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const throttled = new Counter({
    name: 'vpcep_cloud_throttled_total',
    help: 'VPCEP API attempts refused as throttled (HTTP 429 or a throttling code), by operation',
    labelNames: ['operation'],
    registers: [registry],
  });
  return (e) => {
    if (e.outcome === 'error' && (e.httpStatus === 429 || isThrottleCode(e.code)))
      throttled.inc({ operation: e.operation });
    total.inc({
      operation: e.operation,
      code: e.outcome === 'ok' ? 'ok' : (e.code ?? `http_${e.httpStatus ?? 'none'}`),
    });
    duration.observe({ operation: e.operation }, e.durationMs / 1000);
  };
}
