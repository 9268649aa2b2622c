/**
 * The generic controller runtime: everything a reconciler needs that client-node 1.4 lacks, modelled
 * on client-go's workqueue, controller-runtime and kube-rs. Knows nothing of any particular resource.
 * See each module for its guarantees.
 */
export * from './api-errors.js';
export * from '../util/backoff.js';
export * from '../util/clock.js';
export * from './controller.js';
export * from './crd-guard.js';
export * from './delaying-queue.js';
export * from './events.js';
export * from './finalizer.js';
export * from './http-server.js';
export * from './informer-supervisor.js';
export * from './json.js';
export * from './kubeconfig.js';
export * from './leader-election.js';
export * from './logging.js';
export * from './manager.js';
export * from './metrics.js';
export * from './queue.js';
export * from './rate-limiters.js';
export * from './reconcile.js';
export * from './status-writer.js';
export * from '../util/token-bucket.js';
export * from './workqueue.js';
