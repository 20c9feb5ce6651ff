/**
 * Self-relative SECURITY_DESCRIPTOR (MS-DTYP 2.4.6), the binary form of AD's
 * `nTSecurityDescriptor`. No maintained npm package reads or writes it, so this is the small
 * part we need: the DACL's ACEs in full, anything else (SACL, ACE types we do not evaluate)
 * carried through byte for byte so that a read-modify-write never loses what it did not parse.
 */
import { WritebackError } from '@writeback/contracts';

export const AceType = {
  ACCESS_ALLOWED: 0x00,
  ACCESS_DENIED: 0x01,
  ACCESS_ALLOWED_OBJECT: 0x05,
  ACCESS_DENIED_OBJECT: 0x06,
} as const;

export const AceFlags = {
  OBJECT_INHERIT: 0x01,
  CONTAINER_INHERIT: 0x02,
  NO_PROPAGATE_INHERIT: 0x04,
  INHERIT_ONLY: 0x08,
  INHERITED: 0x10,
} as const;

export const AccessMask = {
  CONTROL_ACCESS: 0x0000_0100,
  READ_PROPERTY: 0x0000_0010,
  WRITE_PROPERTY: 0x0000_0020,
  GENERIC_ALL: 0x1000_0000,
  GENERIC_WRITE: 0x4000_0000,
} as const;

export const SdControl = {
  DACL_PRESENT: 0x0004,
  DACL_PROTECTED: 0x1000,
  SELF_RELATIVE: 0x8000,
} as const;

const OBJECT_TYPE_PRESENT = 0x1;
const INHERITED_OBJECT_TYPE_PRESENT = 0x2;
const ACL_REVISION = 2;
const ACL_REVISION_DS = 4;

export interface Ace {
  type: number;
  flags: number;
  mask: number;
  /** Lowercase GUID string, object ACEs only. */
  objectType?: string;
  inheritedObjectType?: string;
  /** `S-1-5-…` */
  sid: string;
  /** The ACE exactly as read, for types this module does not interpret (audit, callback…). */
  raw?: Buffer;
}

export interface SecurityDescriptor {
  control: number;
  owner: string | null;
  group: string | null;
  /** Kept opaque: never evaluated, written back as read. */
  sacl: Buffer | null;
  dacl: Ace[] | null;
}

export class SecurityDescriptorError extends WritebackError {
  readonly code = 'AD.SECURITY_DESCRIPTOR_MALFORMED';
  readonly retriable = false;
}

export function sidFromBytes(buf: Buffer, offset = 0): { sid: string; length: number } {
  if (buf.length < offset + 8) throw new SecurityDescriptorError('truncated SID');
  const revision = buf.readUInt8(offset);
  const count = buf.readUInt8(offset + 1);
  const length = 8 + count * 4;
  if (buf.length < offset + length) throw new SecurityDescriptorError('truncated SID');
  const authority = buf.readUIntBE(offset + 2, 6);
  const subs: number[] = [];
  for (let i = 0; i < count; i++) subs.push(buf.readUInt32LE(offset + 8 + i * 4));
  return { sid: ['S', revision, authority, ...subs].join('-'), length };
}

export function sidToBytes(sid: string): Buffer {
  const match = /^S-(\d+)-(\d+)((?:-\d+)*)$/i.exec(sid);
  if (!match) throw new SecurityDescriptorError(`not a SID: ${sid}`);
  const subs = (match[3] ?? '').split('-').filter(Boolean).map(Number);
  const buf = Buffer.alloc(8 + subs.length * 4);
  buf.writeUInt8(Number(match[1]), 0);
  buf.writeUInt8(subs.length, 1);
  buf.writeUIntBE(Number(match[2]), 2, 6);
  subs.forEach((sub, i) => buf.writeUInt32LE(sub, 8 + i * 4));
  return buf;
}

/** GUIDs are stored with their first three fields little-endian. */
export function guidFromBytes(buf: Buffer, offset = 0): string {
  const b = buf.subarray(offset, offset + 16);
  if (b.length < 16) throw new SecurityDescriptorError('truncated GUID');
  const hex = (bytes: Buffer): string => bytes.toString('hex');
  return [
    hex(Buffer.from(b.subarray(0, 4)).reverse()),
    hex(Buffer.from(b.subarray(4, 6)).reverse()),
    hex(Buffer.from(b.subarray(6, 8)).reverse()),
    hex(b.subarray(8, 10)),
    hex(b.subarray(10, 16)),
  ].join('-');
}

