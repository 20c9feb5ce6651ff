import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureSystemDeps } from '../harness-files';
import { startSambaForest, type SambaForest } from '../samba';
import { TEST_ENV_VAR, type TestEnvironment } from '../test-environment';

/** Users every suite may use; each suite picks its own so that suites never share a password. */
const CORP_USERS = ['alice', 'bob', 'erin', 'frank', 'grace', 'heidi', 'ken', 'nina', 'olga', 'tess'];
const FABRIKAM_USERS = ['carol', 'dave', 'ivan', 'judy', 'mallory', 'oscar', 'lena', 'pete'];

const initialPassword = (sam: string): string => `Initial-${sam}-Pw1!`;

declare global {
  var __writebackForests: SambaForest[] | undefined;
}

/**
 * Starts the two disconnected forests of the seed's validation scenarios once per test run.
 * Each suite starts its own PostgreSQL and Kafka-protocol cluster (both take about a second).
 */
export default async function globalSetup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('integration tests start Samba AD DCs and add loopback addresses: run them as root');
  }
  await ensureSystemDeps();
  const workDir = await mkdtemp(join(tmpdir(), 'writeback-it-'));
  const [corp, fabrikam] = await Promise.all([
    startSambaForest({
      name: 'corp',
      realm: 'CORP.EXAMPLE.TEST',
      netbiosDomain: 'CORP',
      ip: '127.0.0.11',
      workDir: join(workDir, 'corp'),
      ous: ['Staff', 'Isolated'],
      users: [
        ...CORP_USERS.map((sam) => ({ sam, password: initialPassword(sam), ou: 'Staff' })),
        // Under an OU whose inheritance the CLI suite disables (permissions check).
        { sam: 'ursula', password: initialPassword('ursula'), ou: 'Isolated' },
      ],
    }),
    startSambaForest({
      name: 'fabrikam',
      realm: 'FABRIKAM.EXAMPLE.TEST',
      netbiosDomain: 'FABRIKAM',
      ip: '127.0.0.12',
      workDir: join(workDir, 'fabrikam'),
      ous: ['People'],
      users: FABRIKAM_USERS.map((sam) => ({ sam, password: initialPassword(sam), ou: 'People' })),
    }),
  ]);
  globalThis.__writebackForests = [corp, fabrikam];
  // JSON keeps the data and drops the live handles (stop/start), which workers cannot use.
  const strip = (forest: SambaForest): TestEnvironment['forests']['corp'] =>
    JSON.parse(JSON.stringify(forest)) as TestEnvironment['forests']['corp'];
  const environment: TestEnvironment = { workDir, forests: { corp: strip(corp), fabrikam: strip(fabrikam) } };
  const file = join(workDir, 'environment.json');
  await writeFile(file, JSON.stringify(environment), { mode: 0o600 });
  process.env[TEST_ENV_VAR] = file;
}
