import { readFileSync } from 'node:fs';
import type { SambaForest } from './samba';

/** What the jest global setup started, as test workers see it (no live handles). */
export type ForestInfo = Omit<SambaForest, 'stop' | 'start'>;

export interface TestEnvironment {
  workDir: string;
  forests: { corp: ForestInfo; fabrikam: ForestInfo };
  /**
   * The global setup's control endpoint (loopback): `POST /forests/<name>/stop|start` stops or
   * starts a forest's DC, which only the process that started it can do.
   */
  forestControlUrl: string;
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

/** Stops or starts a forest's DC through the global setup (for fault tests); waits until done. */
export async function controlForest(name: string, action: 'stop' | 'start'): Promise<void> {
  const response = await fetch(new URL(`/forests/${name}/${action}`, testEnvironment().forestControlUrl), {
    method: 'POST',
  });
  if (!response.ok) throw new Error(`${action} of forest ${name} failed: ${response.status} ${await response.text()}`);
}

/** The users seeded for the fault-injection suite only (`fault-user-NNN`), in seeding order. */
export function faultUsers(forest: ForestInfo): ForestInfo['users'] {
  return forest.users.filter((u) => u.sam.startsWith('fault-user-'));
}