export function guidToBytes(guid: string): Buffer {
  const parts = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid);
  if (!parts) throw new SecurityDescriptorError(`not a GUID: ${guid}`);
  const field = (i: number, reverse: boolean): Buffer => {
    const bytes = Buffer.from(parts[i] as string, 'hex');
    return reverse ? bytes.reverse() : bytes;
  };
  return Buffer.concat([field(1, true), field(2, true), field(3, true), field(4, false), field(5, false)]);
}

const isObjectAce = (type: number): boolean =>
  type === AceType.ACCESS_ALLOWED_OBJECT || type === AceType.ACCESS_DENIED_OBJECT;
const isSimpleAce = (type: number): boolean => type === AceType.ACCESS_ALLOWED || type === AceType.ACCESS_DENIED;

function parseAce(buf: Buffer, offset: number): { ace: Ace; size: number } {
  const type = buf.readUInt8(offset);
  const flags = buf.readUInt8(offset + 1);
  const size = buf.readUInt16LE(offset + 2);
  if (size < 8 || offset + size > buf.length) throw new SecurityDescriptorError('ACE overruns its ACL');
  const body = buf.subarray(offset, offset + size);
  const mask = body.readUInt32LE(4);
  if (isSimpleAce(type)) return { ace: { type, flags, mask, sid: sidFromBytes(body, 8).sid }, size };
  if (isObjectAce(type)) {
    const present = body.readUInt32LE(8);
    let at = 12;
    const ace: Ace = { type, flags, mask, sid: '' };
    if (present & OBJECT_TYPE_PRESENT) {
      ace.objectType = guidFromBytes(body, at);
      at += 16;
    }
    if (present & INHERITED_OBJECT_TYPE_PRESENT) {
      ace.inheritedObjectType = guidFromBytes(body, at);
      at += 16;
    }
    ace.sid = sidFromBytes(body, at).sid;
    return { ace, size };
  }
  return { ace: { type, flags, mask, sid: '', raw: Buffer.from(body) }, size };
}

function encodeAce(ace: Ace): Buffer {
  if (ace.raw) return ace.raw;
  const sid = sidToBytes(ace.sid);
  const parts: Buffer[] = [];
  const mask = Buffer.alloc(4);
  mask.writeUInt32LE(ace.mask >>> 0);
  parts.push(mask);
  if (isObjectAce(ace.type)) {
    const present = Buffer.alloc(4);
    present.writeUInt32LE(
      (ace.objectType ? OBJECT_TYPE_PRESENT : 0) | (ace.inheritedObjectType ? INHERITED_OBJECT_TYPE_PRESENT : 0),
    );
    parts.push(present);
    if (ace.objectType) parts.push(guidToBytes(ace.objectType));
    if (ace.inheritedObjectType) parts.push(guidToBytes(ace.inheritedObjectType));
  } else if (!isSimpleAce(ace.type)) {
    throw new SecurityDescriptorError(`cannot encode ACE type ${ace.type} without its raw bytes`);
  }
  parts.push(sid);
  const body = Buffer.concat(parts);
  const header = Buffer.alloc(4);
  header.writeUInt8(ace.type, 0);
  header.writeUInt8(ace.flags, 1);
  header.writeUInt16LE(4 + body.length, 2);
  return Buffer.concat([header, body]);
}

function parseAcl(buf: Buffer, offset: number): Ace[] {
  const size = buf.readUInt16LE(offset + 2);
  const count = buf.readUInt16LE(offset + 4);
  if (offset + size > buf.length) throw new SecurityDescriptorError('ACL overruns the descriptor');
  const aces: Ace[] = [];
  let at = offset + 8;
  for (let i = 0; i < count; i++) {
    const { ace, size: aceSize } = parseAce(buf, at);
    aces.push(ace);
    at += aceSize;
  }
  return aces;
}

