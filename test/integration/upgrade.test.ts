import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Watch } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it, inject, onTestFinished } from 'vitest';
import { parse } from 'yaml';
import {
  ANNOTATION_SCHEMA_REVISION,
  CRD_SCHEMA_REVISIONS,
  GROUP,
  KIND,
  PLURAL,
  VERSION,
} from '../../src/api/constants.js';

/** The schema revision of this tree's CRD (the one the operator needs). */
const OURS = CRD_SCHEMA_REVISIONS[KIND]!;
import type { VpcEndpointService } from '../../src/api/types.js';
import type { Simulator } from '../../src/simulator/index.js';
import { eventually, testKube, type TestKube } from './support/kube.js';
import {
  cond,
  createCR,
  getCR,
  isReady,
  patchCR,
  specFor,
  startOperator,
  startTestSimulator,
  uuid,
  waitForCR,
  type OperatorProcess,
} from './support/operator.js';
import { ok, run, tokenKubeconfig, type Run } from './support/tools.js';

// Issue 16, "upgrades that cannot silently lose a field". The previous release (0.1.0) is the commit
// below: its chart, CRD, kustomize base and operator are taken from git (`git archive`) and its
// operator is built into the test's temporary directory, so both phases run the real binaries.
//
// 1. The stale-CRD guard: this operator on 0.1.0's CRD is not ready, says why and how to fix it, and
//    makes no cloud call and no write; once the CRD is upgraded (with the command it printed) it turns
//    ready and reconciles, without a restart.
// 2. `helm upgrade` from 0.1.0 and 3. `kubectl apply -k` from 0.1.0's kustomize base, with live
//    resources made Ready by 0.1.0's operator: the CRD is upgraded, the new operator takes over (a
//    rolling update: it starts as a standby, the old one stops), 0 cloud creates, 0 deletes, every
//    resource stays Ready=True, at most one write per resource, and every field the new CRD adds can be
//    set and survives a read-back.
const PREVIOUS = { version: '0.1.0', commit: '41c34268c55cfb22de1f8cdf3968e6c52598045b' };

const root = path.resolve(import.meta.dirname, '../..');
const CRD = `${PLURAL}.${GROUP}`;
const CRD_FILE = 'crds/vpcep.huaweicloud.io_vpcendpointservices.yaml';
const RESOURCES = ['svc-a', 'svc-b', 'svc-c'];

/**
 * A valid value for each top-level spec field that has a property the previous release's CRD lacks.
 * The test fails naming any added field without one, so each CRD change that adds a field also proves
 * it survives the upgrade. `cloud` checks, when the field reaches the cloud, that it did.
 */
const ADDED_FIELD_SAMPLES: Record<
  string,
  { value: unknown; cloud?: (sim: Simulator, id: string) => boolean }
> = {
  // Written with the defaults the apiserver adds, so the read-back compares equal.
  permissions: {
    value: [{ domainId: 'a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1', orgPath: '' }],
    cloud: (sim, id) =>
      sim.controls
        .permissions(id)
        .some((p) => p.permission === 'iam:domain::a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1'),
  },
  // acceptInCluster: new in schema revision 3 (issue 13).
  connectionApproval: {
    value: { acceptDomains: ['*'], reconcileConnections: false, acceptInCluster: { namespaces: ['team-b'] } },
  },
  rejectConnectionsOnDelete: { value: true },
};

interface SchemaNode {
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
}
interface CrdFile {
  metadata: { annotations?: Record<string, string> };
  spec: { versions: { name: string; schema: { openAPIV3Schema: SchemaNode } }[] };
}

/** Every property path under `spec` of the served version (`spec.ports[].clientPort`, ...). */
function specPaths(crd: CrdFile): Set<string> {
  const out = new Set<string>();
  const walk = (n: SchemaNode | undefined, at: string): void => {
    if (!n) return;
    for (const [k, child] of Object.entries(n.properties ?? {})) {
      out.add(`${at}.${k}`);
      walk(child, `${at}.${k}`);
    }
    if (n.items) walk(n.items, `${at}[]`);
  };
  const v = crd.spec.versions.find((x) => x.name === VERSION);
  walk(v?.schema.openAPIV3Schema.properties?.spec, 'spec');
  return out;
}

