/** The `VpcEndpointService` kind, described once for the generic machinery (src/managed). */
import {
  ANNOTATION_MANAGEMENT_POLICY,
  ANNOTATION_PAUSED,
  ANNOTATION_RESYNC_PERIOD,
  ANNOTATION_SERVICE_ID,
  FINALIZER,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from '../../api/constants.js';
import type { KindDescriptor } from '../../managed/kind.js';

/** Operator annotation: when the last create was sent (ISO time); guards against a lagging tag index. */
export const ANNOTATION_CREATE_REQUESTED_AT = `${GROUP}/create-requested-at`;

/** The endpoint-service kind. */
export const endpointServiceKind: KindDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: KIND,
  plural: PLURAL,
  finalizer: FINALIZER,
  annotations: {
    paused: ANNOTATION_PAUSED,
    externalId: ANNOTATION_SERVICE_ID,
    managementPolicy: ANNOTATION_MANAGEMENT_POLICY,
    resyncPeriod: ANNOTATION_RESYNC_PERIOD,
    createRequestedAt: ANNOTATION_CREATE_REQUESTED_AT,
  },
  noun: 'cloud endpoint service',
};
