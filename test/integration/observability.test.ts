/**
 * "See it": the chart's opt-in Grafana dashboard and PrometheusRule name only metrics the operator
 * really exports. The chart is rendered with both enabled, every panel query, dashboard variable and
 * alert expression is parsed for metric names, and the running operator (one resource driven to
 * Ready) is scraped: each name must be exported (histograms as `_bucket`, `_sum`, `_count`). The
 * resource gauges are checked for counting what the cluster holds.
 */
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { createCR, isReady, specFor, uuid, useOperatorFixture, waitForCR } from './support/operator.js';
import { ok, run } from './support/tools.js';

const root = path.resolve(import.meta.dirname, '../..');
const chart = path.join(root, 'deploy/helm/vpcep-operator');

interface Doc {
  kind?: string;
  metadata?: { name?: string; labels?: Record<string, string> };
  data?: Record<string, string>;
  spec?: { groups?: Array<{ rules?: Array<{ alert?: string; expr?: string }> }> };
}

interface Dashboard {
  panels?: Array<{ title?: string; targets?: Array<{ expr?: string }> }>;
  templating?: { list?: Array<{ name?: string; query?: string | { query?: string } }> };
}

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'inf',
  'nan',
]);

/**
 * Metric names in a PromQL expression: identifiers that are not functions (followed by `(`), not
 * keywords, not label names (inside `{…}` or a `by (…)` / `without (…)` / `on (…)` list), not
 * inside strings, durations or numbers. Grafana's `label_values(metric, label)` names `metric`.
 */
function metricNames(expr: string): string[] {
  let s = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""');
  s = s.replace(/\{[^}]*\}/g, ' ');
  s = s.replace(/label_values\(\s*([^,]+?),\s*[A-Za-z_]\w*\s*\)/g, '$1');
  s = s.replace(/\[[^\]]*\]/g, ' ');
  s = s.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = m[0];
    const after = s.slice((m.index ?? 0) + word.length).trimStart();
    if (after.startsWith('(')) continue; // a function
    if (KEYWORDS.has(word.toLowerCase())) continue;
    const before = s.slice(0, m.index ?? 0);
    if (/[0-9.]$/.test(before) || /\$$/.test(before)) continue; // 1e-9's "e", $__rate_interval
    names.add(word);
  }
  return [...names];
}

/** Metric names a Prometheus text exposition offers, with a histogram's and a summary's series names. */
function exported(text: string): Set<string> {
  const names = new Set<string>();
  for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name = '', type] = m;
    names.add(name);
    if (type === 'histogram') for (const x of ['_bucket', '_sum', '_count']) names.add(name + x);
    if (type === 'summary') for (const x of ['_sum', '_count']) names.add(name + x);
  }
  return names;
}