/** JSON log records of an operator process. */
function records(op: OperatorProcess): Record<string, unknown>[] {
  return op.lines.flatMap((l) => {
    try {
      return [JSON.parse(l) as Record<string, unknown>];
    } catch {
      return [];
    }
  });
}

/** GET /readyz of an operator process (its health port is in its start-up log). */
async function readyz(op: OperatorProcess): Promise<{ status: number; body: string }> {
  const port = await eventually(
    async () =>
      records(op).find((r) => r.msg === 'probe endpoints listening')?.healthPort as number | undefined,
    'the operator to listen',
  );
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: await res.text() };
}

/** Names of the resources in `ns` that `op` has reconciled at least once (a controller `reconciled…` line). */
function reconciledBy(op: OperatorProcess, ns: string): Set<string> {
  return new Set(
    records(op)
      .filter((r) => typeof r.msg === 'string' && r.msg.startsWith('reconciled') && r.namespace === ns)
      .map((r) => String(r.name)),
  );
}

/**
 * Counts the writes to each resource of a namespace from a watch (every write is one MODIFIED event),
 * and remembers any state seen that was not Ready=True. Re-watches from the last resourceVersion when
 * the server closes the watch (a CRD update restarts its storage).
 */
class WriteCounter {
  readonly writes = new Map<string, number>();
  readonly notReady: string[] = [];
  readonly other: string[] = [];
  private ac: AbortController | undefined;
  private stopped = false;

  private constructor(
    private readonly k: TestKube,
    private readonly ns: string,
    private rv: string,
  ) {}

