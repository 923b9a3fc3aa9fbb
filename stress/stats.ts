// Percentiles over recorded samples.

export function percentile(values: number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const idx = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[idx];
}

export interface Quantiles {
  n: number;
  p50?: number;
  p95?: number;
  p99?: number;
}

export function quantiles(values: number[]): Quantiles {
  const r = (v: number | undefined) => (v === undefined ? undefined : Math.round(v));
  return { n: values.length, p50: r(percentile(values, 50)), p95: r(percentile(values, 95)), p99: r(percentile(values, 99)) };
}

/** Least-squares slope of y over x (per unit x); undefined with fewer than 2 points. */
export function slope(points: [number, number][]): number | undefined {
  if (points.length < 2) return undefined;
  const n = points.length;
  const mx = points.reduce((s, p) => s + p[0], 0) / n;
  const my = points.reduce((s, p) => s + p[1], 0) / n;
  let num = 0, den = 0;
  for (const [x, y] of points) { num += (x - mx) * (y - my); den += (x - mx) ** 2; }
  return den === 0 ? undefined : num / den;
}