describe('observability: the chart dashboard and alerts name exported metrics', () => {
  const f = useOperatorFixture('observe', { sim: { createDelayMs: 300 } });

  it('metricNames understands the expressions the chart uses', () => {
    expect(
      metricNames(
        'histogram_quantile(0.99, sum by (le, name) (rate(workqueue_queue_duration_seconds_bucket{job="x",code!="ok"}[$__rate_interval]))) > 1e-9',
      ),
    ).toEqual(['workqueue_queue_duration_seconds_bucket']);
    expect(
      metricNames('label_values(controller_runtime_reconcile_total{controller="v"}, namespace)'),
    ).toEqual(['controller_runtime_reconcile_total']);
    expect(metricNames('sum(a_total) / clamp_min(sum(b_total), 1e-9) != 1')).toEqual(['a_total', 'b_total']);
  });

  it(
    'every dashboard query and alert expression names a metric the running operator exports',
    { timeout: 120_000 },
    async () => {
      const helm = path.join(inject('toolsBin'), 'helm');
      const render = async (...set: string[]): Promise<Doc[]> =>
        parseAllDocuments(
          ok(
            await run(helm, ['template', 'obs', chart, '--kube-version', '1.30.0', ...set]),
            'helm template',
          ),
        )
          .map((d) => d.toJS() as Doc | null)
          .filter((d): d is Doc => d !== null);

      const defaults = await render();
      expect(
        defaults.filter((d) => d.kind === 'PrometheusRule' || d.metadata?.name?.endsWith('-dashboard')),
      ).toEqual([]);
      const docs = await render(
        '--set',
        'grafanaDashboard.enabled=true',
        '--set',
        'prometheusRule.enabled=true',
      );
      const cm = docs.find(
        (d) => d.kind === 'ConfigMap' && d.metadata?.name === 'obs-vpcep-operator-dashboard',
      );
      expect(cm?.metadata?.labels?.['grafana_dashboard']).toBe('1');
      const dashboard = JSON.parse(cm?.data?.['vpcep-operator.json'] ?? '{}') as Dashboard;
      const rule = docs.find((d) => d.kind === 'PrometheusRule');
      const queries: Array<{ where: string; expr: string }> = [];
      for (const p of dashboard.panels ?? [])
        for (const t of p.targets ?? [])
          if (t.expr) queries.push({ where: `panel "${p.title}"`, expr: t.expr });
      for (const v of dashboard.templating?.list ?? []) {
        const q = typeof v.query === 'string' ? v.query : v.query?.query;
        if (q && q.includes('(')) queries.push({ where: `variable $${v.name}`, expr: q });
      }
      const alerts: string[] = [];
      for (const g of rule?.spec?.groups ?? [])
        for (const r of g.rules ?? [])
          if (r.expr) {
            alerts.push(r.alert ?? '');
            queries.push({ where: `alert ${r.alert}`, expr: r.expr });
          }
      expect(alerts.sort()).toEqual([
        'VpcepCloudThrottled',
        'VpcepDeleteBlocked',
        'VpcepOperatorNoLeader',
        'VpcepOperatorReconcileErrors',
        'VpcepOperatorStuckReconcile',
        'VpcepOperatorWorkqueueDepth',
        'VpcepOperatorWorkqueueLatency',
        'VpcepResourcesNotReady',
      ]);

      // The running operator, with one resource Ready, scraped.
      await createCR(f.k.custom, f.ns, 'observed', specFor({ portId: uuid(), vpcId: uuid() }));
      await waitForCR(f.k.custom, f.ns, 'observed', isReady, 'observed Ready');
      const started = f.op.lines.map((l) => /"metricsPort":(\d+)/.exec(l)?.[1]).find(Boolean);
      expect(started).toBeDefined();
      const text = await (await fetch(`http://127.0.0.1:${started}/metrics`)).text();
      const have = exported(text);
      const missing: string[] = [];
      const named = new Set<string>();
      for (const q of queries)
        for (const name of metricNames(q.expr)) {
          named.add(name);
          if (!have.has(name)) missing.push(`${q.where}: ${name}`);
        }
      console.log(
        `observability: ${dashboard.panels?.filter((p) => p.targets?.length).length ?? 0} dashboard panels, ${alerts.length} alerts, ` +
          `${queries.length} queries naming ${named.size} metrics; the operator exports ${have.size} names`,
      );
      expect(missing).toEqual([]);
      expect(named.size).toBeGreaterThanOrEqual(18);

      // The resource gauges count what is there; the unfinished-work gauges exist at 0 when idle.
      expect(text).toMatch(
        /^vpcep_resources\{kind="VpcEndpointService",condition="Ready",status="True",reason="Available"\} 1$/m,
      );
      expect(text).toMatch(/^vpcep_resources_not_ready_oldest_seconds\{kind="VpcEndpointService"\} 0$/m);
      expect(text).toMatch(
        /^workqueue_unfinished_work_seconds\{name="vpcendpointservice",controller="vpcendpointservice"\} 0$/m,
      );
      expect(text).toMatch(
        /^workqueue_longest_running_processor_seconds\{name="vpcendpointservice",controller="vpcendpointservice"\} 0$/m,
      );
    },
  );
});
