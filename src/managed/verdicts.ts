/**
 * The lifecycle's vocabulary, in tables: condition reasons, event reasons, which reasons are terminal
 * and when they are looked at again, and what a cloud error means for a resource (the reason a user
 * reads; whether waiting can fix it or the spec, quota or credentials must change; the message, which
 * always carries the cloud's code and request id so a support ticket can quote them). Decided from
 * the error's kind and code, never from message text. Kind-specific codes come from the adapter.
 */
import { CloudError, isCode } from '../cloud/errors.js';
import { AUTH_RECHECK_MS, CREDENTIALS_RECHECK_MS, OWNED_RECHECK_MS, QUOTA_RECHECK_MS } from './timing.js';

/** Condition reasons; CamelCase as metav1.Condition requires. */
export const Reason = {
  Available: 'Available',
  Creating: 'Creating',
  Updating: 'Updating',
  Deleting: 'Deleting',
  /** The credentials now act in another project than the one the cloud resource was created in. */
  ProjectChanged: 'ProjectChanged',
  /** A failed cloud resource is being deleted so that a new one can be created with the changed spec. */
  Replacing: 'Replacing',
  CreateFailed: 'CreateFailed',
  PortConflict: 'PortConflict',
  QuotaExceeded: 'QuotaExceeded',
  /** The cloud refused a whitelist entry because its cap is reached (`EndPoint.3049`). */
  WhitelistLimit: 'WhitelistLimit',
  InvalidSpec: 'InvalidSpec',
  AuthFailed: 'AuthFailed',
  CredentialsMissing: 'CredentialsMissing',
  DeleteBlocked: 'DeleteBlocked',
  /** The cloud resource carries another resource's ownership tag: never written, never deleted. */
  OwnedByAnother: 'OwnedByAnother',
  /** The cloud asked to wait (429 / throttling code with Retry-After): requeued for that long. */
  Throttled: 'Throttled',
  /** The endpoint answered a redirect: the region or the endpoint override is wrong. */
  EndpointInvalid: 'EndpointInvalid',
  NotFound: 'NotFound',
  /** A `VpcEndpoint`'s `serviceRef` names a resource that has no cloud id yet. */
  ServiceNotReady: 'ServiceNotReady',
  /** The endpoint service to connect to does not exist (or is not visible to these credentials). */
  ServiceNotFound: 'ServiceNotFound',
  /** The service's whitelist does not let this account connect (`EndPoint.2012`). */
  NotWhitelisted: 'NotWhitelisted',
  /** The connection waits for the service owner's approval. */
  PendingAcceptance: 'PendingAcceptance',
  /** The service owner rejected the connection. */
  Rejected: 'Rejected',
  /** The Service to publish exists and another owner's: never overwritten. */
  PublishConflict: 'PublishConflict',
  /** The apiserver refused the published Service or EndpointSlice (the message says why). */
  PublishFailed: 'PublishFailed',
  /** The endpoint has no DNS name or IP to publish yet. */
  PublishPending: 'PublishPending',
  /** The spec asks to publish a Service but the operator runs with publishing off (or may not). */
  PublishDisabled: 'PublishDisabled',
  Paused: 'Paused',
  Observing: 'Observing',
  ReconcileSuccess: 'ReconcileSuccess',
  ReconcileError: 'ReconcileError',
  OutcomeUnknown: 'CreateOutcomeUnknown',
} as const;
export type ReasonName = (typeof Reason)[keyof typeof Reason];

