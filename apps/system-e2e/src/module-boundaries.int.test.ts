import { spawnSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '@writeback/supervisor';

interface LintResult {
  filePath: string;
  messages: Array<{ ruleId: string | null; message: string }>;
}

const probes = {
  nest: ['libs/domain/src', "import { Injectable } from '@nestjs/common';\nexport const probe = Injectable;\n"],
  kafkajs: ['libs/domain/src', "import { Kafka } from 'kafkajs';\nexport const probe = Kafka;\n"],
  ldapts: ['libs/domain/src', "import { Client } from 'ldapts';\nexport const probe = Client;\n"],
  otel: ['libs/domain/src', "import { trace } from '@opentelemetry/api';\nexport const probe = trace;\n"],
  prisma: [
    'libs/domain/src',
    "import { createPrismaClient } from '@writeback/persistence';\nexport const probe = createPrismaClient;\n",
  ],
  contracts: ['libs/domain/src', "import { Topics } from '@writeback/contracts';\nexport const probe = Topics;\n"],
  harness: ['apps/policy-gate/src', "import { waitFor } from '@writeback/testing';\nexport const probe = waitFor;\n"],
  gateToDirectory: [
    'apps/policy-gate/src',
    "import { LdapDirectory } from '@writeback/directory';\nexport const probe = LdapDirectory;\n",
  ],
  sharedToAudit: [
    'libs/messaging/src',
    "import { AuditLedger } from '@writeback/audit-ledger';\nexport const probe = AuditLedger;\n",
  ],
  cliToDirectory: [
    'apps/cli/src',
    "import { LdapDirectory } from '@writeback/directory';\nexport const probe = LdapDirectory;\n",
  ],
} as const;

/**
 * The layering is a lint rule; this proves the rule bans what the architecture says it bans.
 * Type-aware linting reads files from disk, so the probes are real (git-ignored, build-excluded)
 * files for the moment of one ESLint run.
 */
describe('module boundaries', () => {
  const root = repositoryRoot();
  const found = new Map<string, string[]>();

  beforeAll(() => {
    const files = Object.entries(probes).map(([name, [dir, code]]) => {
      const file = join(root, dir, `${name}-${process.pid}.probe.ts`);
      writeFileSync(file, code);
      return [name, file] as const;
    });
    try {
      // Its own process: ESLint's flat config is ESM, which jest's module loader cannot import.
      const run = spawnSync(
        join(root, 'node_modules', '.bin', 'eslint'),
        ['--format', 'json', ...files.map(([, f]) => f)],
        {
          cwd: root,
          encoding: 'utf8',
          env: { ...process.env, NX_DAEMON: 'false' },
          maxBuffer: 16 * 1024 * 1024,
        },
      );
      const results = JSON.parse(run.stdout || '[]') as LintResult[];
      for (const [name, file] of files) {
        const messages = results.find((r) => r.filePath === file)?.messages ?? [];
        found.set(
          name,
          messages.filter((m) => m.ruleId === '@nx/enforce-module-boundaries').map((m) => m.message),
        );
      }
    } finally {
      for (const [, file] of files) rmSync(file, { force: true });
    }
  });

  it.each(['nest', 'kafkajs', 'ldapts', 'otel', 'prisma'])('keeps the %s import out of the pure domain', (name) => {
    expect(found.get(name)).toEqual([expect.stringMatching(/type:domain/)]);
  });

  it('lets the domain use its contracts', () => {
    expect(found.get('contracts')).toEqual([]);
  });

  it('keeps the test harness out of production code', () => {
    expect(found.get('harness')).toEqual([expect.stringMatching(/type:app/)]);
  });

  it('keeps the directory adapter, which reaches AD, out of the gate', () => {
    expect(found.get('gateToDirectory')).toEqual([expect.stringMatching(/scope:gate/)]);
  });

  it('keeps one service’s library out of the shared ones', () => {
    expect(found.get('sharedToAudit')).toEqual([expect.stringMatching(/scope:shared/)]);
  });

  it('lets the operator’s CLI run the executor’s AD checks', () => {
    expect(found.get('cliToDirectory')).toEqual([]);
  });
});
