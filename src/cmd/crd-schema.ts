/**
 * The CRD schema guard's view of this operator: the kinds it reconciles with the schema revision each
 * needs and the exact command that upgrades each CRD, and the operator's own object (its Pod) for the
 * guard's Warning events. Wiring data only; the guard itself is `src/runtime/crd-guard.ts`.
 */
import {
  API_VERSION,
  CRD_SCHEMA_REVISIONS,
  ENDPOINT_KIND,
  ENDPOINT_PLURAL,
  GROUP,
  KIND,
  PLURAL,
} from '../api/constants.js';
import type { GuardedKind } from '../runtime/crd-guard.js';
import type { ObjectRef } from '../runtime/events.js';

/** The file of a CRD in `crds/` (controller-gen's `<group>_<plural>.yaml`, shipped in the npm package). */
export function crdFile(group: string, plural: string): string {
  return `crds/${group}_${plural}.yaml`;
}

/**
 * Every kind the operator reconciles (the endpoint service, then the consumer endpoint), as the guard
 * checks it. The `fix` is a command a user can paste from a checkout (or the npm package) of this
 * release: server-side apply with `--force-conflicts` takes over the fields Helm or an earlier apply
 * owned.
 */
export function guardedKinds(version: string): GuardedKind[] {
  return [
    { kind: KIND, group: GROUP, plural: PLURAL },
    { kind: ENDPOINT_KIND, group: GROUP, plural: ENDPOINT_PLURAL },
  ].map(({ kind, group, plural }) => ({
    kind,
    crd: `${plural}.${group}`,
    apiVersion: API_VERSION,
    revision: CRD_SCHEMA_REVISIONS[kind] ?? 0,
    fix: `kubectl apply --server-side --force-conflicts -f ${crdFile(group, plural)}`,
    fixNote: `the crds/ of vpcep-operator ${version}; with Helm, helm upgrade to chart ${version} does it, crds.install being true by default`,
  }));
}

/** The operator's Pod, from the downward API (`POD_NAME`, `POD_NAMESPACE`, `POD_UID`), if it runs in one. */
export function ownPod(env: NodeJS.ProcessEnv): ObjectRef | undefined {
  const name = env.POD_NAME;
  const namespace = env.POD_NAMESPACE;
  if (!name || !namespace) return undefined;
  return { apiVersion: 'v1', kind: 'Pod', name, namespace, ...(env.POD_UID ? { uid: env.POD_UID } : {}) };
}
