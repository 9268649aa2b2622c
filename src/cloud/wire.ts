/**
 * Wire types of the Huawei Cloud VPCEP endpoint-service API (snake_case, exactly as on the wire).
 *
 * Shared by the cloud client and the simulator: this file is the only code they have in common.
 * Responses omit unset fields, so everything but `id` is optional on what the cloud returns.
 * Enumerations the cloud may extend (statuses) are open strings.
 */

/** Backend type of an endpoint service. `VIP` is deprecated by the cloud; prefer `LB`. */
export type ServerType = 'VM' | 'VIP' | 'LB';
/** Only `interface` services can be created by users; `gateway` ones are operated by Huawei. */
export type ServiceType = 'interface' | 'gateway';
/** How client information reaches the backend. */
export type TcpProxy = 'close' | 'toa_open' | 'proxy_open' | 'open' | 'proxy_vni';
/** `creating`, `available`, `failed` or `deleting`; typed open because the cloud may add more. */
export type ServiceStatus = 'creating' | 'available' | 'failed' | 'deleting' | (string & {});
/** `creating`, `pendingAcceptance`, `accepted`, `rejected` or `failed` (open string). */
export type ConnectionStatus =
  'creating' | 'pendingAcceptance' | 'accepted' | 'rejected' | 'failed' | (string & {});

export interface PortMapping {
  client_port: number;
  server_port: number;
  protocol: 'TCP' | (string & {});
}

export interface Tag {
  key: string;
  value: string;
}

/**
 * One entry of a connection's `error[]` (the official SDKs' `QueryError{error_code, error_message}`).
 * Not the shape of an endpoint service's `error[]`: see {@link ServiceErrorItem}.
 */
export interface CloudErrorItem {
  error_code: string;
  error_message: string;
}

/**
 * One entry of a failed endpoint service's `error[]`, in either of the two shapes seen: the official Go
 * and Node SDKs' `Error`/`ModelError` `{code, message}` (the SDKs are generated from the cloud's API
 * definitions, so this is the likelier one), or `{error_code, error_message}` as the API notes say.
 * Every field is optional and, like all that the cloud returns, unchecked by the decoder: read it
 * through `describeServiceFailure` (src/cloud/failure.ts), which accepts both shapes, a mix, and junk.
 */
export interface ServiceErrorItem {
  code?: string;
  message?: string;
  error_code?: string;
  error_message?: string;
}

/** Body of `POST /v1/{project_id}/vpc-endpoint-services`. */
export interface CreateServiceRequest {
  port_id: string;
  vpc_id: string;
  server_type: ServerType;
  ports: PortMapping[];
  service_name?: string;
  approval_enabled?: boolean;
  service_type?: ServiceType;
  tcp_proxy?: TcpProxy;
  tags?: Tag[];
  description?: string;
  enable_policy?: boolean;
}

/** Body of `PUT /v1/{project_id}/vpc-endpoint-services/{id}`: mutable fields only. */
export interface UpdateServiceRequest {
  approval_enabled?: boolean;
  service_name?: string;
  ports?: PortMapping[];
  port_id?: string;
  tcp_proxy?: TcpProxy;
  description?: string;
  ip?: string;
  vip_port_id?: string;
}

/** An endpoint service as returned by create, get, update and list. */
export interface EndpointService {
  id: string;
  port_id?: string;
  vpc_id?: string;
  pool_id?: string;
  /** Full form on output: `{region}.{name}.{id}` or `{region}.{id}` (sometimes bare: parse defensively). */
  service_name?: string;
  server_type?: ServerType | (string & {});
  service_type?: ServiceType | (string & {});
  status?: ServiceStatus;
  approval_enabled?: boolean;
  created_at?: string;
  updated_at?: string;
  project_id?: string;
  domain_id?: string;
  ports?: PortMapping[];
  tcp_proxy?: TcpProxy | (string & {});
  tags?: Tag[];
  description?: string;
  enable_policy?: boolean;
  /** Why a `failed` service failed; either entry shape (see {@link ServiceErrorItem}). */
  error?: ServiceErrorItem[];
  connection_count?: number;
  supported_editions?: string[];
  cidr_type?: string;
  ip?: string;
  vip_port_id?: string;
  ip_version?: string;
  public_border_group?: string;
  snat_network_id?: string;
}

/** `GET /v1/{project_id}/vpc-endpoint-services` query parameters. */
export interface ListServicesQuery {
  endpoint_service_name?: string;
  id?: string;
  status?: string;
  sort_key?: 'create_at' | 'update_at';
  sort_dir?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
  public_border_group?: string;
  net_type?: string;
  server_type?: string;
}

export interface ListServicesResponse {
  endpoint_services: EndpointService[];
  total_count: number;
}

