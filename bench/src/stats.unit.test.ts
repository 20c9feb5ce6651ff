import { percentile, summarize, throughput } from './stats';

describe('percentile', () => {
  it('answers a measured value by nearest rank', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);

    expect(percentile(sorted, 50)).toBe(50);
    expect(percentile(sorted, 95)).toBe(95);
    expect(percentile(sorted, 99)).toBe(99);
    expect(percentile(sorted, 100)).toBe(100);
    expect(percentile(sorted, 0)).toBe(1);
  });

  it('uses the largest value when few were measured', () => {
    expect(percentile([3, 7, 9], 99)).toBe(9);
    expect(percentile([3, 7, 9], 50)).toBe(7);
    expect(percentile([], 50)).toBeNaN();
  });
});

describe('summarize', () => {
  it('sorts before ranking and reports count, mean and max', () => {
    const summary = summarize([40, 10, 30, 20]);

    expect(summary).toEqual({ count: 4, p50: 20, p95: 40, p99: 40, max: 40, mean: 25 });
  });
});

describe('throughput', () => {
  it('is operations per second', () => {
    expect(throughput(500, 2_000)).toBe(250);
    expect(throughput(1, 0)).toBeNaN();
  });
});
