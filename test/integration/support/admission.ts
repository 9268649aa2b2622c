/**
 * Admission refusals, read the way a user reads them: the Status of a refused create or update, and
 * the check that it was refused for the expected field and reason only. Shared by the CRD tests.
 */
import { ApiException } from '@kubernetes/client-node';
import { expect } from 'vitest';
import type { InvalidSpecCase } from '../../fixtures/invalid-specs.js';

/** One cause of a 422, as the apiserver reports it. */
export interface StatusCause {
  field?: string;
  message?: string;
  reason?: string;
}
/** The Status body of a refusal, with the HTTP code. */
export interface ApiStatus {
  code: number;
  message?: string;
  details?: { causes?: StatusCause[] };
}

/** Awaits `p`, which must be refused by the apiserver; returns the refusal's Status. */
export async function refusal(p: Promise<unknown>): Promise<ApiStatus> {
  try {
    await p;
  } catch (e) {
    if (!(e instanceof ApiException)) throw e;
    const raw: unknown = e.body;
    let body: Partial<ApiStatus> = {};
    try {
      body = (typeof raw === 'string' ? JSON.parse(raw) : raw) as Partial<ApiStatus>;
    } catch {
      body = { message: String(raw) };
    }
    return { ...body, code: e.code };
  }
  throw new Error('the apiserver accepted it');
}

/** Asserts a 422 whose causes include `expect.path` + `expect.message`, and no cause outside that field. */
export function expectRefusedFor(status: ApiStatus, c: InvalidSpecCase): void {
  const dump = JSON.stringify(status);
  expect(status.code, dump).toBe(422);
  const causes = status.details?.causes ?? [];
  const { path, message } = c.expect;
  expect(
    causes.some((x) => x.field === path && (x.message ?? '').includes(message)),
    `expected a cause at ${path} containing ${JSON.stringify(message)}; got ${dump}`,
  ).toBe(true);
  const inside = (f: string | undefined): boolean =>
    f === path || (f ?? '').startsWith(`${path}.`) || (f ?? '').startsWith(`${path}[`);
  // With schema errors the apiserver skips CEL and says so in one extra cause on no field.
  const skippedCel = (x: StatusCause): boolean =>
    x.field === '<nil>' && (x.message ?? '').includes('some validation rules were not checked');
  expect(
    causes.filter((x) => !inside(x.field) && !skippedCel(x)),
    `causes outside ${path}: ${dump}`,
  ).toEqual([]);
}
