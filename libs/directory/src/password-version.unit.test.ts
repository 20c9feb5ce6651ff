import { passwordVersionOf } from './password-version';

function blob(entries: Array<[attid: number, version: number]>, header = 1): Buffer {
  const buffer = Buffer.alloc(16 + entries.length * 48);
  buffer.writeUInt32LE(header, 0);
  buffer.writeUInt32LE(entries.length, 8);
  entries.forEach(([attid, version], i) => {
    buffer.writeUInt32LE(attid, 16 + i * 48);
    buffer.writeUInt32LE(version, 16 + i * 48 + 4);
  });
  return buffer;
}

describe('passwordVersionOf', () => {
  it("reads unicodePwd's version among the user's attributes", () => {
    expect(
      passwordVersionOf(
        blob([
          [0x0, 1],
          [0x9005a, 7],
          [0x90060, 3],
        ]),
      ),
    ).toBe(7);
  });

  it('counts a password never written as version 0', () => {
    expect(passwordVersionOf(blob([[0x0, 1]]))).toBe(0);
  });

  it.each<[string, Buffer | undefined]>([
    ['missing (not readable)', undefined],
    ['shorter than its header', Buffer.alloc(8)],
    ['of an unknown blob version', blob([[0x9005a, 7]], 2)],
    ['shorter than its entry count says', blob([[0x9005a, 7]]).subarray(0, 40)],
  ])('knows nothing from a blob that is %s', (_case, value) => {
    expect(passwordVersionOf(value)).toBeNull();
  });
});
