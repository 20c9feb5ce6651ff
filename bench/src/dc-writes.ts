import { Client } from 'ldapts';
import type { SambaForest } from '@writeback/testing';

/** ATTRIBUTE_ID of unicodePwd in AD's schema (0x9005A). */
const UNICODE_PWD_ATTID = 0x0009005a;
const HEADER_BYTES = 16;
const ENTRY_BYTES = 48;

/**
 * The version of unicodePwd in a replPropertyMetaData blob (NDR replPropertyMetaDataBlob v1:
 * version, reserved, count, reserved, then 48-byte entries of attid, version, change time,
 * invocation id, originating and local USN). The DC adds one to it on every password write, so
 * it counts writes on the DC's side; 0 when the password was never written.
 */
export function passwordVersion(blob: Buffer): number {
  if (blob.length < HEADER_BYTES || blob.readUInt32LE(0) !== 1) throw new Error('not a replPropertyMetaData v1 blob');
  const count = blob.readUInt32LE(8);
  for (let i = 0; i < count; i++) {
    const offset = HEADER_BYTES + i * ENTRY_BYTES;
    if (blob.readUInt32LE(offset) === UNICODE_PWD_ATTID) return blob.readUInt32LE(offset + 4);
  }
  return 0;
}

/** Password write counts of every user under `ou` (an RDN path such as 'OU=Bench'), by DN. */
export async function passwordWriteCounts(forest: SambaForest, ou: string): Promise<Map<string, number>> {
  const client = new Client({ url: forest.ldapsUrl, tlsOptions: { ca: [forest.caPem] }, timeout: 120_000 });
  try {
    await client.bind(forest.admin.dn, forest.admin.password);
    const { searchEntries } = await client.search(`${ou},${forest.baseDn}`, {
      scope: 'one',
      filter: '(objectClass=user)',
      attributes: ['replPropertyMetaData'],
      explicitBufferAttributes: ['replPropertyMetaData'],
      paged: { pageSize: 1000 },
    });
    const counts = new Map<string, number>();
    for (const entry of searchEntries) {
      const raw = entry['replPropertyMetaData'];
      const blob = Array.isArray(raw) ? raw[0] : raw;
      counts.set(entry.dn.toLowerCase(), Buffer.isBuffer(blob) ? passwordVersion(blob) : 0);
    }
    return counts;
  } finally {
    await client.unbind().catch(() => undefined);
  }
}

/** Users the DC never wrote between the two counts, and writes beyond one per user. */
export function compareWrites(
  before: ReadonlyMap<string, number>,
  after: ReadonlyMap<string, number>,
  expected: Iterable<string>,
): { lost: number; duplicated: number } {
  let lost = 0;
  let duplicated = 0;
  for (const dn of expected) {
    const key = dn.toLowerCase();
    const writes = (after.get(key) ?? 0) - (before.get(key) ?? 0);
    if (writes <= 0) lost++;
    else duplicated += writes - 1;
  }
  return { lost, duplicated };
}
