/**
 * CPU accounting for the scale bench, from /proc: how busy the whole machine was during a phase, and
 * how much CPU the operator process used. On a 2-core machine that runs the apiserver, etcd, the
 * operator and the bench (with the simulator) together, a phase whose machine was ~100 % busy is bound
 * by the machine, not by the rate limit; the print says which. Linux only; elsewhere `undefined`.
 */
import { readFileSync } from 'node:fs';
import os from 'node:os';

/** Clock ticks per second of /proc's CPU times (USER_HZ): 100 on every Linux the bench runs on. */
const USER_HZ = 100;

/** A reading: the machine's busy and total CPU seconds, and the operator's CPU seconds. */
export interface CpuReading {
  busyS: number;
  totalS: number;
  procS: number;
}

function machineTimes(): { busyS: number; totalS: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const busy = user + nice + system + irq + softirq + steal;
    return { busyS: busy / USER_HZ, totalS: (busy + idle + iowait) / USER_HZ };
  } catch {
    return undefined;
  }
}

function procSeconds(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state is field 3, utime 14, stime 15.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(rest[11]) + Number(rest[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

/** Reads the machine's CPU times and the CPU seconds of `pid` (the operator). */
export function readCpu(pid: number | undefined): CpuReading | undefined {
  const m = machineTimes();
  const procS = procSeconds(pid);
  return m && procS !== undefined ? { ...m, procS } : undefined;
}

/**
 * One line on a phase between two readings of the same operator process: the machine's busy share of
 * all its cores, and the operator's CPU seconds (per resource, over `n`).
 */
export function describeCpu(from: CpuReading | undefined, to: CpuReading | undefined, n: number): string {
  if (!from || !to || to.totalS <= from.totalS) return 'CPU: not measured (no /proc)';
  const busy = (to.busyS - from.busyS) / (to.totalS - from.totalS);
  const op = to.procS - from.procS;
  const wall = (to.totalS - from.totalS) / os.cpus().length;
  return (
    `machine ${(100 * busy).toFixed(0)} % busy over ${os.cpus().length} cpus; ` +
    `operator ${op.toFixed(1)} cpu-s = ${((1000 * op) / n).toFixed(2)} ms per resource, ` +
    `${(100 * (op / wall)).toFixed(0)} % of one cpu`
  );
}
