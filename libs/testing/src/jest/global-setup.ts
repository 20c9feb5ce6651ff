import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ensureSystemDeps } from '../harness-files';
import { ensureJaegerBinary } from '../jaeger';
import { startSambaForest, type SambaForest } from '../samba';
import { TEST_ENV_VAR, type TestEnvironment } from '../test-environment';

/** Users every suite may use; each suite picks its own so that suites never share a password. */
const CORP_USERS = [
  'alice',
  'bob',
  'erin',
  'frank',
  'grace',
  'heidi',
  'ken',
  'nina',
  'olga',
  'tess',
  'quinn',
  'ruth',
  'sven',
  'uma',
  'vera',
  'wendy',
  // The SCIM suite's.
  'yara',
];
const FABRIKAM_USERS = ['carol', 'dave', 'ivan', 'judy', 'mallory', 'oscar', 'lena', 'pete', 'xavier', 'yusuf'];

const initialPassword = (sam: string): string => `Initial-${sam}-Pw1!`;

/** Users of the fault-injection suite only, in both forests (`fault-user-001`, ...). */
const FAULT_USERS_PER_FOREST = 40;
const FAULT_USERS = Array.from(
  { length: FAULT_USERS_PER_FOREST },
  (_, i) => `fault-user-${String(i + 1).padStart(3, '0')}`,
);

declare global {
  var __writebackForests: SambaForest[] | undefined;
  var __writebackForestControl: Server | undefined;
}

/**
 * Starts the two disconnected forests of the seed's validation scenarios once per test run.
 * Each suite starts its own PostgreSQL and Kafka-protocol cluster (both take about a second).
 */
/**
 * The forests' loopback addresses. `WRITEBACK_TEST_FOREST_IPS=A,B` moves them, so that two
 * checkouts on one machine can run their integration suites side by side.
 */
function forestIps(): [string, string] {
  const raw = process.env['WRITEBACK_TEST_FOREST_IPS'];
  if (!raw) return ['127.0.0.11', '127.0.0.12'];
  const ips = raw.split(',').map((ip) => ip.trim());
  if (ips.length !== 2 || !ips[0] || !ips[1] || ips[0] === ips[1]) {
    throw new Error(`WRITEBACK_TEST_FOREST_IPS needs two different addresses, got ${raw}`);
  }
  return [ips[0], ips[1]];
}

export default async function globalSetup(): Promise<void> {
  if (process.getuid?.() !== 0) {
    throw new Error('integration tests start Samba AD DCs and add loopback addresses: run them as root');
  }
  await ensureSystemDeps();
  // Minutes on a fresh machine, so here rather than inside a suite's hook timeout; cached after.
  await ensureJaegerBinary();
  const workDir = await mkdtemp(join(tmpdir(), 'writeback-it-'));
  const [corpIp, fabrikamIp] = forestIps();
  const [corp, fabrikam] = await Promise.all([
    startSambaForest({
      name: 'corp',
      realm: 'CORP.EXAMPLE.TEST',
      netbiosDomain: 'CORP',
      ip: corpIp,
      workDir: join(workDir, 'corp'),
      ous: ['Staff', 'Isolated'],
      users: [
        ...CORP_USERS.map((sam) => ({ sam, password: initialPassword(sam), ou: 'Staff' })),
        // Under an OU whose inheritance the CLI suite disables (permissions check).
        { sam: 'ursula', password: initialPassword('ursula'), ou: 'Isolated' },
        ...FAULT_USERS.map((sam) => ({ sam, password: initialPassword(sam), ou: 'Faults' })),
      ],
    }),
    startSambaForest({
      name: 'fabrikam',
      realm: 'FABRIKAM.EXAMPLE.TEST',
      netbiosDomain: 'FABRIKAM',
      ip: fabrikamIp,
      workDir: join(workDir, 'fabrikam'),
      ous: ['People'],
      users: [
        ...FABRIKAM_USERS.map((sam) => ({ sam, password: initialPassword(sam), ou: 'People' })),
        ...FAULT_USERS.map((sam) => ({ sam, password: initialPassword(sam), ou: 'Faults' })),
      ],
    }),
  ]);
  globalThis.__writebackForests = [corp, fabrikam];
  // JSON keeps the data and drops the live handles (stop/start), which workers cannot use.
  const strip = (forest: SambaForest): TestEnvironment['forests']['corp'] =>
    JSON.parse(JSON.stringify(forest)) as TestEnvironment['forests']['corp'];
  const forestControlUrl = await startForestControl([corp, fabrikam]);
  const environment: TestEnvironment = {
    workDir,
    forests: { corp: strip(corp), fabrikam: strip(fabrikam) },
    forestControlUrl,
  };
  const file = join(workDir, 'environment.json');
  await writeFile(file, JSON.stringify(environment), { mode: 0o600 });
  process.env[TEST_ENV_VAR] = file;
}

/** Test workers cannot stop a DC started here; this loopback endpoint does it for them. */
async function startForestControl(forests: SambaForest[]): Promise<string> {
  const server = createServer((request, response) => {
    const match = /^\/forests\/([a-z]+)\/(stop|start)$/.exec(request.url ?? '');
    const forest = forests.find((f) => f.name === match?.[1]);
    if (request.method !== 'POST' || !match || !forest) {
      response.writeHead(404).end();
      return;
    }
    (match[2] === 'stop' ? forest.stop() : forest.start()).then(
      () => response.writeHead(204).end(),
      (error: unknown) => response.writeHead(500).end(error instanceof Error ? error.message : String(error)),
    );
  });
  // Jest waits for its own work, not for this server: it must not keep the run alive.
  server.unref();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  globalThis.__writebackForestControl = server;
  const address = server.address() as AddressInfo;
  return `http://127.0.0.1:${address.port}`;
}
