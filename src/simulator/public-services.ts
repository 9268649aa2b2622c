/**
 * Huawei-operated ("public") endpoint services: listed by `GET …/vpc-endpoint-services/public` and
 * connectable by every account without approval. The simulator always has one interface DNS service;
 * tests add more (a gateway OBS-like service with endpoint policies, say) with the `publicServices`
 * option. They live outside any project and have no connection list of their own.
 */

/** A Huawei-operated service. */
export interface PublicService {
  /** UUID. */
  id: string;
  /** Short name: the full name is `{region}.{name}.{id}`. */
  name: string;
  /** `interface` (default) or `gateway` (route tables, no IP, no DNS name). */
  serviceType?: 'interface' | 'gateway';
  /** Endpoints to it accept `policy_statement` (gateway) or `policy_document` (interface). Default false. */
  enablePolicy?: boolean;
  /** Epoch ms of `created_at` (default 2020-01-01). */
  createdMs?: number;
}

/** The built-in one: an interface DNS service. */
export const BUILTIN_PUBLIC_SERVICES: readonly PublicService[] = [
  { id: '1e2a4b8c-0d1f-4c3e-9a5b-6d7e8f901234', name: 'dns', createdMs: Date.UTC(2020, 0, 1) },
];

/** Checks the `publicServices` option (throws a plain Error on a malformed entry or a repeated id). */
export function checkPublicServices(list: readonly PublicService[]): void {
  const ids = new Set<string>();
  for (const p of list) {
    if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(p.id))
      throw new Error(`publicServices: id ${JSON.stringify(p.id)} is not a UUID`);
    if (!/^[A-Za-z0-9_-]{1,16}$/.test(p.name))
      throw new Error(`publicServices: name ${JSON.stringify(p.name)} must be 1-16 of A-Z a-z 0-9 _ -`);
    if (p.serviceType !== undefined && p.serviceType !== 'interface' && p.serviceType !== 'gateway')
      throw new Error(`publicServices: serviceType must be interface or gateway`);
    if (ids.has(p.id)) throw new Error(`publicServices: id ${p.id} is repeated`);
    ids.add(p.id);
  }
}
