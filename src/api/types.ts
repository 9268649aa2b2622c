/**
 * TypeScript shape of the `VpcEndpointService` custom resource (group `vpcep.huaweicloud.io`, version
 * `v1alpha1`). The CRD in `crds/` is the source of truth for validation; these types mirror it.
 *
 * Fields the CRD defaults are optional here: the apiserver fills them in, but objects built in code
 * (tests, fixtures) may lack them, and the mapping applies the same defaults ({@link SPEC_DEFAULTS}).
 */
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { API_VERSION, ENDPOINT_KIND, KIND } from './constants.js';

/** Backend type of an endpoint service (the CRD's enum; `VIP` is deprecated by the cloud). */
export type ServerType = 'VM' | 'VIP' | 'LB';
/** Client-information mode of an endpoint service (the CRD's enum). */
export type TcpProxy = 'close' | 'toa_open' | 'proxy_open' | 'open' | 'proxy_vni';

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
/** One whitelist entry: exactly one of an account id (or `*`) and an organization path (or `*`). */
export interface PermissionSpec {
  domainId?: string;
  orgPath?: string;
  description?: string;
}

/** Which pending connections are accepted or rejected by rule. `reject` wins over every accept rule. */
export interface ConnectionApprovalSpec {
  /** Pending connections from these accounts (`*`: any) are accepted. */
  acceptDomains?: string[];
  /** These endpoints are accepted. */
  accept?: string[];
  /** These endpoints are rejected, even when an accept rule matches. */
  reject?: string[];
  /** Reject accepted connections that no rule accepts any more. */
  reconcileConnections?: boolean;
  /**
   * Accept the connections of `VpcEndpoint` resources of this cluster in the service's own namespace
   * and in these namespaces (`*`: every namespace). Absent: no in-cluster rule.
   */
  acceptInCluster?: { namespaces?: string[] };
}

/** A consumer connection as the cloud reports it. */
export interface ConnectionStatusEntry {
  endpointId: string;
  domainId?: string;
  markerId?: number;
  /** The cloud's word, verbatim (`pendingAcceptance`, `accepted`, `rejected`, ...). */
  status: string;
  createdAt?: string;
  description?: string;
}

/** Connections by state. */
export interface ConnectionCounts {
  accepted: number;
  pending: number;
  rejected: number;
}

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
  /**
   * Who may connect besides the owner's own account (implicitly allowed, never added). Absent: the
   * whitelist is not managed (left as it is in the cloud). Empty: no one else.
   */
  permissions?: PermissionSpec[];
  /** Connection approval as policy (effective while `approvalEnabled` is true). */
  connectionApproval?: ConnectionApprovalSpec;
  /** Deleting the resource rejects every connection, then deletes the service (instead of DeleteBlocked). */
  rejectConnectionsOnDelete?: boolean;
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
  /** The service's connections, sorted by endpoint id (written only when they change). */
  connections?: ConnectionStatusEntry[];
  connectionCounts?: ConnectionCounts;
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

// ---- consumer side: VpcEndpoint ------------------------------------------------------------------

/** A `VpcEndpointService` of this cluster; `namespace` defaults to the referring resource's. */
export interface ServiceReference {
  name: string;
  namespace?: string;
}

/** Desired state of a VPC endpoint (camelCase of the VPCEP create fields, plus operator fields). */
export interface VpcEndpointSpec {
  /** Exactly one of `serviceRef`, `serviceId` and `serviceName` names the service. Immutable. */
  serviceRef?: ServiceReference;
  /** The endpoint service's cloud id (UUID). Immutable. */
  serviceId?: string;
  /** The full service name `{region}.{name}.{id}` as its owner shares it. Immutable. */
  serviceName?: string;
  /** The consumer VPC. Immutable. */
  vpcId: string;
  /** The subnet (network id) of `vpcId` (interface services). Immutable. */
  subnetId?: string;
  /** A fixed IPv4 address in the subnet. Immutable. */
  portIp?: string;
  /** Create a private DNS name. Default `true`. Immutable. */
  enableDns?: boolean;
  /** IPv4 addresses or CIDRs allowed to reach the endpoint. Mutable. */
  whitelist?: string[];
  /** Whether the whitelist is in force. Mutable; default: true when `whitelist` is set. */
  enableWhitelist?: boolean;
  /** Route table ids (gateway services). Mutable. */
  routeTables?: string[];
  /** Endpoint policy document (services with `enablePolicy`), as JSON. Mutable. */
  policyDocument?: Record<string, unknown>;
  /** Mutable only by re-creation in the cloud: the operator sets it at create. */
  description?: string;
  /** At most 9 user tags with unique keys. Mutable, key by key. */
  tags?: TagSpec[];
  deletionPolicy?: DeletionPolicy;
  credentialsSecretRef?: SecretReference;
  region?: string;
  projectId?: string;
  /** Publish the endpoint as a Service of this namespace, owned by this resource. */
  publish?: { serviceName: string };
}

/** Observed state of a VPC endpoint. */
export interface VpcEndpointStatus {
  id?: string;
  /** The cloud's word: creating, pendingAcceptance, accepted, rejected, failed, deleting. */
  status?: string;
  projectId?: string;
  ip?: string;
  dnsNames?: string[];
  markerId?: number;
  serviceId?: string;
  serviceName?: string;
  createdAt?: string;
  updatedAt?: string;
  observedGeneration?: number;
  conditions?: Condition[];
}

/** A `VpcEndpoint` custom resource as read from the apiserver. */
export interface VpcEndpoint {
  apiVersion: typeof API_VERSION;
  kind: typeof ENDPOINT_KIND;
  metadata: V1ObjectMeta;
  spec: VpcEndpointSpec;
  status?: VpcEndpointStatus;
}
