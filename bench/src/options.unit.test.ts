import { lightOperations, massResetDeadlineMs, parseOptions, serviceNodeArgs } from './options';

describe('parseOptions', () => {
  it('measures distributed mode on Kafka unless --transport embedded is given', () => {
    expect(parseOptions([], {}, '/out').transport).toBe('kafka');
    expect(parseOptions(['--transport', 'embedded'], {}, '/out').transport).toBe('embedded');
    expect(() => parseOptions(['--transport', 'rabbit'], {}, '/out')).toThrow(
      '--transport must be kafka or embedded, got rabbit',
    );
    expect(() => parseOptions(['--transport', 'embedded', '--fetch-max-wait-ms', '20'], {}, '/out')).toThrow(
      '--fetch-max-wait-ms is a Kafka setting',
    );
  });

  it("leaves the services' heap to V8 unless --heap-mib is given", () => {
    expect(parseOptions([], {}, '/out').heapMiB).toBeUndefined();
    expect(parseOptions(['--heap-mib', '96'], {}, '/out').heapMiB).toBe(96);
  });

  it('refuses a heap limit that is not a positive integer', () => {
    expect(() => parseOptions(['--heap-mib', '0'], {}, '/out')).toThrow('--heap-mib must be a positive integer');
    expect(() => parseOptions(['--heap-mib', 'lots'], {}, '/out')).toThrow('--heap-mib must be a positive integer');
  });

  it("leaves the services' Kafka fetch wait at their default unless --fetch-max-wait-ms is given", () => {
    expect(parseOptions([], {}, '/out').fetchMaxWaitMs).toBeUndefined();
    expect(parseOptions(['--fetch-max-wait-ms', '20'], {}, '/out').fetchMaxWaitMs).toBe(20);
    expect(() => parseOptions(['--fetch-max-wait-ms', '0'], {}, '/out')).toThrow(
      '--fetch-max-wait-ms must be a positive integer',
    );
  });
});

describe('the light-load phase', () => {
  it('runs at 5% of the baseline unless told otherwise, with at most 100 operations', () => {
    expect(parseOptions([], {}, '/out').lightShare).toBe(0.05);
    expect(parseOptions(['--light-share', '0.1'], {}, '/out').lightShare).toBe(0.1);
    expect(() => parseOptions(['--light-share', '2'], {}, '/out')).toThrow('--light-share must be at most 1');
    expect(lightOperations({ operations: 1000 })).toBe(100);
    expect(lightOperations({ operations: 40 })).toBe(40);
  });
});

describe('serviceNodeArgs', () => {
  it('passes the CPU profile and heap flags to every service only when asked for', () => {
    expect(serviceNodeArgs({ cpuProfileDir: undefined, heapMiB: undefined })).toEqual([]);
    expect(serviceNodeArgs({ cpuProfileDir: '/p', heapMiB: 96 })).toEqual([
      '--cpu-prof',
      '--cpu-prof-dir=/p',
      '--max-old-space-size=96',
      '--max-semi-space-size=4',
    ]);
  });
});

describe('massResetDeadlineMs', () => {
  it("keeps the gate's default deadline for small runs and lengthens it for a mass reset that needs longer", () => {
    expect(massResetDeadlineMs(400)).toBe(120_000);
    expect(massResetDeadlineMs(10_000)).toBe(2_500_000);
  });
});
