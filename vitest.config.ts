import { defineConfig } from 'vitest/config';

// Projects: `unit` (no I/O beyond loopback servers the test itself starts, virtual time),
// `integration` (a real kube-apiserver + etcd started by the global setup, plus the simulator), and the
// harnesses below them, which are never part of `make test`.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts', 'src/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // `make bench`: figures printed as tables (ratios against a baseline of the same run); never
        // fails on time. One file at a time, so benchmarks do not compete with each other for the CPU.
        test: {
          name: 'bench',
          include: ['test/bench/**/*.test.ts'],
          environment: 'node',
          testTimeout: 120_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          disableConsoleIntercept: true,
        },
      },
      {
        // `make chaos`: SIGKILLs and injected faults against the integration bed (real kube-apiserver +
        // etcd, simulator); minutes long, so never part of `make test`.
        test: {
          name: 'chaos',
          include: ['test/chaos/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 360_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // `make bench-scale`: N resources (VPCEP_SCALE_N, default 300) to Ready and back on the
        // integration bed; prints figures against computed lower bounds, fails only on wrong behaviour.
        test: {
          name: 'scale',
          include: ['test/scale/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/integration/global-setup.ts'],
          testTimeout: 900_000,
          hookTimeout: 180_000,
          fileParallelism: false,
          disableConsoleIntercept: true,
        },
      },
    ],
  },
});
