import { compareWrites } from './dc-writes';

describe('compareWrites', () => {
  it('counts users the DC never wrote and writes beyond one per user', () => {
    const before = new Map([
      ['cn=a', 1],
      ['cn=b', 1],
      ['cn=c', 4],
    ]);
    const after = new Map([
      ['cn=a', 2],
      ['cn=b', 1],
      ['cn=c', 7],
    ]);

    expect(compareWrites(before, after, ['CN=a', 'CN=b', 'CN=c'])).toEqual({ lost: 1, duplicated: 2 });
  });
});
