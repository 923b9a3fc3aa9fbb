// The alerting rules pass `promtool check rules` and their unit tests (`promtool test rules`,
// deploy/prometheus/alerts.test.yaml). promtool comes with Debian's `prometheus` package; .ci/run
// installs it. Without it: a failure under CI=true, a skip with the reason elsewhere.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from '../../models/paths.js';
import { readAlertRules } from './promql-refs.js';

const RULES = 'deploy/prometheus/alerts.yaml';
const TESTS = 'deploy/prometheus/alerts.test.yaml';
const PROMTOOL = process.env.PROMTOOL?.trim() || 'promtool';
const MISSING =
  `${PROMTOOL} not found: install it with \`apt-get install -y --no-install-recommends prometheus\` ` +
  '(Debian; .ci/run does) or set PROMTOOL to its path';

function promtool(args: string[]) {
  return spawnSync(PROMTOOL, args, { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
}

const probe = promtool(['--version']);
const missing = (probe.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
const skip = missing && process.env.CI !== 'true' ? MISSING : false;
if (skip) console.log(`skipping the promtool checks: ${MISSING}`);

function mustHavePromtool(): void {
  if (missing) assert.fail(`${MISSING} (CI=true requires it)`);
  assert.equal(probe.status, 0, `${PROMTOOL} --version: ${probe.stderr}`);
}

test('promtool check rules', { skip }, () => {
  mustHavePromtool();
  const r = promtool(['check', 'rules', RULES]);
  assert.equal(r.status, 0, `promtool check rules ${RULES}:\n${r.stdout}${r.stderr}`);
  const n = readAlertRules(readFileSync(join(REPO_ROOT, RULES), 'utf8')).length;
  assert.match(r.stdout, new RegExp(`SUCCESS: ${n} rules found`), 'promtool reads as many rules as the test does');
});

test('promtool test rules: every alert fires on a bad series and not on a healthy one', { skip }, () => {
  mustHavePromtool();
  const r = promtool(['test', 'rules', TESTS]);
  assert.equal(r.status, 0, `promtool test rules ${TESTS}:\n${r.stdout}${r.stderr}`);
  assert.match(r.stdout, /SUCCESS/);
});

test('the unit tests cover every alert, firing and silent', () => {
  const alerts = readAlertRules(readFileSync(join(REPO_ROOT, RULES), 'utf8')).map((r) => r.alert);
  const text = readFileSync(join(REPO_ROOT, TESTS), 'utf8');
  for (const a of alerts) {
    const cases = [...text.matchAll(new RegExp(`alertname: ${a}\\s*\\n\\s*exp_alerts:(.*)\\n(.*)`, 'g'))];
    assert.ok(cases.some(([, inline, next]) => inline!.trim() === '' && /-\s*exp_labels:/.test(next!)), `${a}: a case where it fires`);
    assert.ok(cases.some(([, inline]) => inline!.trim() === '[]'), `${a}: a case where it stays silent`);
  }
});
