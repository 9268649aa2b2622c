/**
 * Validation of the consumer endpoint requests (`POST /vpc-endpoints`, the whitelist PUT, the route
 * table PUT, the policy PUT), shaped after the official Go SDK's request models
 * (`CreateEndpointRequestBody`, `UpdateEndpointWhiteRequestBody`, `UpdateEndpointRoutetableRequestBody`,
 * `UpdateEndpointPolicyRequestBody`). Each function returns a typed, defaulted value or throws the
 * {@link SimError} to answer. Shape errors are `EndPoint.0002` unless a code is known (a malformed
 * `vpc_id` is `EndPoint.0020`, as for services); rules that need the service or the network (subnet
 * required, gateway-only fields, addresses) are checked by the endpoint store.
 */
import type { PolicyStatement, Tag } from '../cloud/wire.js';
import { paramError, vpcepError } from './errors.js';
import { isIpv4OrCidr, parseIpv4 } from './network.js';
import { asObject, isUuid, validateDescription, validateTags } from './validation.js';

/** A create request after validation, with the API's defaults applied. */
export interface EndpointCreateInput {
  serviceId: string;
  vpcId: string;
  subnetId?: string;
  portIp?: string;
  /** Default false (the SDK's documented default; Terraform sends true explicitly). */
  enableDns: boolean;
  /** Default false. */
  enableWhitelist: boolean;
  /** Given at all (a gateway endpoint refuses the field even when empty). */
  whitelistGiven: boolean;
  whitelist: string[];
  routeTables?: string[];
  description?: string;
  tags: Tag[];
  policyStatement?: PolicyStatement[];
  policyDocument?: Record<string, unknown>;
}

function optBool(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw paramError(`${key} must be a boolean.`);
  return v;
}

function uuidField(v: unknown, field: string): string {
  if (typeof v !== 'string' || !isUuid(v)) throw paramError(`${field} must be a UUID.`);
  return v;
}

/** An endpoint whitelist: IPv4 addresses or CIDRs (`EndPoint.0002` otherwise), duplicates dropped. */
export function validateEndpointWhitelist(v: unknown): string[] {
  if (!Array.isArray(v)) throw paramError('whitelist must be an array.');
  const out: string[] = [];
  for (const e of v as unknown[]) {
    if (typeof e !== 'string' || !isIpv4OrCidr(e))
      throw paramError(`whitelist entry ${JSON.stringify(e)} is not an IPv4 address or CIDR.`);
    if (!out.includes(e)) out.push(e);
  }
  return out;
}

/** Route table ids: a list of UUIDs (`EndPoint.0002`), duplicates dropped. */
export function validateRouteTables(v: unknown): string[] {
  if (!Array.isArray(v)) throw paramError('routetables must be an array.');
  return [...new Set((v as unknown[]).map((r, i) => uuidField(r, `routetables[${i}]`)))];
}

/**
 * Policy statements: `{Effect: Allow|Deny, Action: string[], Resource: string[], Condition?, Sid?}`
 * (the SDK's `PolicyStatement`, capitalised keys), at most 10 (the simulator's pick).
 */
export function validatePolicyStatement(v: unknown): PolicyStatement[] {
  if (!Array.isArray(v)) throw paramError('policy_statement must be an array.');
  if (v.length > 10) throw paramError('policy_statement holds at most 10 statements.');
  return (v as unknown[]).map((item, i) => {
    const o = asObject(item);
    const strings = (x: unknown): x is string[] =>
      Array.isArray(x) && x.length > 0 && x.every((s) => typeof s === 'string' && s !== '');
    if (o.Effect !== 'Allow' && o.Effect !== 'Deny')
      throw paramError(`policy_statement[${i}].Effect must be Allow or Deny.`);
    if (!strings(o.Action) || !strings(o.Resource))
      throw paramError(`policy_statement[${i}] needs non-empty Action and Resource string lists.`);
    if (o.Sid !== undefined && typeof o.Sid !== 'string')
      throw paramError(`policy_statement[${i}].Sid must be a string.`);
    const out: PolicyStatement = { Effect: o.Effect, Action: [...o.Action], Resource: [...o.Resource] };
    if (o.Condition !== undefined) out.Condition = structuredClone(o.Condition);
    if (o.Sid !== undefined) out.Sid = o.Sid;
    return out;
  });
}

