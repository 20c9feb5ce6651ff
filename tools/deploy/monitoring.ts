/**
 * The chart's alerts and dashboard against the services' metrics: which metric names a PromQL
 * expression reads, and which series the services export (libs/observability).
 */
import { registry } from '@writeback/observability';

/** Series Prometheus makes itself for every target, so no service exports them. */
const PROMETHEUS_SERIES = ['up', 'scrape_duration_seconds', 'scrape_samples_scraped'];

const KEYWORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'group_left', 'group_right', 'inf', 'nan']);

/** The metric names a PromQL expression selects (not its functions, labels or keywords). */
export function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of bare.matchAll(/(?<![\w.:])[a-zA-Z_:][\w:]*/g)) {
    const after = bare.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(after) || KEYWORDS.has(match[0].toLowerCase())) continue;
    names.add(match[0]);
  }
  return [...names].sort();
}

/** Every series name the services' /metrics can carry: histograms as _bucket, _sum and _count. */
export async function exportedSeries(): Promise<Set<string>> {
  const series = new Set(PROMETHEUS_SERIES);
  for (const metric of await registry.getMetricsAsJSON()) {
    const type = String(metric.type);
    if (type === 'histogram') for (const s of ['_bucket', '_sum', '_count']) series.add(metric.name + s);
    else if (type === 'summary') for (const s of ['', '_sum', '_count']) series.add(metric.name + s);
    else series.add(metric.name);
  }
  return series;
}

/** "<where>: <metric>" for each metric an expression names that no service exports. */
export function unexportedMetrics(exprs: { where: string; expr: string }[], exported: Set<string>): string[] {
  return exprs.flatMap(({ where, expr }) =>
    metricNames(expr)
      .filter((name) => !exported.has(name))
      .map((name) => `${where}: ${name}`),
  );
}
