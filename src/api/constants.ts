/**
 * Names the operator, the CRD and users share: API group/version/kind, the finalizer, annotation keys,
 * condition types, the reserved ownership tag and the spec defaults. Changing any of these is a
 * contract change (see DESIGN.md, "Contracts"): existing resources and cloud tags carry them.
 */

/** API group of the custom resource. */
export const GROUP = 'vpcep.huaweicloud.io';
/** The one served and stored version. */
export const VERSION = 'v1alpha1';
/** Kind of the custom resource. */
export const KIND = 'VpcEndpointService';
/** Plural resource name, as used in REST paths and RBAC rules. */
export const PLURAL = 'vpcendpointservices';
/** `apiVersion` of the custom resource (`group/version`). */
export const API_VERSION = `${GROUP}/${VERSION}`;
/** Kind of the consumer-side custom resource: a VPC endpoint connected to an endpoint service. */
export const ENDPOINT_KIND = 'VpcEndpoint';
/** Plural resource name of {@link ENDPOINT_KIND}. */
export const ENDPOINT_PLURAL = 'vpcendpoints';

/**
 * Annotation every CRD in `crds/` carries: the revision of its schema (a decimal integer, as a string).
 * Bumped by any change to the CRD's `spec` (a unit test fails otherwise). The operator reconciles a kind
 * only while the served CRD's revision is at least {@link CRD_SCHEMA_REVISIONS}'s: an older CRD would
 * prune the fields it lacks from every stored object, silently.
 */
export const ANNOTATION_SCHEMA_REVISION = 'vpcep.huaweicloud.io/schema-revision';
/**
 * Schema revision of each kind's CRD that this build was written against, by kind (equal to the
 * {@link ANNOTATION_SCHEMA_REVISION} of its file in `crds/`; a unit test checks this). A CRD without the
 * annotation (releases up to 0.1.0) counts as revision 0.
 */
export const CRD_SCHEMA_REVISIONS: Readonly<Record<string, number>> = { [KIND]: 3, [ENDPOINT_KIND]: 1 };

/** Finalizer the operator adds before creating anything in the cloud and removes once it is gone. */
export const FINALIZER = 'vpcep.huaweicloud.io/finalizer';

/** Annotation: `"true"` pauses reconciliation (Synced=False, reason ReconcilePaused; nothing else happens). */
export const ANNOTATION_PAUSED = 'vpcep.huaweicloud.io/paused';
/** Annotation: ID of an existing cloud endpoint service to adopt instead of creating one. */
export const ANNOTATION_SERVICE_ID = 'vpcep.huaweicloud.io/service-id';
/** Annotation on a `VpcEndpoint`: ID of an existing cloud VPC endpoint to adopt instead of creating one. */
export const ANNOTATION_ENDPOINT_ID = 'vpcep.huaweicloud.io/endpoint-id';
/** Annotation: management policy; {@link MANAGEMENT_POLICY_OBSERVE} means read-only (never write to the cloud). */
export const ANNOTATION_MANAGEMENT_POLICY = 'vpcep.huaweicloud.io/management-policy';
/** The only non-default value of {@link ANNOTATION_MANAGEMENT_POLICY}: observe the cloud, never change it. */
export const MANAGEMENT_POLICY_OBSERVE = 'observe';
/** Annotation: per-object resync period (a duration such as `10m`), overriding `--resync-period`. */
export const ANNOTATION_RESYNC_PERIOD = 'vpcep.huaweicloud.io/resync-period';

/**
 * Annotation: per-object connection-poll period (a duration, default 1 minute), in force while
 * connection-approval rules are set and approval is on.
 */
export const ANNOTATION_CONNECTION_POLL_PERIOD = 'vpcep.huaweicloud.io/connection-poll-period';

/**
 * Key of the cloud tag the operator puts on every endpoint service it creates; its value is the CR's
 * UID (36 characters, within the cloud's 43). Cloud tag keys may not contain `/`, hence no domain
 * prefix. The CRD forbids this key in `spec.tags` and caps user tags at 9, so the cloud's 10 fit.
 */
export const OWNERSHIP_TAG_KEY = 'k8s-vpcep-owner-uid';

/** Condition types the operator maintains. */
export const ConditionType = {
  /** Summary read by `kubectl wait`, kstatus and ArgoCD: True only when available and matching the spec. */
  Ready: 'Ready',
  /** Whether the last reconciliation succeeded. */
  Synced: 'Synced',
} as const;
/** One of the {@link ConditionType} values. */
export type ConditionTypeName = (typeof ConditionType)[keyof typeof ConditionType];

/**
 * Defaults of optional spec fields, identical to the CRD's `default`s (a unit test checks this). The
 * apiserver applies them at admission; the mapping applies them again so that objects that never went
 * through an apiserver (tests, old stored versions) map identically.
 */
export const SPEC_DEFAULTS = {
  approvalEnabled: true,
  serviceType: 'interface',
  tcpProxy: 'close',
  enablePolicy: false,
  deletionPolicy: 'Delete',
  protocol: 'TCP',
} as const;
