/**
 * Helpers of the credential-provider tests: JWTs signed here with node:crypto (RS256), and a scripted
 * fake IAM on loopback that records what it receives (to check the wire format independently of the
 * simulator).
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';

/** An RSA key pair for RS256 (2048 bits), with its public JWKS. */
export interface SigningKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  kid: string;
  jwks: string;
  pem: string;
}

/** A fresh RS256 key pair. */
export function rsaKey(kid = 'test-key-1'): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...publicKey.export({ format: 'jwk' }), kid, alg: 'RS256', use: 'sig' };
  return {
    privateKey,
    publicKey,
    kid,
    jwks: JSON.stringify({ keys: [jwk] }),
    pem: publicKey.export({ format: 'pem', type: 'spki' }).toString(),
  };
}

/** A compact RS256 JWS of `claims`. */
export function signJwt(claims: Record<string, unknown>, key: SigningKey): string {
  const enc = (v: unknown): string => Buffer.from(JSON.stringify(v), 'utf8').toString('base64url');
  const head = enc({ alg: 'RS256', typ: 'JWT', kid: key.kid });
  const body = enc(claims);
  const sig = sign('sha256', Buffer.from(`${head}.${body}`), key.privateKey).toString('base64url');
  return `${head}.${body}.${sig}`;
}

/** What the fake IAM received. */
export interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** One scripted answer (or `hold`: keep the request open until `release()` is called). */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** A loopback fake IAM answering from a script (the last answer repeats). */
export interface FakeIam {
  url: string;
  received: Received[];
  /** Answers to give, in order; the last one repeats. */
  script: Answer[];
  /** While true, requests are held open until `release()`. */
  hold: boolean;
  release(): void;
  close(): Promise<void>;
}

/** A token answer as IAM gives it: 201, `X-Subject-Token`, `token.expires_at`/`issued_at`. */
export function tokenAnswer(token: string, issuedAt: number, lifeMs: number, projectId = 'proj'): Answer {
  const t = (ms: number): string => new Date(ms).toISOString().replace('Z', '000Z');
  return {
    status: 201,
    headers: { 'X-Subject-Token': token },
    body: {
      token: {
        expires_at: t(issuedAt + lifeMs),
        issued_at: t(issuedAt),
        methods: ['password'],
        project: { id: projectId, name: 'cn-north-4' },
      },
    },
  };
}

/** Starts a fake IAM. */
export async function fakeIam(script: Answer[] = []): Promise<FakeIam> {
  const held: Array<() => void> = [];
  let n = 0;
  const fake: FakeIam = {
    url: '',
    received: [],
    script,
    hold: false,
    release: () => {
      for (const h of held.splice(0)) h();
    },
    close: () =>
      new Promise<void>((resolve) => {
        fake.release();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      fake.received.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const answer = fake.script[Math.min(n++, fake.script.length - 1)] ?? { status: 500, body: {} };
      const reply = (): void => {
        res.writeHead(answer.status, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      };
      if (fake.hold) held.push(reply);
      else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return fake;
}

/**
 * Resolves once `cond()` holds (loopback I/O in flight must land first). The 10 s bound only turns a
 * hang into a failure; the outcome never depends on how fast the machine is.
 */
export async function until(cond: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition never held');
    await new Promise<void>((r) => setTimeout(r, 1));
  }
}
