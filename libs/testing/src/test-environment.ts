import { readFileSync } from 'node:fs';
import type { SambaForest } from './samba';

/** What the jest global setup started, as test workers see it (no live handles). */
export type ForestInfo = Omit<SambaForest, 'stop' | 'start'>;

export interface TestEnvironment {
  workDir: string;
  forests: { corp: ForestInfo; fabrikam: ForestInfo };
}

export const TEST_ENV_VAR = 'WRITEBACK_TEST_ENV';

export function testEnvironment(): TestEnvironment {
  const file = process.env[TEST_ENV_VAR];
  if (!file) throw new Error(`${TEST_ENV_VAR} is unset: run integration tests through jest's integration project`);
  return JSON.parse(readFileSync(file, 'utf8')) as TestEnvironment;
}

/** A seeded user of a forest, by sAMAccountName. */
export function forestUser(forest: ForestInfo, sam: string): ForestInfo['users'][number] {
  const user = forest.users.find((u) => u.sam === sam);
  if (!user) throw new Error(`forest ${forest.name} has no seeded user ${sam}`);
  return user;
}
