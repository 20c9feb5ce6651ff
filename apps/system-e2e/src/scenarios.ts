import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from 'pg';
import type { KafkaCluster } from '@writeback/testing';

const run = promisify(execFile);

export const adminReset = (upn: string, newPassword: string): Record<string, unknown> => ({
  kind: 'admin-reset',
  channel: 'admin-center',
  initiator: { id: 'helpdesk-admin@cloud.example', isAdministrator: true },
  target: { userPrincipalName: upn, isAdministrator: false },
  options: { forceChangeAtNextLogon: false, unlockAccount: false },
  newPassword,
});

/** Every record on the given topics, read with kcat (librdkafka), a client other than ours. */
export async function kafkaRecords(kafka: KafkaCluster, topics: string[]): Promise<string> {
  const dumps = await Promise.all(
    topics.map(async (topic) => {
      const { stdout } = await run(
        'kcat',
        [
          '-b',
          kafka.bootstrapServers.join(','),
          '-C',
          '-t',
          topic,
          '-o',
          'beginning',
          '-e',
          '-q',
          '-f',
          '%t %k %h %s\\n',
        ],
        { maxBuffer: 64 * 1024 * 1024, timeout: 30_000 },
      );
      return stdout;
    }),
  );
  return dumps.join('\n');
}

/** Every row of every table in the database, as text. */
export async function databaseDump(connectionString: string): Promise<string> {
  const client = new Client({ connectionString });
  await client.connect();
  try {
    const { rows: tables } = await client.query<{ name: string }>(
      `SELECT format('%I.%I', schemaname, tablename) AS name FROM pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')`,
    );
    const parts: string[] = [];
    for (const { name } of tables) {
      const { rows } = await client.query<{ row: string }>(`SELECT t::text AS row FROM ${name} t`);
      parts.push(`${name}\n${rows.map((r) => r.row).join('\n')}`);
    }
    return parts.join('\n');
  } finally {
    await client.end();
  }
}

/**
 * The forms a leaked password could take in text: as is, URL-encoded (path or query, form),
 * JSON-escaped (once, and twice as in a JSON string inside JSON), and base64/base64url/hex of
 * UTF-8 and UTF-16LE.
 */
export function leakForms(password: string): string[] {
  const utf8 = Buffer.from(password, 'utf8');
  const utf16 = Buffer.from(`"${password}"`, 'utf16le');
  const jsonEscaped = JSON.stringify(password).slice(1, -1);
  return [
    ...new Set([
      password,
      encodeURIComponent(password),
      new URLSearchParams({ p: password }).toString().slice('p='.length),
      jsonEscaped,
      JSON.stringify(jsonEscaped).slice(1, -1),
      ...[utf8, utf16].flatMap((b) => [b.toString('base64'), b.toString('base64url'), b.toString('hex')]),
    ]),
  ];
}
