import { compareWrites, passwordVersion } from './dc-writes';

/** A replPropertyMetaDataBlob v1 holding (attid, version) entries. */
function blob(entries: Array<[number, number]>): Buffer {
  const buffer = Buffer.alloc(16 + entries.length * 48);
  buffer.writeUInt32LE(1, 0);
  buffer.writeUInt32LE(entries.length, 8);
  entries.forEach(([attid, version], i) => {
    buffer.writeUInt32LE(attid, 16 + i * 48);
    buffer.writeUInt32LE(version, 16 + i * 48 + 4);
  });
  return buffer;
}

describe('passwordVersion', () => {
  it('reads the version of unicodePwd among the attributes’ metadata', () => {
    expect(
      passwordVersion(
        blob([
          [0x00000003, 1],
          [0x0009005a, 7],
          [0x00090060, 2],
        ]),
      ),
    ).toBe(7);
  });

  it('is 0 for a user whose password was never written', () => {
    expect(passwordVersion(blob([[0x00000003, 1]]))).toBe(0);
  });
});

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