/** `PUT …/{id}/name` body and response. */
export interface RenameServiceRequest {
  endpoint_service_name: string;
}
export interface RenameServiceResponse {
  endpoint_service_name: string;
}

/** `POST …/{id}/permissions/action`. */
export interface PermissionActionRequest {
  permissions: string[];
  action: 'add' | 'remove';
  permission_type?: 'domainId' | 'orgPath';
}
/** The action's answer: the whitelist's entries and, as the official SDKs model it, the type acted on. */
export interface PermissionActionResponse {
  permissions: string[];
  permission_type?: string;
}
export interface Permission {
  id: string;
  permission: string;
  permission_type?: string;
  created_at?: string;
  description?: string;
}
export interface ListPermissionsResponse {
  permissions: Permission[];
  total_count: number;
}

/** A consumer endpoint connected to a service. `marker_id` is the endpoint's packet id. */
export interface Connection {
  id: string;
  marker_id?: number;
  domain_id?: string;
  status?: ConnectionStatus;
  created_at?: string;
  updated_at?: string;
  error?: CloudErrorItem[];
  description?: string;
}
export interface ListConnectionsResponse {
  connections: Connection[];
  total_count: number;
}
/** `POST …/{id}/connections/action`: the verb is `receive`, not `accept`; one endpoint per call. */
export interface ConnectionActionRequest {
  action: 'receive' | 'reject';
  endpoints: string[];
}
export interface ConnectionActionResponse {
  connections: Connection[];
}

/** `POST /v1/{project_id}/endpoint_service/{id}/tags/action` (answers 204 or 200, no body). */
export interface TagActionRequest {
  action: 'create' | 'delete';
  tags: Array<{ key: string; value?: string }>;
}

/** `POST /v1/{project_id}/endpoint_service/resource_instances/action`. */
export interface ResourceInstancesRequest {
  action: 'filter' | 'count';
  tags?: Array<{ key: string; values: string[] }>;
  tags_any?: Array<{ key: string; values: string[] }>;
  not_tags?: Array<{ key: string; values: string[] }>;
  not_tags_any?: Array<{ key: string; values: string[] }>;
  matches?: Array<{ key: string; value: string }>;
  without_any_tag?: boolean;
  /** Terraform sends these as strings; the cloud accepts both. */
  limit?: string | number;
  offset?: string | number;
}
export interface ResourceInstance {
  resource_id: string;
  resource_name?: string;
  tags?: Tag[];
}
export interface ResourceInstancesResponse {
  resources?: ResourceInstance[];
  total_count: number;
}

/** `GET /v1/{project_id}/quotas`. */
export interface QuotasResponse {
  quotas: { resources: Array<{ type: string; used: number; quota: number }> };
}

/** `GET …/vpc-endpoint-services/describe` (callable cross-tenant; backend details hidden). */
export interface DescribeServiceResponse {
  id: string;
  service_name?: string;
  service_type?: string;
  created_at?: string;
  is_charge?: boolean;
  enable_policy?: boolean;
  public_border_group?: string;
}

/** Error body shapes: VPCEP's flat one, the nested one, and the API gateway's (with `request_id`). */
export interface FlatErrorBody {
  error_code: string;
  error_msg: string;
  request_id?: string;
  encoded_authorization_message?: string;
}
export interface NestedErrorBody {
  error: { code: string; message: string };
}

// ---- consumer side: VPC endpoints (the official Go SDK's `services/vpcep/v1` models) -----------

/**
 * `creating`, `pendingAcceptance`, `accepted`, `rejected`, `failed` or `deleting` (the SDK's
 * `CreateEndpointResponse.status`); open string because the cloud may add more.
 */
export type EndpointStatus =
  'creating' | 'pendingAcceptance' | 'accepted' | 'rejected' | 'failed' | 'deleting' | (string & {});

/**
 * One statement of a gateway endpoint's policy (`PolicyStatement`): capitalised keys, as on the wire.
 * Only for gateway services with `enable_policy` (OBS, SFS).
 */
export interface PolicyStatement {
  Effect: 'Allow' | 'Deny' | (string & {});
  Action: string[];
  Resource: string[];
  Condition?: unknown;
  Sid?: string;
}

