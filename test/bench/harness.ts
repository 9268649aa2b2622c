/**
 * The benchmark harness: measuring helpers and a table printer.
 *
 * Benchmarks print figures; they never fail on time (DESIGN.md). The machines are shared and noisy,
 * so every real-time figure comes with a ratio against a baseline measured in the same run, with the
 * candidate and its baseline measured in alternating rounds (noise that hits one round hits both) and
 * the median of the rounds reported.
 */
import os from 'node:os';

/** One line describing the machine: cpus, model, node version, platform, load. */
export function machine(): string {
  const cpus = os.cpus();
  const model = cpus[0]?.model.replace(/\s+/g, ' ').trim() ?? 'unknown cpu';
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  return `${cpus.length} cpus (${model}), node ${process.version}, ${process.platform} ${process.arch}, load ${load}`;
}

/** A cell: text, or a number formatted by {@link num}. */
export type Cell = string | number;

/** Formats a number with about 3 significant digits and thousands separators. */
export function num(n: number, digits = 3): string {
  if (!Number.isFinite(n)) return String(n);
  if (n === 0) return '0';
  const abs = Math.abs(n);
  const decimals = abs >= 10 ** (digits - 1) ? 0 : Math.min(6, digits - 1 - Math.floor(Math.log10(abs)));
  return n.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: decimals });
}

/** `a / b` as `0.60x` (`n/a` when `b` is 0). */
export function ratio(a: number, b: number): string {
  if (b === 0) return 'n/a';
  return `${(a / b).toFixed(2)}x`;
}

/**
 * Prints one table (a title line with the machine, optional notes, aligned columns) in a single
 * `console.log`, so the test runner never interleaves it with other output.
 */
export function printTable(title: string, headers: string[], rows: Cell[][], notes: string[] = []): void {
  const text = rows.map((r) => r.map((c) => (typeof c === 'number' ? num(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...text.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const out = [
    '',
    `== ${title}`,
    `   machine: ${machine()}`,
    ...notes.map((n) => `   ${n}`),
    line(headers),
    line(widths.map((w) => '-'.repeat(w))),
    ...text.map(line),
    '',
  ];
  console.log(out.join('\n'));
}

/** The median of `xs` (NaN for none). */
export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? 0) + (s[mid] ?? 0)) / 2;
}

/** Milliseconds since an arbitrary origin, sub-millisecond resolution. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Calls `fn` in a loop for about `forMs` and returns calls per second (synchronous work). */
export function opsPerSecond(fn: () => void, forMs: number): number {
  let n = 0;
  const start = nowMs();
  let elapsed = 0;
  do {
    for (let i = 0; i < 100; i++) fn();
    n += 100;
    elapsed = nowMs() - start;
  } while (elapsed < forMs);
  return (n / elapsed) * 1000;
}

/**
 * Measures several variants in alternating rounds (`rounds` times: variant 1, 2, …, then again) and
 * returns each variant's samples and median. Each `measure` returns one figure (e.g. ops/s).
 */
export async function interleaved(
  rounds: number,
  variants: ReadonlyArray<{ name: string; measure: () => number | Promise<number> }>,
): Promise<Map<string, { samples: number[]; median: number }>> {
  const samples = new Map<string, number[]>(variants.map((v) => [v.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const v of variants) samples.get(v.name)?.push(await v.measure());
  }
  const out = new Map<string, { samples: number[]; median: number }>();
  for (const [name, xs] of samples) out.set(name, { samples: xs, median: median(xs) });
  return out;
}

/** The median of variant `name` in a result of {@link interleaved} (throws if absent: a harness bug). */
export function med(results: Map<string, { median: number }>, name: string): number {
  const r = results.get(name);
  if (!r) throw new Error(`no measurement named ${name}`);
  return r.median;
}

/** CPU time (user + system, ms) used by this process since `since` (a `process.cpuUsage()` value). */
export function cpuMsSince(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

/** Resolves on the next macrotask turn. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
