import { guidFilterValue, guidFromBytes, guidToBytes } from './object-guid';

describe('objectGUID', () => {
  // .NET's Guid("00112233-4455-6677-8899-aabbccddeeff").ToByteArray(), the layout AD stores.
  const bytes = Buffer.from('33221100554477668899aabbccddeeff', 'hex');
  const text = '00112233-4455-6677-8899-aabbccddeeff';

  it('shows the bytes as AD tools do: the first three fields byte-swapped, lowercase', () => {
    expect(guidFromBytes(bytes)).toBe(text);
  });

  it('turns the string form back into the same bytes, whatever its case', () => {
    expect(guidToBytes(text)).toEqual(bytes);
    expect(guidToBytes(text.toUpperCase())).toEqual(bytes);
  });

  it('escapes every byte for a text filter, in stored order', () => {
    expect(guidFilterValue(text)).toBe('\\33\\22\\11\\00\\55\\44\\77\\66\\88\\99\\aa\\bb\\cc\\dd\\ee\\ff');
  });

  it('refuses what is not a GUID, or not 16 bytes', () => {
    expect(() => guidToBytes('00112233-4455-6677-8899')).toThrow('not a GUID');
    expect(() => guidFromBytes(Buffer.alloc(15))).toThrow('16 bytes');
  });
});
