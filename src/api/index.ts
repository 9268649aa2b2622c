/**
 * The `VpcEndpointService` API: constants, types, conditions helpers and the pure spec/cloud mapping.
 * Pure and I/O-free; the CRD in `crds/` is the validation source of truth.
 */
export * from './constants.js';
export type * from './types.js';
export * from './conditions.js';
export * from './mapping.js';
