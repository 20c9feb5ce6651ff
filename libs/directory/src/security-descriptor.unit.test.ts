import {
  AceFlags,
  AceType,
  aceToSddl,
  encodeSecurityDescriptor,
  guidFromBytes,
  guidToBytes,
  parseSecurityDescriptor,
  SdControl,
  sidFromBytes,
  sidToBytes,
} from './security-descriptor';

/**
 * Produced by Samba's own NDR marshalling, independently of this module:
 * `ndr_pack(security.descriptor.from_sddl(SDDL, dom_sid('S-1-5-21-1-2-3')))` with
 * SDDL = O:DAG:DAD:PAI(OA;CIIO;CR;00299570-…;bf967aba-…;S-1-5-21-1-2-3-1111)(A;;RPWP;;;AU)
 *        (OD;;WP;bf967a0a-…;;WD)(OA;;CR;ccc2dc7d-…;;S-1-5-21-1-2-3-1111)(A;CIID;GA;;;DA)
 */
const SAMBA_PACKED =
  '010004941400000030000000000000004c00000001050000000000051500000001000000020000000300000000020000' +
  '010500000000000515000000010000000200000003000000000200000400e80005000000050a48000001000003000000' +
  '709529006d24d011a76800aa006e0529ba7a96bfe60dd011a28500aa003049e201050000000000051500000001000000' +
  '020000000300000057040000000014003000000001010000000000050b0000000600280020000000010000000a7a96bf' +
  'e60dd011a28500aa003049e20101000000000001000000000500380000010000010000007ddcc2ccada67a4a8846c04e' +
  '3cc5350101050000000000051500000001000000020000000300000057040000001224000000001001050000000000' +
  '051500000001000000020000000300000000020000';

describe('security descriptors', () => {
  const packed = Buffer.from(SAMBA_PACKED, 'hex');

  it("reads Samba's packing of a known SDDL, ACE by ACE", () => {
    const sd = parseSecurityDescriptor(packed);
    expect(sd.owner).toBe('S-1-5-21-1-2-3-512');
    expect(sd.group).toBe('S-1-5-21-1-2-3-512');
    expect(sd.control & SdControl.DACL_PROTECTED).toBe(SdControl.DACL_PROTECTED);
    expect(sd.dacl?.map(aceToSddl)).toEqual([
      '(OA;CIIO;CR;00299570-246d-11d0-a768-00aa006e0529;bf967aba-0de6-11d0-a285-00aa003049e2;S-1-5-21-1-2-3-1111)',
      '(A;;RPWP;;;S-1-5-11)',
      '(OD;;WP;bf967a0a-0de6-11d0-a285-00aa003049e2;;S-1-1-0)',
      '(OA;;CR;ccc2dc7d-a6ad-4a7a-8846-c04e3cc53501;;S-1-5-21-1-2-3-1111)',
      '(A;CIID;GA;;;S-1-5-21-1-2-3-512)',
    ]);
  });

  it('writes back exactly the bytes Samba packed, so a read-modify-write changes only what it means to', () => {
    expect(encodeSecurityDescriptor(parseSecurityDescriptor(packed)).toString('hex')).toBe(SAMBA_PACKED);
  });

  it('keeps an added ACE and every other one through a round trip', () => {
    const sd = parseSecurityDescriptor(packed);
    const added = {
      type: AceType.ACCESS_ALLOWED_OBJECT,
      flags: AceFlags.CONTAINER_INHERIT | AceFlags.INHERIT_ONLY,
      mask: 0x20,
      objectType: '28630ebf-41d5-11d1-a9c1-0000f80367c1',
      inheritedObjectType: 'bf967aba-0de6-11d0-a285-00aa003049e2',
      sid: 'S-1-5-21-1-2-3-1111',
    };
    const again = parseSecurityDescriptor(encodeSecurityDescriptor({ ...sd, dacl: [...(sd.dacl ?? []), added] }));
    expect(again.dacl).toEqual([...(sd.dacl ?? []), added]);
  });

  it('carries ACE types it does not interpret through unchanged', () => {
    const sd = parseSecurityDescriptor(packed);
    // A SYSTEM_AUDIT-style ACE type 0x02 with an opaque body.
    const raw = Buffer.from('02001400ff01000001010000000000010000000000000000', 'hex').subarray(0, 20);
    raw.writeUInt16LE(20, 2);
    const unknown = { type: 0x02, flags: 0, mask: 0, sid: '', raw };
    const round = parseSecurityDescriptor(encodeSecurityDescriptor({ ...sd, dacl: [unknown] }));
    expect(round.dacl?.[0]?.raw?.equals(raw)).toBe(true);
  });

  it('converts SIDs and GUIDs both ways, GUIDs with their mixed endianness', () => {
    const sid = 'S-1-5-21-1015030201-2472673180-1525859983-1104';
    expect(sidFromBytes(sidToBytes(sid)).sid).toBe(sid);
    expect(guidToBytes('00299570-246d-11d0-a768-00aa006e0529').toString('hex')).toBe(
      '709529006d24d011a76800aa006e0529',
    );
    expect(guidFromBytes(Buffer.from('709529006d24d011a76800aa006e0529', 'hex'))).toBe(
      '00299570-246d-11d0-a768-00aa006e0529',
    );
  });

  it('refuses what is not a self-relative security descriptor', () => {
    expect(() => parseSecurityDescriptor(Buffer.from('00', 'hex'))).toThrow('not a security descriptor');
    expect(() => sidToBytes('not-a-sid')).toThrow('not a SID');
  });
});
