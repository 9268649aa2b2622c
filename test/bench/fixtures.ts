/** Credentials, ids and specs shared by the benchmarks that talk to the simulator. */
import { randomUUID } from 'node:crypto';
import type { VpcEndpointServiceSpec } from '../../src/api/types.js';

export const AK = 'BENCHMARKACCESSKEY01';
export const SK = 'benchmark-secret-key-0123456789abcdef';
export const PROJECT = '6b1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f';
export const VPC = '1e5f0a2b-7c3d-4e4f-9a6b-2c3d4e5f6a71';
export const NS = 'default';

/** A VM endpoint service spec with its own backend port (so any number of them can coexist). */
export function benchSpec(i: number, portId: string = randomUUID()): VpcEndpointServiceSpec {
  return {
    portId,
    vpcId: VPC,
    serverType: 'VM',
    serviceName: `bench-${i}`,
    approvalEnabled: false,
    ports: [{ clientPort: 8080, serverPort: 80, protocol: 'TCP' }],
  };
}
