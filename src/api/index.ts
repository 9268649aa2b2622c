/**
 * The `VpcEndpointService` API: constants, types and conditions helpers. Pure and I/O-free, and
 * independent of the cloud's wire format (the mapping lives with the adapter, in
 * src/controller/endpoint-service/); the CRD in `crds/` is the validation source of truth.
 */
export * from './constants.js';
export type * from './types.js';
export * from './conditions.js';
