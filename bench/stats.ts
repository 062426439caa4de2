/** Summary of repeated measurements, printed as one JSON object per metric. */
export interface Metric {
  metric: string;
  unit: string;
  median: number;
  p95: number;
  min: number;
  max: number;
  n: number;
}

export function summarize(metric: string, unit: string, values: number[]): Metric {
  const v = [...values].sort((a, b) => a - b);
  const q = (p: number) => v[Math.min(v.length - 1, Math.floor(p * (v.length - 1) + 0.5))]!;
  const r = (x: number) => Math.round(x * 1000) / 1000;
  return { metric, unit, median: r(q(0.5)), p95: r(q(0.95)), min: r(v[0]!), max: r(v[v.length - 1]!), n: v.length };
}

export function print(m: Metric): void {
  process.stdout.write(JSON.stringify(m) + '\n');
}
