#!/usr/bin/env node
/**
 * Entry point of `vpcep-simulator` (package.json `bin`). See `src/simulator/cli.ts` for the flags and
 * `src/simulator/README.md` for usage.
 */
import { runSimulatorCli } from '../simulator/cli.js';

runSimulatorCli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`vpcep-simulator: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
