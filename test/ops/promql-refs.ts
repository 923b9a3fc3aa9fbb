// Checks that PromQL written for the dashboard and the alerting rules names only metrics and
// labels the gateway exports. The truth is the registry from createMetrics() (gateway/metrics.ts),
// read without starting anything. The scanner is deliberately small: selectors `name{...}`,
// grouping clauses `by (...)`, `on (...)`, ..., and bare metric-like words; it does not try to
// be a PromQL parser, only to catch a misspelt or invented metric or label.
import { createMetrics } from '../../gateway/metrics.js';

/** Labels Prometheus attaches to every scraped series (scrape config), not the exporter. */
export const TARGET_LABELS = ['job', 'instance'] as const;

export interface KnownMetric {
  name: string;
  type: string;
  labels: readonly string[];
}

/** Every metric the gateway registers, by name, with its type and label names. */
export function knownMetrics(): Map<string, KnownMetric> {
  const { registry } = createMetrics();
  const out = new Map<string, KnownMetric>();
  for (const m of registry.getMetricsAsArray() as unknown as Array<{ name: string; type: string; labelNames?: string[] }>) {
    out.set(m.name, { name: m.name, type: String(m.type), labels: m.labelNames ?? [] });
  }
  return out;
}

// Series names a histogram or summary exposes besides its base name.
const SUFFIXES: Record<string, { suffix: string; extra: string[] }[]> = {
  histogram: [
    { suffix: '_bucket', extra: ['le'] },
    { suffix: '_sum', extra: [] },
    { suffix: '_count', extra: [] },
  ],
  summary: [
    { suffix: '_sum', extra: [] },
    { suffix: '_count', extra: [] },
  ],
};

/** The labels a series name may carry, or undefined when no registered metric exposes it. */
export function seriesLabels(known: Map<string, KnownMetric>, series: string): string[] | undefined {
  const direct = known.get(series);
  if (direct) return [...direct.labels, ...(direct.type === 'summary' ? ['quantile'] : [])];
  for (const m of known.values()) {
    for (const { suffix, extra } of SUFFIXES[m.type] ?? []) {
      if (series === m.name + suffix) return [...m.labels, ...extra];
    }
  }
  return undefined;
}

// Prefixes of the metrics we export (ours, and prom-client's process and Node.js metrics):
// any word starting with one of these must be a registered series.
const METRIC_WORD = /\b(?:kokoro|process|nodejs)_[a-zA-Z0-9_:]*/g;
const SELECTOR = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*\{([^}]*)\}/g;
const MATCHER = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(?:=~|!~|!=|=)/g;
const GROUPING = /\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g;
const LABEL_VALUES = /label_values\(\s*(?:[^,()]*?,)?\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\)/g;

export interface Scan {
  /** Metric-like words that name a series. */
  series: string[];
  /** Problems found (unknown metric, label not carried by the metric it is used on). */
  problems: string[];
  /** Every label the expression's result can carry: its series' labels plus the target labels. */
  resultLabels: Set<string>;
}

/** Scans one PromQL expression (or Grafana variable query). */
export function scanPromql(known: Map<string, KnownMetric>, expr: string): Scan {
  // Label values never name metrics or labels: blank them (they hold regexes such as "5..").
  const code = expr.replace(/"(?:[^"\\]|\\.)*"/g, '""').replace(/'(?:[^'\\]|\\.)*'/g, "''");
  const problems: string[] = [];
  const series = [...new Set(code.match(METRIC_WORD) ?? [])];
  const resultLabels = new Set<string>(TARGET_LABELS);
  for (const s of series) {
    const labels = seriesLabels(known, s);
    if (!labels) problems.push(`unknown metric ${s}`);
    else for (const l of labels) resultLabels.add(l);
  }
  for (const [, name, inner] of code.matchAll(SELECTOR)) {
    const labels = seriesLabels(known, name!);
    if (!labels) {
      if (!series.includes(name!)) problems.push(`unknown metric ${name}`);
      continue;
    }
    for (const [, label] of inner!.matchAll(MATCHER)) {
      if (label === '__name__') continue;
      if (!labels.includes(label!) && !(TARGET_LABELS as readonly string[]).includes(label!)) {
        problems.push(`${name} has no label ${label}`);
      }
    }
  }
  const grouping = [...code.matchAll(GROUPING), ...code.matchAll(LABEL_VALUES)];
  for (const [, list] of grouping) {
    for (const label of list!.split(',').map((s) => s.trim()).filter(Boolean)) {
      if (!resultLabels.has(label)) problems.push(`label ${label} is carried by none of ${series.join(', ') || 'its metrics'}`);
    }
  }
  return { series, problems, resultLabels };
}

/** Labels a template uses: Grafana legends `{{format}}`, rule annotations `$labels.format`. */
export function templateLabels(text: string): string[] {
  const out = new Set<string>();
  for (const [, l] of text.matchAll(/\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}/g)) out.add(l!);
  for (const [, l] of text.matchAll(/\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)/g)) out.add(l!);
  return [...out];
}

export interface RuleText {
  alert: string;
  expr: string;
  /** The rest of the rule (labels, annotations): where `$labels.x` templates live. */
  rest: string;
}

/**
 * The alerting rules of a rules file, read line by line (no YAML library in our dependencies):
 * each `- alert: NAME` item, its `expr:` (one line, or a `|`/`>` block) and the rest of the item.
 * promtool validates the file itself; this only needs the expressions.
 */
export function readAlertRules(yamlText: string): RuleText[] {
  const lines = yamlText.split('\n');
  const rules: RuleText[] = [];
  let i = 0;
  while (i < lines.length) {
    const m = /^(\s*)- alert:\s*(\S+)\s*$/.exec(lines[i]!);
    if (!m) {
      i++;
      continue;
    }
    const itemIndent = m[1]!.length;
    const rule: RuleText = { alert: m[2]!.replace(/^['"]|['"]$/g, ''), expr: '', rest: '' };
    i++;
    while (i < lines.length) {
      const line = lines[i]!;
      const indent = line.length - line.trimStart().length;
      if (line.trim() !== '' && indent <= itemIndent) break;
      const e = /^(\s*)expr:\s*(.*)$/.exec(line);
      if (e) {
        const value = e[2]!.trim();
        i++;
        if (value === '|' || value === '>' || value === '|-' || value === '>-') {
          const block: string[] = [];
          while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.length - lines[i]!.trimStart().length > e[1]!.length)) block.push(lines[i++]!.trim());
          rule.expr = block.join('\n').trim();
        } else {
          rule.expr = value.replace(/^'(.*)'$/, '$1').replace(/^"(.*)"$/, '$1');
        }
        continue;
      }
      if (!line.trimStart().startsWith('#')) rule.rest += line + '\n';
      i++;
    }
    rules.push(rule);
  }
  return rules;
}
