/**
 * What a cloud error means for the resource: the condition reason a user reads, whether waiting can fix
 * it (retryable) or the spec, quota or credentials must change (terminal), and the message, which always
 * carries the cloud's code and request id so a support ticket can quote them.
 */
import { CloudError, isCode } from '../cloud/errors.js';
import { AUTH_RECHECK_MS, CREDENTIALS_RECHECK_MS, OWNED_RECHECK_MS, QUOTA_RECHECK_MS } from './timing.js';

/** Condition reasons the operator uses; CamelCase as metav1.Condition requires. */
export const Reason = {
  Available: 'Available',
  Creating: 'Creating',
  Updating: 'Updating',
  Deleting: 'Deleting',
  /** The credentials now act in another project than the one the service was created in. */
  ProjectChanged: 'ProjectChanged',
  /** A failed service is being deleted so that a new one can be created with the changed spec. */
  Replacing: 'Replacing',
  CreateFailed: 'CreateFailed',
  PortConflict: 'PortConflict',
  QuotaExceeded: 'QuotaExceeded',
  InvalidSpec: 'InvalidSpec',
  AuthFailed: 'AuthFailed',
  CredentialsMissing: 'CredentialsMissing',
  DeleteBlocked: 'DeleteBlocked',
  /** The cloud service carries another resource's ownership tag: never written, never deleted. */
  OwnedByAnother: 'OwnedByAnother',
  /** The cloud asked to wait (429 / throttling code with Retry-After): requeued for that long. */
  Throttled: 'Throttled',
  /** The endpoint answered a redirect: the region or VPCEP_ENDPOINT is wrong. */
  EndpointInvalid: 'EndpointInvalid',
  NotFound: 'NotFound',
  Paused: 'Paused',
  Observing: 'Observing',
  ReconcileSuccess: 'ReconcileSuccess',
  ReconcileError: 'ReconcileError',
  OutcomeUnknown: 'CreateOutcomeUnknown',
} as const;
export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** Reasons after which nothing happens until the spec (generation) changes or a slow recheck fires. */
export const TERMINAL_REASONS: ReadonlySet<string> = new Set([
  Reason.CreateFailed,
  Reason.PortConflict,
  Reason.QuotaExceeded,
  Reason.InvalidSpec,
  Reason.AuthFailed,
  Reason.CredentialsMissing,
  Reason.OwnedByAnother,
  Reason.EndpointInvalid,
  Reason.ProjectChanged,
]);

/**
 * Terminal reasons that something outside the spec can fix (quota raised, Secret or clock corrected),
 * and how long to wait before looking again; the other terminal reasons wait for a spec change.
 */
export const RECHECK_MS: Partial<Record<ReasonName, number>> = {
  [Reason.QuotaExceeded]: QUOTA_RECHECK_MS,
  [Reason.AuthFailed]: AUTH_RECHECK_MS,
  [Reason.CredentialsMissing]: CREDENTIALS_RECHECK_MS,
  [Reason.ProjectChanged]: CREDENTIALS_RECHECK_MS,
  [Reason.OwnedByAnother]: OWNED_RECHECK_MS,
  [Reason.EndpointInvalid]: AUTH_RECHECK_MS,
};

/** The verdict on one cloud error. */
export interface ErrorVerdict {
  reason: ReasonName;
  /** Terminal: stop until the generation changes (or `recheckMs` passes, when set). */
  terminal: boolean;
  /** For terminal states a change outside the spec can fix (quota, credentials): when to look again. */
  recheckMs?: number;
  message: string;
}

/** `EndPoint.3044: Port mapping conflict (request id abc)`: the form every condition message uses. */
export function describeCloudError(err: CloudError): string {
  const code = err.code ? `${err.code}: ` : '';
  const rid = err.requestId ? ` (request id ${err.requestId})` : '';
  return `${err.operation} failed: ${code}${err.message}${rid}`;
}

const PORT_CODES = ['EndPoint.3044', 'EndPoint.3074', 'EndPoint.3056', 'EndPoint.3042', 'EndPoint.3008'];

/**
 * Classifies a cloud error for the condition and the queue. `auth` errors name the credential source
 * (`source`), never the secret; terminal parameter errors become `InvalidSpec`; port-mapping and
 * backend conflicts `PortConflict`; `Endpoint.1018` `QuotaExceeded` (rechecked slowly).
 */
export function verdictFor(err: CloudError, source: string): ErrorVerdict {
  const message = describeCloudError(err);
  if (err.kind === 'auth')
    return {
      reason: Reason.AuthFailed,
      terminal: true,
      recheckMs: AUTH_RECHECK_MS,
      message: `${message}; check the credentials from ${source}`,
    };
  if (isCode(err, 'Client.Redirect'))
    return {
      reason: Reason.EndpointInvalid,
      terminal: true,
      recheckMs: AUTH_RECHECK_MS,
      message: `${message}; check the region and the endpoint override (VPCEP_ENDPOINT) used with ${source}`,
    };
  if (isCode(err, 'Endpoint.1018'))
    return { reason: Reason.QuotaExceeded, terminal: true, recheckMs: QUOTA_RECHECK_MS, message };
  if (PORT_CODES.some((c) => isCode(err, c))) return { reason: Reason.PortConflict, terminal: true, message };
  if (err.kind === 'terminal') return { reason: Reason.InvalidSpec, terminal: true, message };
  return { reason: Reason.ReconcileError, terminal: false, message };
}
