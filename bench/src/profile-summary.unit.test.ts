import { packageOf, summarise } from './profile-summary';

describe('profile-summary', () => {
  it('names the package a script belongs to', () => {
    expect(packageOf('file:///w/node_modules/pg/lib/client.js', 'query')).toBe('pg');
    expect(packageOf('file:///w/node_modules/@prisma/client/runtime/x.js', 'Hn')).toBe('@prisma/client');
    expect(packageOf('node:internal/streams/writable', 'write')).toBe('node');
    expect(packageOf('file:///w/apps/policy-gate/dist/main.js', 'bootstrap')).toBe('writeback apps/policy-gate');
    expect(packageOf('', '(garbage collector)')).toBe('(garbage collector)');
    expect(packageOf('', 'writev')).toBe('(native)');
  });

  it('adds up self time by package and function, leaving idle out', () => {
    const summary = summarise({
      nodes: [
        { id: 1, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'query', url: 'file:///w/node_modules/pg/lib/client.js', lineNumber: 9 } },
        { id: 3, callFrame: { functionName: 'writev', url: '', lineNumber: -1 } },
      ],
      samples: [1, 2, 3, 2, 1],
      timeDeltas: [5000, 1000, 2000, 1000, 7000],
    });
    expect(summary.busyMs).toBe(4);
    expect(summary.byPackage).toEqual([
      ['pg', 2],
      ['(native)', 2],
    ]);
    expect(summary.byFunction[0]).toEqual(['query pg:10', 2]);
  });
});
