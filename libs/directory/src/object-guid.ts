/*
 * AD's objectGUID is 16 bytes on the wire; tools (PowerShell, ADUC, dsquery) show it as a GUID
 * string whose first three fields are little-endian, i.e. byte-swapped relative to the bytes.
 * SCIM's `id` is that string (ADR 0023), so both directions must agree with the tools.
 */

const GUID_PATTERN = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/;

/** The lowercase string form AD tools show, from the 16 bytes of objectGUID. */
export function guidFromBytes(bytes: Buffer): string {
  if (bytes.length !== 16) throw new Error(`objectGUID must be 16 bytes, got ${bytes.length}`);
  const hex = (from: number, to: number, swap: boolean): string => {
    const part = Buffer.from(bytes.subarray(from, to));
    return (swap ? part.reverse() : part).toString('hex');
  };
  return [hex(0, 4, true), hex(4, 6, true), hex(6, 8, true), hex(8, 10, false), hex(10, 16, false)].join('-');
}

/** The 16 bytes of objectGUID, from the string form (lowercase or not). */
export function guidToBytes(guid: string): Buffer {
  const fields = GUID_PATTERN.exec(guid.toLowerCase());
  if (!fields) throw new Error('not a GUID');
  const [, a, b, c, d, e] = fields as unknown as [string, string, string, string, string, string];
  const swapped = (field: string): Buffer => Buffer.from(field, 'hex').reverse();
  return Buffer.concat([swapped(a), swapped(b), swapped(c), Buffer.from(d + e, 'hex')]);
}

/**
 * The LDAP filter value (RFC 4515) matching objectGUID: every byte escaped as `\xx`, for a
 * filter written as text, e.g. by an operator with ldapsearch. Writeback's own searches pass the
 * bytes instead (an EqualityFilter with a Buffer): ldapts's text-filter parser turns `\xx` into
 * a character and sends bytes above 0x7f as UTF-8, which would match no entry.
 */
export function guidFilterValue(guid: string): string {
  return [...guidToBytes(guid)].map((byte) => `\\${byte.toString(16).padStart(2, '0')}`).join('');
}