/** A policy document: a JSON object (the SDK types it `interface{}`; the cloud's grammar is not checked). */
export function validatePolicyDocument(v: unknown): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw paramError('policy_document must be a JSON object.');
  return structuredClone(v) as Record<string, unknown>;
}

/**
 * Validates a create body: required `endpoint_service_id` and `vpc_id` (`EndPoint.0002`; a malformed
 * `vpc_id` `EndPoint.0020`), UUID `subnet_id` and route tables, an IPv4 `port_ip`, booleans, whitelist
 * entries, tags (the service rules), description (no `<`/`>`), policies. `ip_version` `dualstack` and
 * `ipv6_address` (professional edition) are refused: not simulated.
 */
export function validateEndpointCreate(body: unknown): EndpointCreateInput {
  const o = asObject(body);
  for (const k of ['endpoint_service_id', 'vpc_id'])
    if (o[k] === undefined || o[k] === null) throw paramError(`${k} is required.`);
  const serviceId = uuidField(o.endpoint_service_id, 'endpoint_service_id');
  if (typeof o.vpc_id !== 'string') throw paramError('vpc_id must be a string.');
  if (!isUuid(o.vpc_id)) throw vpcepError('EndPoint.0020', 'vpc_id must be a UUID.');
  if (o.ip_version !== undefined && o.ip_version !== 'ipv4')
    throw paramError('ip_version must be ipv4 (dualstack needs a professional endpoint, not simulated).');
  if (o.ipv6_address !== undefined)
    throw paramError('ipv6_address needs a professional endpoint (not simulated).');
  const input: EndpointCreateInput = {
    serviceId,
    vpcId: o.vpc_id,
    enableDns: optBool(o, 'enable_dns') ?? false,
    enableWhitelist: optBool(o, 'enable_whitelist') ?? false,
    whitelistGiven: o.whitelist !== undefined,
    whitelist: o.whitelist === undefined ? [] : validateEndpointWhitelist(o.whitelist),
    tags: o.tags === undefined ? [] : (validateTags(o.tags) as Tag[]),
  };
  if (o.subnet_id !== undefined) input.subnetId = uuidField(o.subnet_id, 'subnet_id');
  if (o.port_ip !== undefined) {
    if (typeof o.port_ip !== 'string' || parseIpv4(o.port_ip) === undefined)
      throw paramError('port_ip must be an IPv4 address.');
    input.portIp = o.port_ip;
  }
  if (o.routetables !== undefined) input.routeTables = validateRouteTables(o.routetables);
  if (o.description !== undefined) input.description = validateDescription(o.description);
  if (o.policy_statement !== undefined) input.policyStatement = validatePolicyStatement(o.policy_statement);
  if (o.policy_document !== undefined) input.policyDocument = validatePolicyDocument(o.policy_document);
  return input;
}

/** The whitelist PUT after validation (absent = unchanged). */
export interface EndpointWhitelistInput {
  whitelist?: string[];
  enableWhitelist?: boolean;
}

/**
 * Validates `PUT /vpc-endpoints/{id}`: only `whitelist` and `enable_whitelist` exist in the SDK's
 * `UpdateEndpointWhiteRequestBody`; other fields (a `description`, say) are ignored, as unknown fields.
 */
export function validateEndpointWhitelistUpdate(body: unknown): EndpointWhitelistInput {
  const o = asObject(body);
  const out: EndpointWhitelistInput = {};
  if (o.whitelist !== undefined) out.whitelist = validateEndpointWhitelist(o.whitelist);
  const enable = optBool(o, 'enable_whitelist');
  if (enable !== undefined) out.enableWhitelist = enable;
  return out;
}

/** The policy PUT after validation: at least one of the two (`EndPoint.0002`). */
export interface EndpointPolicyInput {
  policyStatement?: PolicyStatement[];
  policyDocument?: Record<string, unknown>;
}

/** Validates `PUT /vpc-endpoints/{id}/policy`. */
export function validateEndpointPolicy(body: unknown): EndpointPolicyInput {
  const o = asObject(body);
  const out: EndpointPolicyInput = {};
  if (o.policy_statement !== undefined) out.policyStatement = validatePolicyStatement(o.policy_statement);
  if (o.policy_document !== undefined) out.policyDocument = validatePolicyDocument(o.policy_document);
  if (out.policyStatement === undefined && out.policyDocument === undefined)
    throw paramError('Give policy_statement or policy_document.');
  return out;
}
