/**
 * Cross-check of our SDK-HMAC-SHA256 signer (src/cloud/signer.ts) against the official Node SDK core
 * (`@huaweicloud/huaweicloud-sdk-core`, a devDependency only): the same requests, signed at the same
 * date by both, must carry the same `Authorization` header (access key, signed header list, signature).
 *
 * The SDK side goes through `BasicCredentials.processAuthRequest`, the path every SDK call takes: it adds
 * `X-Project-Id` and `X-Security-Token` itself, takes `host` from the endpoint and hands the request to
 * its `AKSKSigner`. By design the SDK core signs every header it is given plus `host`, and does not trim
 * values; our signer leaves out headers the HTTP stack owns (`user-agent`, `content-length`, …) and
 * trims. The requests below therefore carry only headers both sign (`host`, `content-type`,
 * `x-sdk-date`, `x-project-id`, `x-security-token`), with values that need no trimming.
 */
import { BasicCredentials } from '@huaweicloud/huaweicloud-sdk-core';
import type { HcClient } from '@huaweicloud/huaweicloud-sdk-core/HcClient.js';
import { HttpRequestBuilder } from '@huaweicloud/huaweicloud-sdk-core/http/IHttpRequestBuilder.js';
import { describe, expect, it } from 'vitest';
import { canonicalQueryString, signRequest, type QueryParams } from '../../../src/cloud/signer.js';

const HOST = '127.0.0.1:8443';
const DATE = '20191115T033655Z';
const AK = 'HPUAXXXXXXXXXXXXXXXX';
const SK = 'sk-0123456789abcdefghijklmnopqrstuvwxyz';
const PROJECT = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';
const TOKEN = 'gQpjbi1ub3J0aC00token+/=';

interface Case {
  name: string;
  method: string;
  /** Decoded path, with `{project_id}` where the SDK substitutes the credential's project. */
  path: string;
  query?: QueryParams;
  body?: unknown;
  /** Extra headers sent (and signed) by both. */
  headers?: Record<string, string>;
  projectId?: string;
  securityToken?: string;
}

/** The SDK core's Authorization for `c`, through its credential's request processing. */
async function sdkAuthorization(c: Case): Promise<string> {
  let creds = new BasicCredentials().withAk(AK).withSk(SK);
  if (c.projectId !== undefined) creds = creds.withProjectId(c.projectId);
  if (c.securityToken !== undefined) creds = creds.withSecurityToken(c.securityToken);
  const path = c.projectId === undefined ? c.path.replace('{project_id}', PROJECT) : c.path;
  const req = new HttpRequestBuilder()
    .withEndpoint(`http://${HOST}`)
    .withUrl(path)
    .withMethod(c.method)
    .withHeaders({ 'X-Sdk-Date': DATE, ...(c.headers ?? {}) })
    .withQueryParams(c.query ?? {})
    .withData(c.body)
    .build();
  // processAuthRequest uses the client only to refresh federated tokens, which basic AK/SK never does.
  const signed = await creds.processAuthRequest({} as HcClient, req);
  const headers = signed.headers as Record<string, unknown>;
  const authz = headers['Authorization'];
  if (typeof authz !== 'string') throw new Error('the SDK core set no Authorization header');
  return authz;
}

/** Our Authorization for `c`: the body is serialised once, as the client sends it. */
function ourAuthorization(c: Case): string {
  return signRequest({
    method: c.method,
    path: c.path.replace('{project_id}', c.projectId ?? PROJECT),
    ...(c.query ? { query: c.query } : {}),
    headers: { Host: HOST, 'X-Sdk-Date': DATE, ...(c.headers ?? {}) },
    ...(c.body !== undefined ? { body: JSON.stringify(c.body) } : {}),
    accessKey: AK,
    secretKey: SK,
    ...(c.projectId !== undefined ? { projectId: c.projectId } : {}),
    ...(c.securityToken !== undefined ? { securityToken: c.securityToken } : {}),
  }).authorization;
}

const JSON_CT = { 'content-type': 'application/json' };
const S = '/v1/{project_id}/vpc-endpoint-services';

