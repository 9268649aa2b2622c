/**
 * Error codes and error bodies of the simulated VPCEP API and its API gateway.
 *
 * Every refusal the simulator sends is a {@link SimError}: an HTTP status, a code exactly as the cloud
 * spells it (note `Endpoint.1018` with a lower-case "p") and a message. Gateway errors (`APIGW.*`) carry
 * `request_id` in the body, as Huawei's API gateway does; VPCEP errors use the flat
 * `{"error_code","error_msg"}` body, or the nested `{"error":{"code","message"}}` one when the fault
 * settings ask for it.
 */

/** A refusal with the status, code and message the cloud would send. */
export class SimError extends Error {
  constructor(
    /** HTTP status. */
    readonly status: number,
    /** Code exactly as the cloud spells it. */
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SimError';
  }

  /** True for API-gateway errors (`APIGW.*`), whose bodies carry `request_id`. */
  get gateway(): boolean {
    return this.code.startsWith('APIGW.');
  }
}

/** Status and base message of every VPCEP code the simulator emits. */
const VPCEP_CODES = {
  'EndPoint.0001': [500, 'System error.'],
  'EndPoint.0002': [400, 'Parameter error.'],
  'EndPoint.0005': [404, 'The requested resource does not exist.'],
  'EndPoint.0006': [400, 'Invalid limit.'],
  'EndPoint.0007': [400, 'Invalid action.'],
  'EndPoint.0010': [400, 'Invalid offset.'],
  'EndPoint.0013': [504, 'Request timed out.'],
  'EndPoint.0014': [400, 'Invalid project ID.'],
  'EndPoint.0016': [400, 'Too many items in one batch.'],
  'EndPoint.0017': [400, 'Invalid sort_key.'],
  'EndPoint.0018': [400, 'Invalid sort_dir.'],
  'EndPoint.0019': [400, 'Invalid status.'],
  'EndPoint.0020': [400, 'Invalid VPC ID.'],
  'EndPoint.0022': [400, 'The request rate exceeds the limit.'],
  'Endpoint.1018': [400, 'The endpoint service quota is exceeded.'],
  'EndPoint.2001': [400, 'The VPC does not exist.'],
  'EndPoint.2004': [400, 'The endpoint service is unavailable.'],
  'EndPoint.2012': [400, 'The consumer account is not in the whitelist of the endpoint service.'],
  'EndPoint.2013': [400, 'The endpoint does not belong to this endpoint service.'],
  'EndPoint.2018': [400, 'The endpoint is being deleted.'],
  'EndPoint.2019': [400, 'The endpoint is being created.'],
  'EndPoint.2031': [400, 'Only one endpoint can be accepted or rejected per request.'],
  'EndPoint.3002': [400, 'Invalid whitelist entry.'],
  'EndPoint.3003': [400, 'Invalid port ID.'],
  'EndPoint.3006': [400, 'The endpoint service is in use and cannot be deleted.'],
  'EndPoint.3008': [400, 'The port does not exist.'],
  'EndPoint.3021': [400, 'Invalid server type.'],
  'EndPoint.3036': [400, 'The whitelist is empty.'],
  'EndPoint.3042': [400, 'The port does not belong to the VPC.'],
  'EndPoint.3043': [400, 'Invalid service port.'],
  'EndPoint.3044': [400, 'Port mapping conflict.'],
  'EndPoint.3045': [400, 'The endpoint service cannot be modified in its current state.'],
  'EndPoint.3046': [400, 'IP address conflict.'],
  'EndPoint.3049': [400, 'The whitelist has reached its limit.'],
  'EndPoint.3052': [400, 'port_id and ip cannot be modified together.'],
  'EndPoint.3053': [400, 'vip_port_id and ip cannot be modified together.'],
  'EndPoint.3054': [400, 'port_id cannot be modified to this port.'],
  'EndPoint.3056': [400, 'Too many endpoint services use this backend port.'],
  'EndPoint.3066': [400, 'The tag list is empty.'],
  'EndPoint.3067': [400, 'Duplicate tag key.'],
  'EndPoint.3068': [400, 'The tag contains invalid characters.'],
  'EndPoint.3069': [400, 'Too many tags.'],
  'EndPoint.3072': [400, 'Invalid tag key length.'],
  'EndPoint.3073': [400, 'Invalid tag value length.'],
  'EndPoint.3074': [400, 'Too many port mappings.'],
  'EndPoint.3075': [400, 'Invalid protocol.'],
  'EndPoint.3076': [400, 'Invalid endpoint service name.'],
  'EndPoint.4004': [404, 'The subnet does not exist.'],
} as const satisfies Record<string, readonly [number, string]>;

/** A VPCEP error code the simulator knows. */
export type VpcepCode = keyof typeof VPCEP_CODES;

/** Builds the VPCEP error for `code`; `detail` is appended to the cloud's base message. */
export function vpcepError(code: VpcepCode, detail?: string): SimError {
  const [status, message] = VPCEP_CODES[code];
  return new SimError(status, code, detail ? `${message} ${detail}` : message);
}

/** `Endpoint.1018` (the cloud's casing) for the endpoint quota of a project (`quota` endpoints). */
export function endpointQuotaError(quota: number): SimError {
  return new SimError(
    400,
    'Endpoint.1018',
    `The endpoint quota is exceeded: at most ${quota} endpoints per project.`,
  );
}

/** Shorthand for the ubiquitous `EndPoint.0002` parameter error. */
export function paramError(detail: string): SimError {
  return vpcepError('EndPoint.0002', detail);
}

/** 404 `EndPoint.0005`: unknown or deleted resource. */
export function notFound(): SimError {
  return vpcepError('EndPoint.0005');
}

/** 404 `APIGW.0101`: no such API (wrong URL or method), never to be read as "deleted". */
export function apiNotFound(): SimError {
  return new SimError(
    404,
    'APIGW.0101',
    'The API does not exist or has not been published in the environment.',
  );
}

/** 401 `APIGW.0301`: AK/SK or token authentication failed (`detail` says why, e.g. "signature expired"). */
export function authError(detail: string): SimError {
  return new SimError(401, 'APIGW.0301', `Incorrect IAM authentication information: ${detail}`);
}

/** 429 `APIGW.0308`: the gateway's per-API throttling. */
export function gatewayThrottled(): SimError {
  return new SimError(
    429,
    'APIGW.0308',
    'The throttling threshold has been reached: policy ip over ratelimit',
  );
}

/** How VPCEP (non-gateway) errors are rendered: the flat body (default) or the nested one. */
export type ErrorShape = 'flat' | 'nested';

/**
 * The JSON body of `err`. Gateway errors always use the flat shape plus `request_id`; VPCEP errors
 * use `shape`.
 */
export function errorBody(err: SimError, requestId: string, shape: ErrorShape): Record<string, unknown> {
  if (err.gateway) return { error_code: err.code, error_msg: err.message, request_id: requestId };
  if (shape === 'nested') return { error: { code: err.code, message: err.message } };
  return { error_code: err.code, error_msg: err.message };
}
