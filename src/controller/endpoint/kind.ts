/** The `VpcEndpoint` kind, described once for the generic machinery (src/managed). */
import {
  ANNOTATION_ENDPOINT_ID,
  ANNOTATION_MANAGEMENT_POLICY,
  ANNOTATION_PAUSED,
  ANNOTATION_RESYNC_PERIOD,
  ENDPOINT_KIND,
  ENDPOINT_PLURAL,
  FINALIZER,
  GROUP,
  VERSION,
} from '../../api/constants.js';
import type { KindDescriptor } from '../../managed/kind.js';
import { ANNOTATION_CREATE_REQUESTED_AT } from '../endpoint-service/kind.js';

/** The endpoint kind: the same finalizer and operator annotations as services, its own adoption key. */
export const endpointKind: KindDescriptor = {
  group: GROUP,
  version: VERSION,
  kind: ENDPOINT_KIND,
  plural: ENDPOINT_PLURAL,
  finalizer: FINALIZER,
  annotations: {
    paused: ANNOTATION_PAUSED,
    externalId: ANNOTATION_ENDPOINT_ID,
    managementPolicy: ANNOTATION_MANAGEMENT_POLICY,
    resyncPeriod: ANNOTATION_RESYNC_PERIOD,
    createRequestedAt: ANNOTATION_CREATE_REQUESTED_AT,
  },
  noun: 'cloud VPC endpoint',
};
