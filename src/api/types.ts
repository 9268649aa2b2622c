/**
 * TypeScript shape of the `VpcEndpointService` custom resource (group `vpcep.huaweicloud.io`, version
 * `v1alpha1`). The CRD in `crds/` is the source of truth for validation; these types mirror it.
 *
 * Fields the CRD defaults are optional here: the apiserver fills them in, but objects built in code
 * (tests, fixtures) may lack them, and the mapping applies the same defaults ({@link SPEC_DEFAULTS}).
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { ServerType, TcpProxy } from '../cloud/wire.js';
import type { API_VERSION, KIND } from './constants.js';

export type { ServerType, TcpProxy };

/** What happens to the cloud endpoint service when the custom resource is deleted. */
export type DeletionPolicy = 'Delete' | 'Retain';

/** One port mapping: consumers connect to `clientPort`, the backend receives on `serverPort`. */
export interface PortMappingSpec {
  /** 1–65535; unique within the list. */
  clientPort: number;
  /** 1–65535; `(serverPort, protocol)` unique within the list. */
  serverPort: number;
  /** Only `TCP`; the CRD defaults it. */
  protocol?: 'TCP';
}

/** A user tag of the endpoint service. */
export interface TagSpec {
  /** 1–36 characters, none of `= * < > \ , | /`, no edge spaces; never {@link OWNERSHIP_TAG_KEY}. */
  key: string;
  /** 0–43 characters with the key's character rules; absent means `""`. */
  value?: string;
}

/** Reference to a Secret in the custom resource's own namespace. */
export interface SecretReference {
  /** Name of the Secret. */
  name: string;
}

/** Desired state of an endpoint service (camelCase of the VPCEP create fields, plus operator fields). */
export interface VpcEndpointServiceSpec {
  /** Backend port ID (lower-case UUID). Mutable. */
  portId: string;
  /** VPC of the backend (lower-case UUID). Immutable. */
  vpcId: string;
  /** Backend type (`VIP` is deprecated). Immutable. */
  serverType: ServerType;
  /** Short service name, 1–16 of `[A-Za-z0-9_-]`. Mutable; unset leaves the cloud's name alone. */
  serviceName?: string;
  /** Whether connections need approval. Default `true`. Mutable. */
  approvalEnabled?: boolean;
  /** Always `interface`. Immutable. */
  serviceType?: 'interface';
  /** 1–200 port mappings. Mutable (replaced as a whole). */
  ports: PortMappingSpec[];
  /** Client-information mode. Default `close`. Mutable. */
  tcpProxy?: TcpProxy;
  /** At most 9 user tags with unique keys. Mutable, key by key. */
  tags?: TagSpec[];
  /** At most 512 characters without `<` or `>`. Mutable; unset clears it. */
  description?: string;
  /** Endpoint policies. Default `false`. Immutable. */
  enablePolicy?: boolean;
  /** Default `Delete`. */
  deletionPolicy?: DeletionPolicy;
  /** Per-resource credentials Secret (same namespace). */
  credentialsSecretRef?: SecretReference;
  /** Region override, e.g. `cn-north-4`. */
  region?: string;
  /** Project ID override. */
  projectId?: string;
}

/** Status of a condition, as in metav1.Condition. */
export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A condition in the standard metav1.Condition shape (KEP-1623). */
export interface Condition {
  /** CamelCase type, e.g. `Ready`; unique within the list. */
  type: string;
  status: ConditionStatus;
  /** The `metadata.generation` the condition was computed for. */
  observedGeneration?: number;
  /** RFC 3339 UTC without fractional seconds; changes only when `status` flips. */
  lastTransitionTime: string;
  /** CamelCase, matching `^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$`, at most 1024 characters. */
  reason: string;
  /** Human-readable; may be empty. */
  message: string;
}

/** Observed state, written only by the operator through the status subresource. */
export interface VpcEndpointServiceStatus {
  /** Cloud ID of the endpoint service. */
  id?: string;
  /** The cloud's status word, verbatim (`creating`, `available`, `failed`, `deleting`, ...). */
  status?: string;
  /** The cloud project the service lives in (the credentials must keep acting in it). */
  projectId?: string;
  /** Backing cluster ID. */
  poolId?: string;
  /** Full service name, `{region}.{name}.{id}` or `{region}.{id}`. */
  serviceName?: string;
  /** Cloud creation time, as the cloud reports it. */
  createdAt?: string;
  /** Cloud last-update time, as the cloud reports it. */
  updatedAt?: string;
  /** The `metadata.generation` this status describes. */
  observedGeneration?: number;
  /** `Ready`, `Synced`, and whatever later features add. */
  conditions?: Condition[];
}

/** A `VpcEndpointService` custom resource as read from the apiserver. */
export interface VpcEndpointService {
  apiVersion: typeof API_VERSION;
  kind: typeof KIND;
  metadata: V1ObjectMeta;
  spec: VpcEndpointServiceSpec;
  status?: VpcEndpointServiceStatus;
}
