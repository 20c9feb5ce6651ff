import { parsePrometheusText, sampleValue } from './prometheus-text';

describe('parsePrometheusText', () => {
  const text = [
    '# HELP writeback_operations_total Operations that ended.',
    '# TYPE writeback_operations_total counter',
    'writeback_operations_total{kind="admin-reset",domain="corp",outcome="applied",reason=""} 2',
    'writeback_ldap_errors_total{dc="127.0.0.11",reason="quote \\" and \\\\ backslash"} 1',
    'process_resident_memory_bytes 123456',
    '',
  ].join('\n');

  it('reads names, labels (escapes included) and values, skipping comments', () => {
    expect(parsePrometheusText(text)).toEqual([
      {
        name: 'writeback_operations_total',
        labels: { kind: 'admin-reset', domain: 'corp', outcome: 'applied', reason: '' },
        value: 2,
      },
      {
        name: 'writeback_ldap_errors_total',
        labels: { dc: '127.0.0.11', reason: 'quote " and \\ backslash' },
        value: 1,
      },
      { name: 'process_resident_memory_bytes', labels: {}, value: 123456 },
    ]);
  });

  it('finds a sample by a subset of its labels', () => {
    const samples = parsePrometheusText(text);
    expect(sampleValue(samples, 'writeback_operations_total', { outcome: 'applied' })).toBe(2);
    expect(sampleValue(samples, 'writeback_operations_total', { outcome: 'failed' })).toBeUndefined();
  });

  it('refuses a line that is not a sample', () => {
    expect(() => parsePrometheusText('not a sample line at all {')).toThrow(/not a Prometheus sample/);
  });
});