const CASES: Case[] = [
  {
    name: 'GET with a query of special characters (vpcep-api.md §6.2 encoding check), project id',
    method: 'GET',
    path: S,
    query: {
      test: '一 (&=?!#%.*)',
      path: '/tmp/123',
      multi: ['3', '1', '2'],
      limit: 1,
      enable: true,
    },
    projectId: PROJECT,
  },
  {
    name: 'GET list with a fuzzy name of reserved and non-ASCII characters, content type, project id',
    method: 'GET',
    path: S,
    query: {
      endpoint_service_name: "a b+c/d~e_f.g-h*i'j(k)l!é€😀",
      limit: 10,
      offset: 0,
      sort_key: 'create_at',
    },
    headers: JSON_CT,
    projectId: PROJECT,
  },
  {
    name: 'GET with a repeated key whose raw and encoded orders differ',
    method: 'GET',
    path: `${S}/4189d3c2-8882-4871-a3c2-d380272eed83/connections`,
    query: { status: ['a/b', 'a.b', 'a b', 'a~b', 'A'] },
    projectId: PROJECT,
  },
  {
    name: 'GET without a project id header (project in the path only), no query',
    method: 'GET',
    path: `${S}/4189d3c2-8882-4871-a3c2-d380272eed83`,
  },
  {
    name: 'POST create with a JSON body (non-ASCII description), project id',
    method: 'POST',
    path: S,
    body: {
      port_id: '4189d3c2-8882-4871-a3c2-d380272eed88',
      vpc_id: '4189d3c2-8882-4871-a3c2-d380272eed80',
      server_type: 'LB',
      ports: [{ client_port: 8080, server_port: 90, protocol: 'TCP' }],
      description: 'übersetzt: 服务 "quoted" \\ back',
      tags: [{ key: 'env', value: 'prod' }],
    },
    headers: JSON_CT,
    projectId: PROJECT,
  },
  {
    name: 'POST whitelist action with a JSON body, project id and security token',
    method: 'POST',
    path: `${S}/4189d3c2-8882-4871-a3c2-d380272eed83/permissions/action`,
    body: {
      permissions: ['iam:domain::6e9dfd51d1124e8d8498dce894923a0d'],
      action: 'add',
      permission_type: 'domainId',
    },
    headers: JSON_CT,
    projectId: PROJECT,
    securityToken: TOKEN,
  },
  {
    name: 'GET with a security token and a query, no project id header',
    method: 'GET',
    path: '/v1/{project_id}/quotas',
    query: { type: 'endpoint_service' },
    securityToken: TOKEN,
  },
  {
    name: 'DELETE without body, project id and security token',
    method: 'DELETE',
    path: `${S}/4189d3c2-8882-4871-a3c2-d380272eed83`,
    headers: JSON_CT,
    projectId: PROJECT,
    securityToken: TOKEN,
  },
];

describe('our signer and the official Node SDK core sign identically', () => {
  it.each(CASES)('$name', async (c) => {
    const sdk = await sdkAuthorization(c);
    const ours = ourAuthorization(c);
    expect(ours).toBe(sdk);
    // the header set both sign, spelled out: a change on either side shows here first
    const want = ['host', 'x-sdk-date'];
    if (c.headers) want.push(...Object.keys(c.headers).map((h) => h.toLowerCase()));
    if (c.projectId !== undefined) want.push('x-project-id');
    if (c.securityToken !== undefined) want.push('x-security-token');
    expect(ours).toContain(`SignedHeaders=${want.sort().join(';')},`);
  });

  it('a changed body or query changes the signature, on both sides alike', async () => {
    const base = CASES[4] as Case;
    const variants: Case[] = [
      { ...base, body: { ...(base.body as Record<string, unknown>), description: 'other' } },
      { ...base, query: { x: '1' } },
    ];
    const sigs = new Set([ourAuthorization(base)]);
    for (const v of variants) {
      const ours = ourAuthorization(v);
      expect(ours).toBe(await sdkAuthorization(v));
      sigs.add(ours);
    }
    expect(sigs.size).toBe(variants.length + 1);
  });

  it('the query we send is the one we sign, in the SDKs’ order for repeated keys', () => {
    expect(canonicalQueryString({ status: ['a/b', 'a.b', 'a b', 'a~b', 'A'] })).toBe(
      'status=A&status=a%20b&status=a.b&status=a%2Fb&status=a~b',
    );
  });
});