  static async start(k: TestKube, ns: string): Promise<WriteCounter> {
    const list = (await k.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: ns,
    })) as {
      metadata: { resourceVersion: string };
    };
    const w = new WriteCounter(k, ns, list.metadata.resourceVersion);
    await w.watch();
    return w;
  }

  private async watch(): Promise<void> {
    if (this.stopped) return;
    if (this.relist) await this.catchUp();
    this.ac = await new Watch(this.k.kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${this.ns}/${PLURAL}`,
      { resourceVersion: this.rv, allowWatchBookmarks: true },
      (phase: string, obj: VpcEndpointService) => {
        if (phase === 'ERROR' || !obj?.metadata?.name) {
          // A schema change restarts the CRD's storage; the old resourceVersion may then be gone (410):
          // list again and count what changed meanwhile, instead of re-watching from it forever.
          this.relist = true;
          return;
        }
        if (obj.metadata.resourceVersion) this.rv = obj.metadata.resourceVersion;
        if (phase === 'BOOKMARK') return;
        this.seen(phase, obj);
      },
      () => void this.watch().catch(() => undefined),
    );
  }

  private relist = false;
  private readonly lastRv = new Map<string, string>();

  private seen(phase: string, obj: VpcEndpointService): void {
    const name = obj.metadata.name ?? '';
    if (phase !== 'MODIFIED') this.other.push(`${phase} ${name}`);
    this.writes.set(name, (this.writes.get(name) ?? 0) + 1);
    this.lastRv.set(name, obj.metadata.resourceVersion ?? '');
    if (cond(obj, 'Ready')?.status !== 'True') this.notReady.push(`${name}@${obj.metadata.resourceVersion}`);
  }

  /** Counts every object whose resourceVersion moved since last seen as one write; resumes from the list. */
  private async catchUp(): Promise<void> {
    const list = (await this.k.custom.listNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      plural: PLURAL,
      namespace: this.ns,
    })) as { metadata: { resourceVersion: string }; items: VpcEndpointService[] };
    for (const obj of list.items)
      if (
        this.lastRv.has(obj.metadata.name ?? '') &&
        this.lastRv.get(obj.metadata.name ?? '') !== obj.metadata.resourceVersion
      )
        this.seen('MODIFIED', obj);
    this.rv = list.metadata.resourceVersion;
    this.relist = false;
  }

  stop(): void {
    this.stopped = true;
    this.ac?.abort();
  }
}

describe('upgrades from the previous release keep resources Ready and cloud services untouched', () => {
  let k: TestKube;
  let helmBin: string;
  let kubectlBin: string;
  let tmp: string;
  /** The previous release's tree, built. */
  let old: string;
  let oldOperator: string;

  const helm = (...args: string[]): Promise<Run> => run(helmBin, ['--kubeconfig', k.kubeconfig, ...args]);
  const kubectl = (...args: string[]): Promise<Run> =>
    run(kubectlBin, ['--kubeconfig', k.kubeconfig, ...args]);
  const readCrd = async (): Promise<CrdFile & { metadata: { labels?: Record<string, string> } }> =>
    JSON.parse(ok(await kubectl('get', 'crd', CRD, '-o', 'json'), 'get crd')) as CrdFile & {
      metadata: { labels?: Record<string, string> };
    };

  /**
   * Puts the cluster's CRD back to the state of `crdsDir` (the previous release's, or ours), owned by
   * no Helm release and by kubectl alone, as if it had been applied by hand from that release.
   */
  async function resetCrd(crdsDir: string): Promise<void> {
    ok(
      await kubectl(
        'annotate',
        'crd',
        CRD,
        `${ANNOTATION_SCHEMA_REVISION}-`,
        'meta.helm.sh/release-name-',
        'meta.helm.sh/release-namespace-',
        'helm.sh/resource-policy-',
        'argocd.argoproj.io/sync-wave-',
        'argocd.argoproj.io/sync-options-',
      ),
      'strip the CRD annotations',
    );
    ok(await kubectl('label', 'crd', CRD, 'app.kubernetes.io/managed-by-'), 'strip the CRD label');
    ok(await kubectl('apply', '--server-side', '--force-conflicts', '-f', crdsDir), 'apply the CRD');
    ok(
      await kubectl('wait', '--for=condition=Established', '--timeout=60s', `crd/${CRD}`),
      'CRD established',
    );
  }

  /** A kubeconfig holding only a token of `sa` in `ns` (the chart's or the base's ServiceAccount). */
  async function saKubeconfig(ns: string, sa: string): Promise<string> {
    const token = ok(await kubectl('create', 'token', sa, '-n', ns, '--duration=1h'), 'create token').trim();
    return tokenKubeconfig(k.kc, token, path.join(tmp, `${ns}-${sa}.kubeconfig`));
  }

  beforeAll(async () => {
    k = testKube();
    const bin = inject('toolsBin');
    helmBin = path.join(bin, 'helm');
    kubectlBin = path.join(bin, 'kubectl');
    tmp = mkdtempSync(path.join(tmpdir(), 'vpcep-upgrade-'));
    old = path.join(tmp, `vpcep-operator-${PREVIOUS.version}`);
    mkdirSync(old);
    // The previous release from git: `git archive` reads objects only (no checkout, no worktree).
    const tar = execFileSync('git', ['-C', root, 'archive', '--format=tar', PREVIOUS.commit], {
      maxBuffer: 256 << 20,
    });
    execFileSync('tar', ['-x', '-C', old], { input: tar });
    // Its dependencies are ours (package.json and the lock are unchanged since), so build it with them.
    symlinkSync(path.join(root, 'node_modules'), path.join(old, 'node_modules'), 'dir');
    execFileSync(
      process.execPath,
      [path.join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'],
      {
        cwd: old,
        stdio: 'inherit',
      },
    );
    oldOperator = path.join(old, 'dist/src/cmd/operator.js');
    expect(execFileSync(process.execPath, [oldOperator, '--version'], { encoding: 'utf8' })).toContain(
      PREVIOUS.version,
    );
  }, 300_000);

  afterAll(async () => {
    // Leave the CRD as the global setup made it, for the files that run after this one.
    await resetCrd(path.join(root, 'crds'));
    rmSync(tmp, { recursive: true, force: true });
  });

  it("the new operator on the previous release's CRD is not ready, says why and how to fix it, calls nothing; upgraded, it runs", async () => {
    await resetCrd(path.join(old, 'crds'));
    expect((await readCrd()).metadata.annotations?.[ANNOTATION_SCHEMA_REVISION]).toBeUndefined();
    const ns = await k.freshNamespace('stale-crd');
    const sim = await startTestSimulator({ createDelayMs: 300 });
    // As in a pod: the downward API names the operator's own object, which gets the Warning event.
    const pod = { POD_NAME: 'vpcep-operator-7d9c-x2x4q', POD_NAMESPACE: ns, POD_UID: uuid() };
    const op = startOperator({ kubeconfig: k.kubeconfig, simUrl: sim.url, namespaces: [ns], env: pod });
    onTestFinished(async () => {
      await op.kill();
      await sim.close();
    });
    await createCR(k.custom, ns, 'waiting', specFor({ portId: uuid(), vpcId: uuid() }));

    const refused = await eventually(async () => {
      const r = await readyz(op);
      return r.status === 503 && r.body.includes('CRD schema') ? r : undefined;
    }, '/readyz 503 naming the CRD');
    expect(refused.body).toContain(
      `CRD ${CRD} has no ${ANNOTATION_SCHEMA_REVISION} annotation, so revision 0`,
    );
    expect(refused.body).toContain(
      `Upgrade the CRD: kubectl apply --server-side --force-conflicts -f ${CRD_FILE}`,
    );
    const error = records(op).find((r) => r.level === 'error' && r.state === 'stale');
    expect(error, 'an error-level log line with the reason').toBeDefined();
    expect(error).toMatchObject({ kind: 'VpcEndpointService', crd: CRD, served: 0, need: OURS });
    expect(String(error?.msg)).toContain('is not reconciled');
    expect(error?.fix).toBe(`kubectl apply --server-side --force-conflicts -f ${CRD_FILE}`);
    console.log(`stale CRD: /readyz ${refused.status} ${refused.body.trim()}`);

    const warnings = await eventually(async () => {
      const list = JSON.parse(
        ok(await kubectl('get', 'events.events.k8s.io', '-n', ns, '-o', 'json'), 'events'),
      ) as {
        items: {
          type?: string;
          reason?: string;
          note?: string;
          regarding?: { kind?: string; name?: string; uid?: string };
        }[];
      };
      const mine = list.items.filter((e) => e.regarding?.kind === 'Pod' && e.regarding.name === pod.POD_NAME);
      return mine.length > 0 ? mine : undefined;
    }, "a Warning event on the operator's Pod");
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({
      type: 'Warning',
      reason: 'CRDSchemaStale',
      regarding: { uid: pod.POD_UID },
    });
    expect(warnings[0]?.note).toContain('Upgrade the CRD: kubectl apply');

    // Nothing happened on its behalf: no cloud call, no write to the resource.
    expect(sim.controls.counters()).toEqual({});
    const untouched = await getCR(k.custom, ns, 'waiting');
    expect(untouched?.status).toBeUndefined();
    expect(untouched?.metadata.finalizers ?? []).toEqual([]);
    expect(untouched?.metadata.generation).toBe(1);

    // The fix, exactly as printed (with the test's kubeconfig), and the same process turns ready.
    const [cmd, ...args] = String(error?.fix).split(' ');
    expect(cmd).toBe('kubectl');
    ok(await kubectl(...args), 'the printed fix');
    await eventually(
      async () => ((await readyz(op)).status === 200 ? true : undefined),
      '/readyz 200 after the fix',
    );
    await waitForCR(k.custom, ns, 'waiting', isReady, 'Ready once the CRD is current');
    expect(op.proc.exitCode).toBeNull();
    expect(records(op).filter((r) => r.msg === 'operator started')).toHaveLength(1);
    expect(sim.controls.counters().create).toBe(1);
    expect(await op.stop()).toBe(0);
  });

  /**
   * The shared upgrade scenario: `install` the previous release and CRD, make resources Ready with its
   * operator as the ServiceAccount `sa` of `saNs`, `upgrade` to this tree, start the new operator as a
   * standby, stop the old one, and check everything the issue asks for.
   */
  async function upgradeScenario(opts: {
    crs: string;
    saNs: string;
    sa: string;
    install(): Promise<void>;
    upgrade(): Promise<void>;
  }): Promise<void> {
    await resetCrd(path.join(old, 'crds'));
    await opts.install();
    const kubeconfig = await saKubeconfig(opts.saNs, opts.sa);
    const sim = await startTestSimulator({ createDelayMs: 300 });
    const leArgs = ['--leader-elect', `--leader-election-namespace=${opts.saNs}`];
    const running: OperatorProcess[] = [];
    onTestFinished(async () => {
      for (const op of running) await op.kill();
      await sim.close();
    });
    const start = (binary: string | undefined, extra: string[] = []): OperatorProcess => {
      const op = startOperator({
        kubeconfig,
        simUrl: sim.url,
        namespaces: [opts.crs],
        args: [...leArgs, ...extra],
        ...(binary ? { binary } : {}),
      });
      running.push(op);
      return op;
    };

    // The previous release at work: resources Ready, each with its cloud service.
    const oldOp = start(oldOperator);
    for (const name of RESOURCES)
      await createCR(k.custom, opts.crs, name, specFor({ portId: uuid(), vpcId: uuid() }));
    for (const name of RESOURCES)
      await waitForCR(k.custom, opts.crs, name, isReady, `${name} Ready under ${PREVIOUS.version}`);
    const before = { ...sim.controls.counters() };
    const ids = new Map<string, string>();
    for (const name of RESOURCES) ids.set(name, (await getCR(k.custom, opts.crs, name))!.status!.id!);

    // The upgrade, watched: every write to every resource is counted from here on.
    const counter = await WriteCounter.start(k, opts.crs);
    await opts.upgrade();
    const crd = await readCrd();
    expect(crd.metadata.annotations?.[ANNOTATION_SCHEMA_REVISION]).toBe(String(OURS));
    const ours = parse(readFileSync(path.join(root, CRD_FILE), 'utf8')) as CrdFile;
    const previous = parse(readFileSync(path.join(old, CRD_FILE), 'utf8')) as CrdFile;
    expect(crd.spec.versions.map((v) => v.schema)).toEqual(ours.spec.versions.map((v) => v.schema));

    // A rolling update: the new pod starts (a ready standby), then the old one goes and hands over.
    // It rechecks the resources it finds Ready spread over its resync period (not all at once): a short
    // period puts every resource's first pass inside the wait below.
    const newOp = start(undefined, ['--resync-period=10s']);
    await eventually(
      async () => ((await readyz(newOp)).status === 200 ? true : undefined),
      'the new operator ready',
    );
    expect(await oldOp.stop()).toBe(0);
    await eventually(
      async () => (RESOURCES.every((n) => reconciledBy(newOp, opts.crs).has(n)) ? true : undefined),
      'the new operator to reconcile every resource',
      60_000,
    );
    counter.stop();

    const after = sim.controls.counters();
    const writes = Object.fromEntries(RESOURCES.map((n) => [n, counter.writes.get(n) ?? 0]));
    console.log(
      `upgrade ${PREVIOUS.version} → working tree: cloud calls ${JSON.stringify(before)} → ${JSON.stringify(after)}; writes per resource ${JSON.stringify(writes)}`,
    );
    expect(after.create ?? 0).toBe(before.create ?? 0);
    expect(after.delete ?? 0).toBe(before.delete ?? 0);
    expect(counter.notReady, 'a resource was seen not Ready during the upgrade').toEqual([]);
    expect(counter.other).toEqual([]);
    for (const n of RESOURCES) expect(writes[n], `writes to ${n}`).toBeLessThanOrEqual(1);
    for (const n of RESOURCES) {
      const cr = await getCR(k.custom, opts.crs, n);
      expect(isReady(cr), `${n} Ready after the upgrade`).toBe(true);
      expect(cr?.status?.id).toBe(ids.get(n));
    }

    // Every field the new CRD adds can be set now, survives a read-back, and the resource stays Ready.
    const oldPaths = specPaths(previous);
    const added = [...specPaths(ours)].filter((p) => !oldPaths.has(p));
    const fields = [...new Set(added.map((p) => /^spec\.([^.[\]]+)/.exec(p)![1]!))];
    if (fields.length === 0)
      console.log(
        `the CRD of this tree adds no spec field to ${PREVIOUS.version}'s (the revision annotation only)`,
      );
    for (const field of fields) {
      const sample = ADDED_FIELD_SAMPLES[field];
      expect(
        sample,
        `spec.${field} is new in this CRD: add a sample value to ADDED_FIELD_SAMPLES`,
      ).toBeDefined();
      const name = RESOURCES[0]!;
      await patchCR(k.custom, opts.crs, name, { spec: { [field]: sample!.value } });
      const back = await waitForCR(
        k.custom,
        opts.crs,
        name,
        (c) => isReady(c) && (c?.metadata.generation ?? 0) > 1,
        `Ready with spec.${field}`,
      );
      expect((back?.spec as unknown as Record<string, unknown>)[field], `spec.${field} was pruned`).toEqual(
        sample!.value,
      );
      if (sample!.cloud) expect(sample!.cloud(sim, ids.get(name)!), `spec.${field} in the cloud`).toBe(true);
    }
    expect(sim.controls.counters().create ?? 0).toBe(before.create ?? 0);
    expect(await newOp.stop()).toBe(0);
  }

  it(`helm upgrade from ${PREVIOUS.version}: 0 creates, 0 deletes, Ready held, at most one write per resource`, async () => {
    const releaseNs = await k.freshNamespace('up-helm');
    const crs = await k.freshNamespace('up-helm-crs');
    const release = 'vpcep';
    const values = ['--set', `watchNamespaces={${crs}}`];
    let installed = false;
    onTestFinished(async () => {
      if (installed) await helm('uninstall', release, '--namespace', releaseNs);
    });
    await upgradeScenario({
      crs,
      saNs: releaseNs,
      sa: `${release}-vpcep-operator`,
      install: async () => {
        // 0.1.0's chart, as its users installed it (its crds/ are skipped: the CRD is there).
        ok(
          await helm(
            'install',
            release,
            path.join(old, 'deploy/helm/vpcep-operator'),
            '-n',
            releaseNs,
            ...values,
          ),
          'helm install 0.1.0',
        );
        installed = true;
      },
      upgrade: async () => {
        const chart = path.join(root, 'deploy/helm/vpcep-operator');
        // Without --take-ownership Helm refuses the CRD it did not create, and changes nothing.
        const refused = await helm('upgrade', release, chart, '-n', releaseNs, ...values);
        expect(refused.code).not.toBe(0);
        expect(refused.stderr).toContain('invalid ownership metadata');
        expect((await readCrd()).metadata.annotations?.[ANNOTATION_SCHEMA_REVISION]).toBeUndefined();
        ok(
          await helm('upgrade', release, chart, '-n', releaseNs, ...values, '--take-ownership'),
          'helm upgrade',
        );
        const crd = await readCrd();
        expect(crd.metadata.annotations?.['helm.sh/resource-policy']).toBe('keep');
        expect(crd.metadata.annotations?.['meta.helm.sh/release-name']).toBe(release);
      },
    });
    // helm uninstall keeps the CRD, and with it every resource.
    ok(await helm('uninstall', release, '--namespace', releaseNs), 'helm uninstall');
    installed = false;
    expect((await readCrd()).metadata.annotations?.[ANNOTATION_SCHEMA_REVISION]).toBe(String(OURS));
    for (const n of RESOURCES) expect(await getCR(k.custom, crs, n)).toBeDefined();
  });

  it(`kubectl apply -k from ${PREVIOUS.version}'s kustomize base: the same`, async () => {
    const crs = await k.freshNamespace('up-kust-crs');
    onTestFinished(async () => {
      // The base's objects, not its Namespace (other files use it) and never its CRD.
      await kubectl(
        'delete',
        '--ignore-not-found',
        '--wait=false',
        '-f',
        path.join(root, 'deploy/kustomize/vpcep-operator.yaml'),
      );
      await kubectl(
        'delete',
        '--ignore-not-found',
        '--wait=false',
        '-f',
        path.join(old, 'deploy/kustomize/vpcep-operator.yaml'),
      );
    });
    await upgradeScenario({
      crs,
      saNs: 'vpcep-system',
      sa: 'vpcep-operator',
      install: async () => {
        ok(
          await kubectl('apply', '--server-side', '-k', path.join(old, 'deploy/kustomize')),
          'apply -k 0.1.0',
        );
      },
      upgrade: async () => {
        ok(await kubectl('apply', '--server-side', '-k', path.join(root, 'deploy/kustomize')), 'apply -k');
      },
    });
  });
});
