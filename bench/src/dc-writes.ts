import { Client } from 'ldapts';
import { passwordVersionOf } from '@writeback/directory';
import type { SambaForest } from '@writeback/testing';

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
      // The DC's own count of the user's password writes (the unicodePwd version).
      const version = passwordVersionOf(Buffer.isBuffer(blob) ? blob : undefined);
      if (version === null) throw new Error(`${entry.dn}: replPropertyMetaData is missing or malformed`);
      counts.set(entry.dn.toLowerCase(), version);
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
