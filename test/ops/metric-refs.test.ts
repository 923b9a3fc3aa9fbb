// The Grafana dashboard and the Prometheus rules name only metrics and labels that
// createMetrics() registers (gateway/metrics.ts), and cover what the issue asks for.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../models/paths.js';
import { knownMetrics, readAlertRules, scanPromql, templateLabels } from './promql-refs.js';

const DASHBOARD = join(REPO_ROOT, 'deploy/grafana/kokoro-gateway.json');
const RULES = join(REPO_ROOT, 'deploy/prometheus/alerts.yaml');
const known = knownMetrics();

interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: unknown;
  targets?: Array<{ expr?: string; legendFormat?: string; refId?: string; datasource?: unknown }>;
  panels?: Panel[];
}

function allPanels(list: Panel[]): Panel[] {
  return list.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as {
  title: string;
  uid: string;
  schemaVersion: number;
  panels: Panel[];
  templating: { list: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
};
const panels = allPanels(dashboard.panels);
const rules = readAlertRules(readFileSync(RULES, 'utf8'));

test('the scanner catches an invented metric and a label the metric lacks', () => {
  assert.deepEqual(scanPromql(known, 'sum by (format) (rate(kokoro_speech_requests_total{status="429"}[5m]))').problems, []);
  assert.match(scanPromql(known, 'rate(kokoro_speech_request_total[5m])').problems.join(), /unknown metric kokoro_speech_request_total/);
  assert.match(scanPromql(known, 'kokoro_engines_ready{format="mp3"}').problems.join(), /kokoro_engines_ready has no label format/);
  assert.match(scanPromql(known, 'sum by (reason) (kokoro_engine_restarts_total)').problems.join(), /label reason/);
  assert.match(scanPromql(known, 'sum by (le) (rate(kokoro_speech_in_flight[5m]))').problems.join(), /label le/);
  assert.deepEqual(scanPromql(known, 'histogram_quantile(0.9, sum by (le) (rate(kokoro_speech_first_byte_seconds_bucket[5m])))').problems, []);
  const read = readAlertRules(
    'groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: |\n          up\n            > 1\n        annotations:\n          x: "{{ $labels.job }}"\n      - alert: B\n        expr: down == 0\n',
  );
  assert.deepEqual(read.map((r) => [r.alert, r.expr]), [['A', 'up\n> 1'], ['B', 'down == 0']]);
  assert.deepEqual(templateLabels(read[0]!.rest), ['job']);
});

test('the dashboard is a Grafana dashboard with a Prometheus data source variable', () => {
  assert.equal(dashboard.uid, 'kokoro-gateway');
  assert.ok(dashboard.schemaVersion >= 30);
  const ds = dashboard.templating.list.find((v) => v.type === 'datasource');
  assert.ok(ds, 'a data source variable');
  assert.equal(ds.query, 'prometheus');
  const ids = panels.map((p) => p.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids are unique');
  for (const p of panels.filter((p) => p.type !== 'row')) {
    assert.deepEqual(p.datasource, { type: 'prometheus', uid: `\${${ds.name}}` }, `${p.title}: uses the variable`);
    assert.ok(p.targets?.length, `${p.title}: has queries`);
    for (const t of p.targets!) assert.deepEqual(t.datasource, p.datasource, `${p.title} ${t.refId}: uses the variable`);
  }
});

test('every dashboard query names only registered metrics and their labels', () => {
  const problems: string[] = [];
  const used = new Set<string>();
  for (const p of panels) {
    for (const t of p.targets ?? []) {
      assert.ok(t.expr, `${p.title} ${t.refId}: has an expr`);
      const scan = scanPromql(known, t.expr);
      scan.series.forEach((s) => used.add(s));
      problems.push(...scan.problems.map((x) => `${p.title}: ${x}`));
      for (const l of templateLabels(t.legendFormat ?? '')) {
        if (!scan.resultLabels.has(l)) problems.push(`${p.title}: legend uses {{${l}}}, which ${t.expr} does not carry`);
      }
    }
  }
  for (const v of dashboard.templating.list.filter((v) => v.type === 'query')) {
    const q = typeof v.query === 'string' ? v.query : (v.query as { query: string }).query;
    problems.push(...scanPromql(known, q).problems.map((x) => `variable ${v.name}: ${x}`));
  }
  assert.deepEqual(problems, []);
  // The panels the issue asks for: requests and outcomes by format, latency and first byte, in
  // flight, queue, engines ready, restarts, resumes (retries), encoder replacements.
  for (const m of [
    'kokoro_speech_requests_total',
    'kokoro_speech_duration_seconds_bucket',
    'kokoro_speech_first_byte_seconds_bucket',
    'kokoro_speech_in_flight',
    'kokoro_admission_queue_depth',
    'kokoro_engines_ready',
    'kokoro_engine_restarts_total',
    'kokoro_speech_retries_total',
    'kokoro_encoder_replacements_total',
  ]) {
    assert.ok(used.has(m), `the dashboard shows ${m}`);
  }
});

test('every alerting rule names only registered metrics and their labels', () => {
  assert.deepEqual(
    rules.map((r) => r.alert).sort(),
    [
      'KokoroAdmissionQueueSaturated',
      'KokoroEngineCrashLooping',
      'KokoroEngineRestartsHigh',
      'KokoroFirstByteSlow',
      'KokoroNoEngineReady',
      'KokoroRateLimited',
      'KokoroServerErrors',
    ],
  );
  const problems: string[] = [];
  for (const r of rules) {
    assert.ok(r.expr, `${r.alert}: has an expr`);
    const scan = scanPromql(known, r.expr);
    assert.ok(scan.series.length > 0, `${r.alert}: uses a gateway metric`);
    problems.push(...scan.problems.map((x) => `${r.alert}: ${x}`));
    for (const l of templateLabels(r.rest)) {
      if (!scan.resultLabels.has(l)) problems.push(`${r.alert}: annotation uses $labels.${l}, which its expr does not carry`);
    }
    assert.match(r.rest, /severity: (critical|warning)/, `${r.alert}: has a severity`);
  }
  assert.deepEqual(problems, []);
});