/** Body of `POST /v1/{project_id}/vpc-endpoints` (`CreateEndpointRequestBody`). */
export interface CreateEndpointRequest {
  /** The service to connect to; a service of any project (or a Huawei-operated public one). */
  endpoint_service_id: string;
  vpc_id: string;
  /** Required for interface services: a subnet (network id) of `vpc_id`. */
  subnet_id?: string;
  /** The endpoint's IPv4 address in the subnet (interface services); default: allocated by the cloud. */
  port_ip?: string;
  /** Create a private domain name (interface services). API default `false`. */
  enable_dns?: boolean;
  /** Network ACL on the endpoint (interface services). API default `false`. */
  enable_whitelist?: boolean;
  /** IPv4 addresses or CIDRs allowed to reach the endpoint (interface services). */
  whitelist?: string[];
  /** Route table ids (gateway services); default: the VPC's default route table. */
  routetables?: string[];
  description?: string;
  tags?: Tag[];
  /** Gateway services with `enable_policy` (OBS, SFS) only. */
  policy_statement?: PolicyStatement[];
  /** Interface services with `enable_policy` only: an IAM-style policy document. */
  policy_document?: unknown;
  /** Professional edition only (`ipv4` | `dualstack`). */
  ip_version?: 'ipv4' | 'dualstack';
  ipv6_address?: string;
}

/**
 * A VPC endpoint as returned by create, get, list, the whitelist update and the policy calls (the
 * union of `CreateEndpointResponse`, `ListEndpointInfoDetailsResponse`, `EndpointResponseBody`,
 * `UpdateEndpointWhiteResponse` and `UpdateEndpointPolicyResponse`; each omits some fields).
 */
export interface VpcEndpoint {
  id: string;
  service_type?: ServiceType | (string & {});
  status?: EndpointStatus;
  /**
   * The endpoint's address (interface services). The SDK documents it as returned only once the
   * connection has been accepted (and after a later reject).
   */
  ip?: string;
  /** Account status: `active`, or a `*_frozen` word. */
  active_status?: string[];
  /** Full name of the service connected to. */
  endpoint_service_name?: string;
  /** The endpoint's packet id: the `marker_id` of its connection on the service side. */
  marker_id?: number;
  endpoint_service_id?: string;
  enable_dns?: boolean;
  /** Private domain names (interface services with `enable_dns`); treat as opaque strings. */
  dns_names?: string[];
  vpc_id?: string;
  subnet_id?: string;
  created_at?: string;
  updated_at?: string;
  project_id?: string;
  tags?: Tag[];
  /** Why a `failed` endpoint failed (the SDK's `QueryError`). */
  error?: CloudErrorItem[];
  whitelist?: string[];
  enable_whitelist?: boolean;
  routetables?: string[];
  description?: string;
  policy_statement?: PolicyStatement[];
  policy_document?: unknown;
  enable_status?: string;
  specification_name?: string;
  endpoint_pool_id?: string;
  public_border_group?: string;
  ipv6_address?: string;
}

/** `GET /v1/{project_id}/vpc-endpoints` query parameters (`ListEndpointsRequest`). */
export interface ListEndpointsQuery {
  /** Fuzzy, case-insensitive match on the service's full name. */
  endpoint_service_name?: string;
  vpc_id?: string;
  id?: string;
  sort_key?: 'create_at' | 'update_at';
  sort_dir?: 'asc' | 'desc';
  limit?: number;
  offset?: number;
}

/** `ListEndpointsResponse`. */
export interface ListEndpointsResponse {
  endpoints: VpcEndpoint[];
  total_count: number;
}

/** Body of `PUT /v1/{project_id}/vpc-endpoints/{id}` (`UpdateEndpointWhiteRequestBody`): nothing else is mutable. */
export interface UpdateEndpointWhitelistRequest {
  /** Replaces the whitelist; `[]` clears it. */
  whitelist?: string[];
  enable_whitelist?: boolean;
}

/** Body of `PUT …/vpc-endpoints/{id}/routetables` (`UpdateEndpointRoutetableRequestBody`): replaces the list. */
export interface UpdateEndpointRouteTablesRequest {
  routetables: string[];
}

/** One route table the cloud could not (un)bind (`RoutetableInfoErrorDetial`). */
export interface RouteTableErrorDetail {
  id?: string;
  error_message?: string;
}

/** `UpdateEndpointRoutetableResponse`: the route tables now bound and what failed. */
export interface UpdateEndpointRouteTablesResponse {
  routetables?: string[];
  error?: Array<{ bind_failed?: RouteTableErrorDetail[]; unbind_failed?: RouteTableErrorDetail[] }>;
}

/** Body of `PUT …/vpc-endpoints/{id}/policy` (`UpdateEndpointPolicyRequestBody`). */
export interface UpdateEndpointPolicyRequest {
  policy_statement?: PolicyStatement[];
  policy_document?: unknown;
}

/** Resource types of the tag APIs (`/{resource_type}/…`). */
export type TagResourceType = 'endpoint_service' | 'endpoint';

/** Path prefix of every project-scoped call. */
export const API_VERSION_PREFIX = '/v1';
