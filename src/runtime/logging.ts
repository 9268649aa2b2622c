/**
 * Structured logs: pino JSON, one line per decision that matters.
 *
 * Guarantees: values under the {@link SECRET_KEYS} names are replaced by `[REDACTED]` at the top level
 * and up to three levels deep (`secretKey`, `a.secretKey`, `a.b.secretKey`, `a.b.c.secretKey`), in any
 * logger made here and all its children. Redaction works on fields only: never interpolate a secret
 * into the message string.
 */
import { pino, type DestinationStream, type Logger as PinoLogger } from 'pino';

/** The logger type the runtime and reconcilers use. */
export type Logger = PinoLogger;

/** Field names whose values never reach the log output. */
export const SECRET_KEYS = [
  'secretKey',
  'secret_key',
  'secretAccessKey',
  'sk',
  'SK',
  'ak',
  'AK',
  'accessKey',
  'access_key',
  'password',
  'token',
  'bearerToken',
  'securityToken',
  'security_token',
  'authorization',
  'Authorization',
  'x-security-token',
  'X-Security-Token',
  'x-auth-token',
  'X-Auth-Token',
  'cookie',
  'Cookie',
  'clientKey',
  'client-key-data',
  'keyData',
  'HUAWEICLOUD_SDK_AK',
  'HUAWEICLOUD_SDK_SK',
  'HUAWEICLOUD_SDK_SECURITY_TOKEN',
];

/** pino/fast-redact paths for {@link SECRET_KEYS} at depth 0..3. */
export function redactPaths(keys: readonly string[] = SECRET_KEYS): string[] {
  const paths: string[] = [];
  for (const k of keys) {
    const seg = /^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`;
    const join = (prefix: string): string => (seg.startsWith('[') ? `${prefix}${seg}` : `${prefix}.${seg}`);
    paths.push(seg, join('*'), join('*.*'), join('*.*.*'));
  }
  return paths;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** pino level: trace, debug, info (default), warn, error, fatal, silent. */
  level?: string;
  /** Where lines go (default stdout). Tests pass an in-memory stream. */
  destination?: DestinationStream;
  /** Extra field names to redact, on top of {@link SECRET_KEYS}. */
  redactKeys?: string[];
  /** Fields bound into every line (e.g. `{ name: 'vpcep-operator' }`). */
  base?: Record<string, unknown>;
}

/** A pino JSON logger with secret redaction configured (see the module doc). */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: opts.base ?? {},
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactPaths([...SECRET_KEYS, ...(opts.redactKeys ?? [])]), censor: '[REDACTED]' },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: true }),
  );
}

/** A logger that writes nothing, for tests and optional wiring. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
