/** Durations as people write them (Go-style `90s`, `10m`, `1h30m`, `1500ms`): flags and annotations. */

const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a Go-style duration such as `90s`, `10m`, `1h30m`, `1500ms`. Returns undefined for anything
 * else (including zero or negative durations), so a bad annotation falls back to the default.
 */
export function parseDuration(text: string | undefined): number | undefined {
  if (!text) return undefined;
  const s = text.trim();
  if (!/^(\d+(\.\d+)?(ms|s|m|h))+$/.test(s)) return undefined;
  let total = 0;
  for (const m of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) total += Number(m[1]) * (UNITS[m[2] ?? ''] ?? 0);
  return total > 0 ? Math.round(total) : undefined;
}
