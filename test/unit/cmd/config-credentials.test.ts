/** Flags and environment of the credential providers and the Secret watch. */
import { describe, expect, it } from 'vitest';
import { parseCommand, USAGE } from '../../../src/cmd/config.js';

const run = (argv: string[], env: NodeJS.ProcessEnv = {}) => parseCommand(argv, env, '1.2.3');

describe('credential flags and environment', () => {
  it('watches Secrets by default, and --watch-secrets=false turns it off', () => {
    const on = run([]);
    expect(on.kind === 'run' && on.config).toMatchObject({ watchSecrets: true, credentialSecretNames: [] });
    const off = run(['--watch-secrets=false']);
    expect(off.kind === 'run' && off.config.watchSecrets).toBe(false);
    expect(run(['--watch-secrets=true']).kind).toBe('run');
  });

  it('refuses a --watch-secrets that is neither true nor false', () => {
    const p = run(['--watch-secrets=yes']);
    expect(p).toMatchObject({ kind: 'print', exitCode: 2 });
    expect(p.kind === 'print' && p.text).toContain('--watch-secrets must be true or false');
  });

  it('--credential-secret-names: a deduplicated list of Secret names, bad names refused', () => {
    const p = run(['--credential-secret-names=vpcep-credentials, team.creds,vpcep-credentials']);
    expect(p.kind === 'run' && p.config.credentialSecretNames).toEqual(['vpcep-credentials', 'team.creds']);
    const bad = run(['--credential-secret-names=Bad_Name']);
    expect(bad).toMatchObject({ kind: 'print', exitCode: 2 });
  });

  it('reads workload identity and the IAM endpoint override from the environment', () => {
    const p = run([], {
      HUAWEICLOUD_SDK_IDP_ID: 'cce-idp',
      HUAWEICLOUD_SDK_ID_TOKEN_FILE: '/var/run/secrets/tokens/vpcep',
      HUAWEICLOUD_SDK_PROJECT_ID: 'p1',
      HUAWEICLOUD_IAM_ENDPOINT: 'http://127.0.0.1:9998',
      VPCEP_ENDPOINT: 'http://127.0.0.1:9999',
    });
    expect(p.kind === 'run' && p.config).toMatchObject({
      defaults: {
        idpId: 'cce-idp',
        idTokenFile: '/var/run/secrets/tokens/vpcep',
        projectId: 'p1',
        iamEndpoint: 'http://127.0.0.1:9998',
      },
      endpointOverride: 'http://127.0.0.1:9999',
    });
    expect(p.kind === 'run' && p.config.defaults.endpoint).toBeUndefined();
  });

  it('the help names the new flags and variables', () => {
    for (const word of [
      '--watch-secrets',
      '--credential-secret-names',
      'HUAWEICLOUD_SDK_IDP_ID',
      'HUAWEICLOUD_SDK_ID_TOKEN_FILE',
      'HUAWEICLOUD_IAM_ENDPOINT',
    ])
      expect(USAGE).toContain(word);
  });
});
