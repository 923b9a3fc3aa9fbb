// Reads Prometheus text exposition: series -> value, and sums per metric name.

export type Series = Map<string, number>;

export function parseProm(text: string): Series {
  const out: Series = new Map();
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*(?:\{.*\})?)\s+(\S+)/.exec(line);
    if (m) out.set(m[1]!, Number(m[2]));
  }
  return out;
}

/** Sum of every series of a metric, optionally only those whose labels contain `labelMatch`. */
export function sumOf(series: Series, name: string, labelMatch?: string): number {
  let total = 0;
  for (const [key, value] of series) {
    const bare = key.split('{')[0];
    if (bare !== name) continue;
    if (labelMatch && !key.includes(labelMatch)) continue;
    if (Number.isFinite(value)) total += value;
  }
  return total;
}

/** Per-label breakdown of a counter's increase between two scrapes. */
export function increaseByLabel(before: Series, after: Series, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of after) {
    if (key.split('{')[0] !== name) continue;
    const delta = value - (before.get(key) ?? 0);
    if (delta > 0) out[key.slice(name.length) || '{}'] = delta;
  }
  return out;
}
