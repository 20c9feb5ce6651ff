import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '@writeback/supervisor';
import type { ZodType } from 'zod';
import { SharedSettings } from './service-config';
import { SERVICE_SETTINGS_SCHEMAS } from './settings';

/** How README.md's "used by" column names each service. */
const SHORT_NAMES: Record<keyof typeof SERVICE_SETTINGS_SCHEMAS, string> = {
  'policy-gate': 'gate',
  'writeback-executor': 'executor',
  'audit-service': 'audit',
  'config-service': 'config',
};

/** Placeholders for the settings that have no default, so that a parse yields every default. */
const REQUIRED = {
  WRITEBACK_DATABASE_URL: 'postgresql://placeholder',
  WRITEBACK_CONFIG_SERVICE_URL: 'http://placeholder',
  WRITEBACK_EXECUTOR_DOMAINS: 'placeholder',
  WRITEBACK_EXECUTOR_KEY_DIR: 'placeholder',
};

interface Row {
  usedBy: string;
  defaultText: string;
}

/** README.md's Configuration table, by variable (a row may name several). */
function documented(): Map<string, Row> {
  const readme = readFileSync(join(repositoryRoot(), 'README.md'), 'utf8');
  const section = readme.split('\n## Configuration\n')[1]?.split('\n## ')[0] ?? '';
  const rows = new Map<string, Row>();
  for (const line of section.split('\n').filter((l) => l.startsWith('| `'))) {
    const [names = '', usedBy = '', defaultText = ''] = line.split(' | ');
    for (const [, name] of names.matchAll(/`([A-Z0-9_<>]+)`/g)) rows.set(name ?? '', { usedBy, defaultText });
  }
  return rows;
}

/** Every variable of a schema with its default as the environment would spell it (undefined: none). */
function defaultsOf(schema: ZodType): Map<string, string | undefined> {
  const parsed = schema.parse(REQUIRED) as Record<string, string | number | undefined>;
  const shape = (schema as unknown as { shape: Record<string, unknown> }).shape;
  return new Map(
    Object.keys(shape).map((name) => {
      const value = name in REQUIRED ? undefined : parsed[name];
      return [name, value === undefined ? undefined : String(value)];
    }),
  );
}

/** What the table gets wrong about a schema: a variable missing, its service or its default. */
function mismatches(rows: Map<string, Row>, schema: ZodType, service?: string): string[] {
  const wrong: string[] = [];
  for (const [name, fallback] of defaultsOf(schema)) {
    const row = rows.get(name);
    if (!row) wrong.push(`${name} is not listed`);
    else if (service && !new RegExp(`^all|\\b${service}\\b`).test(row.usedBy))
      wrong.push(`${name} is not used by ${service}`);
    else if (fallback !== undefined && !row.defaultText.includes(`\`${fallback}\``)) {
      wrong.push(`${name}'s default is \`${fallback}\`, not ${row.defaultText}`);
    }
  }
  return wrong;
}

describe("README.md's Configuration table", () => {
  const rows = documented();

  it('lists every setting every service reads, with its default', () => {
    expect(mismatches(rows, SharedSettings)).toEqual([]);
  });

  it.each(Object.entries(SERVICE_SETTINGS_SCHEMAS))(
    'lists every setting of %s, naming the service, with its default',
    (service, schema) => {
      expect(mismatches(rows, schema, SHORT_NAMES[service as keyof typeof SHORT_NAMES])).toEqual([]);
    },
  );
});