/** Event reasons, in one table like the condition reasons. */
export const EventReason = {
  Created: 'Created',
  Recreated: 'Recreated',
  Adopted: 'Adopted',
  Updated: 'Updated',
  DriftCorrected: 'DriftCorrected',
  Deleted: 'Deleted',
  Released: 'Released',
  Retained: 'Retained',
  Abandoned: 'Abandoned',
  DeleteBlocked: 'DeleteBlocked',
  ServiceVanished: 'ServiceVanished',
  DuplicateServices: 'DuplicateServices',
  CreateFailed: 'CreateFailed',
  UpdateFailed: 'UpdateFailed',
  OwnedByAnother: 'OwnedByAnother',
  ProjectChanged: 'ProjectChanged',
  ConnectionAccepted: 'ConnectionAccepted',
  ConnectionRejected: 'ConnectionRejected',
  ConnectionPending: 'ConnectionPending',
} as const;
export type EventReasonName = (typeof EventReason)[keyof typeof EventReason];

/** Reasons after which nothing happens until the spec (generation) changes or a slow recheck fires. */
export const TERMINAL_REASONS: ReadonlySet<string> = new Set([
  Reason.CreateFailed,
  Reason.PortConflict,
  Reason.QuotaExceeded,
  Reason.WhitelistLimit,
  Reason.InvalidSpec,
  Reason.AuthFailed,
  Reason.CredentialsMissing,
  Reason.OwnedByAnother,
  Reason.EndpointInvalid,
  Reason.ProjectChanged,
]);

/**
 * Terminal reasons that something outside the spec can fix (quota raised, Secret, clock or owner
 * corrected), and how long to wait before looking again; the other terminal reasons wait for a spec
 * (or adoption-annotation) change.
 */
export const RECHECK_MS: Partial<Record<ReasonName, number>> = {
  [Reason.QuotaExceeded]: QUOTA_RECHECK_MS,
  [Reason.AuthFailed]: AUTH_RECHECK_MS,
  [Reason.CredentialsMissing]: CREDENTIALS_RECHECK_MS,
  [Reason.ProjectChanged]: CREDENTIALS_RECHECK_MS,
  [Reason.OwnedByAnother]: OWNED_RECHECK_MS,
  [Reason.EndpointInvalid]: AUTH_RECHECK_MS,
};

/**
 * Terminal reasons a change of the credentials can cure (another Secret content, a fixed key, a
 * region or project the Secret names): a pass whose credentials changed is let through their gate at
 * once instead of waiting for the slow recheck.
 */
export const CREDENTIALS_REASONS: ReadonlySet<string> = new Set([
  Reason.AuthFailed,
  Reason.CredentialsMissing,
  Reason.ProjectChanged,
  Reason.EndpointInvalid,
]);

/** The verdict on one cloud error. */
export interface ErrorVerdict {
  reason: ReasonName;
  /** Terminal: stop until the generation changes (or `recheckMs` passes, when set). */
  terminal: boolean;
  /**
   * For terminal states a change outside the spec can fix (quota, credentials): when to look again.
   * For a non-terminal verdict: a wait on something outside this object (no error backoff, no gate).
   */
  recheckMs?: number;
  message: string;
}

/** `create failed: EndPoint.3044: Port mapping conflict (request id abc)`: the form every message uses. */
export function describeCloudError(err: CloudError): string {
  const code = err.code ? `${err.code}: ` : '';
  const rid = err.requestId ? ` (request id ${err.requestId})` : '';
  return `${err.operation} failed: ${code}${err.message}${rid}`;
}

/**
 * The generic verdict: `auth` errors are `AuthFailed` naming the credential source (`source`), never
 * the secret; a redirect is `EndpointInvalid`; other terminal errors are `InvalidSpec`; anything else
 * is a retried `ReconcileError`. `kindSpecific` (the adapter's) is asked first.
 */
export function verdictFor(
  err: CloudError,
  source: string,
  kindSpecific?: (err: CloudError, source: string) => ErrorVerdict | undefined,
): ErrorVerdict {
  const specific = kindSpecific?.(err, source);
  if (specific) return specific;
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
      message: `${message}; check the region and the endpoint override used with ${source}`,
    };
  if (err.kind === 'terminal') return { reason: Reason.InvalidSpec, terminal: true, message };
  return { reason: Reason.ReconcileError, terminal: false, message };
}