function encodeAcl(aces: readonly Ace[]): Buffer {
  const encoded = aces.map(encodeAce);
  const revision = aces.some((a) => isObjectAce(a.type)) ? ACL_REVISION_DS : ACL_REVISION;
  const header = Buffer.alloc(8);
  header.writeUInt8(revision, 0);
  header.writeUInt16LE(8 + encoded.reduce((n, b) => n + b.length, 0), 2);
  header.writeUInt16LE(aces.length, 4);
  return Buffer.concat([header, ...encoded]);
}

function aclLength(buf: Buffer, offset: number): number {
  return buf.readUInt16LE(offset + 2);
}

export function parseSecurityDescriptor(buf: Buffer): SecurityDescriptor {
  if (buf.length < 20 || buf.readUInt8(0) !== 1) throw new SecurityDescriptorError('not a security descriptor');
  const control = buf.readUInt16LE(2);
  if ((control & SdControl.SELF_RELATIVE) === 0) throw new SecurityDescriptorError('not self-relative');
  const [ownerAt, groupAt, saclAt, daclAt] = [4, 8, 12, 16].map((o) => buf.readUInt32LE(o)) as [
    number,
    number,
    number,
    number,
  ];
  return {
    control,
    owner: ownerAt ? sidFromBytes(buf, ownerAt).sid : null,
    group: groupAt ? sidFromBytes(buf, groupAt).sid : null,
    sacl: saclAt ? Buffer.from(buf.subarray(saclAt, saclAt + aclLength(buf, saclAt))) : null,
    dacl: daclAt ? parseAcl(buf, daclAt) : null,
  };
}

/** Laid out as Windows and Samba do: header, owner, group, SACL, DACL. */
export function encodeSecurityDescriptor(sd: SecurityDescriptor): Buffer {
  const sections: Array<[number, Buffer | null]> = [
    [4, sd.owner ? sidToBytes(sd.owner) : null],
    [8, sd.group ? sidToBytes(sd.group) : null],
    [12, sd.sacl],
    [16, sd.dacl ? encodeAcl(sd.dacl) : null],
  ];
  const header = Buffer.alloc(20);
  header.writeUInt8(1, 0);
  header.writeUInt16LE(sd.control | SdControl.SELF_RELATIVE | (sd.dacl ? SdControl.DACL_PRESENT : 0), 2);
  let at = 20;
  const body: Buffer[] = [];
  for (const [field, section] of sections) {
    if (!section) continue;
    header.writeUInt32LE(at, field);
    body.push(section);
    at += section.length;
  }
  return Buffer.concat([header, ...body]);
}

const TYPE_CODES: Record<number, string> = { 0: 'A', 1: 'D', 5: 'OA', 6: 'OD' };
const FLAG_CODES: Array<[number, string]> = [
  [AceFlags.OBJECT_INHERIT, 'OI'],
  [AceFlags.CONTAINER_INHERIT, 'CI'],
  [AceFlags.NO_PROPAGATE_INHERIT, 'NP'],
  [AceFlags.INHERIT_ONLY, 'IO'],
  [AceFlags.INHERITED, 'ID'],
];
const RIGHT_CODES: Array<[number, string]> = [
  [AccessMask.GENERIC_ALL, 'GA'],
  [AccessMask.GENERIC_WRITE, 'GW'],
  [AccessMask.CONTROL_ACCESS, 'CR'],
  [AccessMask.READ_PROPERTY, 'RP'],
  [AccessMask.WRITE_PROPERTY, 'WP'],
];

/** SDDL of one ACE, for messages and for operators to compare with `dsacls` output. */
export function aceToSddl(ace: Ace): string {
  const type = TYPE_CODES[ace.type] ?? `0x${ace.type.toString(16)}`;
  const flags = FLAG_CODES.filter(([bit]) => ace.flags & bit)
    .map(([, code]) => code)
    .join('');
  let rest = ace.mask;
  const rights = RIGHT_CODES.filter(([bit]) => {
    const has = (rest & bit) === bit;
    if (has) rest &= ~bit;
    return has;
  }).map(([, code]) => code);
  if (rest !== 0) rights.push(`0x${(rest >>> 0).toString(16)}`);
  return `(${[type, flags, rights.join(''), ace.objectType ?? '', ace.inheritedObjectType ?? '', ace.sid].join(';')})`;
}
