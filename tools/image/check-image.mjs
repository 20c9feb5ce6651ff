#!/usr/bin/env node
// Inspects and runs the image test-image.sh built: what is in it (no dev dependencies, no test
// code, a numeric non-root user owning nothing), then, from the image, the CLI's --help, the
// migration against a PostgreSQL started here and each service until /health/ready answers.
// Everything listens on 127.0.0.1; buildah's chroot isolation shares the host's network.
//
// Usage: check-image.mjs <image>   (environment: as test-image.sh sets it)
import { spawn } from 'node:child_process';
import { lstat, mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const require = createRequire(import.meta.url);
const repo = join(import.meta.dirname, '..', '..');
const { readMigrations, startEmbeddedPostgres } = require(join(repo, 'libs/persistence/dist/index.js'));
const { Client } = require('pg');

const image = process.argv[2];
const storage = process.env.WRITEBACK_IMAGE_DIR;
const runroot = process.env.WRITEBACK_IMAGE_RUNROOT;
if (!image || !storage || !runroot) {
  process.stderr.write('usage: WRITEBACK_IMAGE_DIR=… WRITEBACK_IMAGE_RUNROOT=… check-image.mjs <image>\n');
  process.exit(2);
}

// Packages that must never reach the image, named so that the report says what was looked for.
const DEV_TOOLS = ['jest', 'ts-jest', 'typescript', 'eslint', 'nx', '@nx/js', 'prettier', 'prisma', 'patch-package'];
const TEST_FILE = /(\.(test|spec)\.[cm]?[jt]s(\.map)?|\.ts(\.map)?|^tsconfig.*\.json|^jest\.config\..*)$/;
const SERVICE_START_MS = 90_000;
const SERVICE_STOP_MS = 30_000;

const buildahArgs = (args) => [
  '--root',
  join(storage, 'storage'),
  '--runroot',
  runroot,
  '--storage-driver',
  'vfs',
  ...args,
];

/** Runs buildah to completion; resolves with its exit code and output, never rejects on a code. */
function buildah(args, { input } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn('buildah', buildahArgs(args), { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? signal, stdout, stderr }));
    child.stdin.end(input ?? '');
  });
}

async function buildahOk(args) {
  const result = await buildah(args);
  if (result.code !== 0) throw new Error(`buildah ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout.trim();
}

const runArgs = (container, env, command) => [
  'run',
  '--isolation',
  'chroot',
  '--network',
  'host',
  ...Object.entries(env).flatMap(([name, value]) => ['--env', `${name}=${value}`]),
  container,
  '--',
  ...command,
];

const tail = (text, lines = 20) => text.trim().split('\n').slice(-lines).join('\n');

async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Every file and link under `dir` (not following links), skipping directories `skip` accepts. */
async function* walk(dir, skip = () => false) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (!skip(entry.name, path)) yield* walk(path, skip);
    } else yield path;
  }
}

/** Installed package directories under a node_modules tree, as package-lock.json keys. */
async function* installedPackages(app, dir = join(app, 'node_modules')) {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.name.startsWith('@') && entry.isDirectory()) {
      yield* installedPackages(app, path);
      continue;
    }
    if (!entry.isDirectory()) continue; // workspace links are checked on their own
    yield relative(app, path);
    const nested = join(path, 'node_modules');
    if (await stat(nested).catch(() => undefined)) yield* installedPackages(app, nested);
  }
}

const results = [];
async function check(name, fn) {
  try {
    const detail = await fn();
    results.push({ name, ok: true });
    process.stdout.write(`image:test: ok   ${name}${detail ? `: ${detail}` : ''}\n`);
  } catch (error) {
    results.push({ name, ok: false });
    process.stdout.write(`image:test: FAIL ${name}: ${error instanceof Error ? error.message : String(error)}\n`);
  }
}

async function main() {
  const info = JSON.parse(await buildahOk(['inspect', '--type', 'image', image]));
  const config = info.OCIv1.config ?? {};
  const container = await buildahOk(['from', '--pull=false', '--name', `writeback-image-test-${process.pid}`, image]);
  let database;
  let dataDir;
  const services = [];
  try {
    const root = await buildahOk(['mount', container]);
    const app = join(root, config.WorkingDir ?? '/app');

    await check('size', async () => {
      const [listed] = JSON.parse(await buildahOk(['images', '--json', image]));
      const modules = await bytesUnder(join(app, 'node_modules'));
      return `${listed.size} (${mb(await bytesUnder(root))} unpacked, ${mb(modules)} of it /app/node_modules)`;
    });

    const uid = Number(String(config.User ?? '').split(':')[0]);
    await check('runs as a numeric non-root user', async () => {
      if (!/^\d+(:\d+)?$/.test(config.User ?? '') || uid === 0) {
        throw new Error(`USER is "${config.User ?? ''}"; Kubernetes' runAsNonRoot needs a numeric uid other than 0`);
      }
      const { code, stdout, stderr } = await buildah(runArgs(container, {}, ['id', '-u']));
      if (code !== 0 || stdout.trim() !== String(uid)) {
        throw new Error(`\`id -u\` in the image gave "${stdout.trim()}" (exit ${code}) ${stderr.trim()}`);
      }
      return `USER ${config.User}, id -u = ${stdout.trim()}`;
    });

    await check('the application is read-only for its user', async () => {
      const writable = [];
      for await (const file of walk(app)) {
        const entry = await lstat(file);
        if (entry.uid === uid || (entry.mode & 0o002 && !entry.isSymbolicLink())) writable.push(relative(app, file));
      }
      if (writable.length) throw new Error(`writable by uid ${uid}: ${writable.slice(0, 10).join(', ')}`);
    });

    await check('no dev dependencies', async () => {
      const lock = JSON.parse(await readFile(join(app, 'package-lock.json'), 'utf8')).packages;
      const devOnly = [];
      let count = 0;
      for await (const key of installedPackages(app)) {
        count++;
        const entry = lock[key];
        if (!entry || entry.dev || entry.devOptional) devOnly.push(key.replace(/^node_modules\//, ''));
      }
      const tools = [];
      for (const name of DEV_TOOLS) {
        if (await stat(join(app, 'node_modules', name)).catch(() => undefined)) tools.push(name);
      }
      if (tools.length || devOnly.length) {
        throw new Error(
          [
            tools.length ? `dev tools: ${tools.join(', ')}` : '',
            devOnly.length ? `dev-only: ${devOnly.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; '),
        );
      }
      return `${count} packages, all production dependencies; absent: ${DEV_TOOLS.join(', ')}`;
    });

    await check('no test code, sources or dangling workspace links', async () => {
      const found = [];
      for await (const file of walk(app, (name) => name === 'node_modules')) {
        const name = relative(app, file);
        const base = file.split('/').pop();
        if (TEST_FILE.test(base) && !/\.d\.ts(\.map)?$/.test(name)) found.push(name);
        else if (name.split('/').some((part) => part === 'src' || part === '__tests__')) found.push(name);
        else if (base === 'package.json') {
          const tags = JSON.parse(await readFile(file, 'utf8')).nx?.tags ?? [];
          if (tags.includes('type:testing')) found.push(`${name} (a type:testing project)`);
        }
      }
      const links = join(app, 'node_modules', '@writeback');
      for (const link of await readdir(links).catch(() => [])) {
        if (!(await stat(join(links, link)).catch(() => undefined)))
          found.push(`node_modules/@writeback/${link} (dangling)`);
      }
      if (found.length)
        throw new Error(found.slice(0, 15).join(', ') + (found.length > 15 ? ` and ${found.length - 15} more` : ''));
    });

    await check('the CLI answers --help', async () => {
      const { code, stdout, stderr } = await buildah(
        runArgs(container, {}, ['node', 'apps/cli/dist/main.js', '--help']),
      );
      if (code !== 0 || !stdout.includes('Usage: writeback')) throw new Error(`exit ${code}\n${tail(stdout + stderr)}`);
    });

    dataDir = await mkdtemp(join(tmpdir(), 'writeback-image-test-'));
    database = await startEmbeddedPostgres({ dataDir });
    const databaseUrl = database.connectionString;

    await check('the migration applies every migration', async () => {
      const env = { DATABASE_URL: databaseUrl };
      const { code, stdout, stderr } = await buildah(
        runArgs(container, env, ['node', 'libs/persistence/dist/migrate.cli.js']),
      );
      if (code !== 0) throw new Error(`exit ${code}\n${tail(stdout + stderr)}`);
      const migrations = await readMigrations(join(app, 'libs/persistence/prisma/migrations'));
      const tables = migrations.flatMap((m) => [...m.sql.matchAll(/CREATE TABLE "([^"]+)"/g)].map((match) => match[1]));
      const client = new Client({ connectionString: databaseUrl });
      await client.connect();
      try {
        const applied = await client.query(
          'SELECT migration_name FROM "_prisma_migrations" WHERE finished_at IS NOT NULL ORDER BY migration_name',
        );
        const names = applied.rows.map((row) => row.migration_name);
        const missing = migrations.map((m) => m.name).filter((name) => !names.includes(name));
        if (missing.length) throw new Error(`not recorded as applied: ${missing.join(', ')}`);
        const existing = await client.query(
          "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'",
        );
        const have = new Set(existing.rows.map((row) => row.table_name));
        const absent = tables.filter((table) => !have.has(table));
        if (absent.length) throw new Error(`tables missing: ${absent.join(', ')}`);
        return `${names.length} migrations, ${tables.length} tables`;
      } finally {
        await client.end();
      }
    });

    // config-service first: the gate and the executor read domain configuration from it.
    const common = {
      WRITEBACK_DATABASE_URL: databaseUrl,
      WRITEBACK_MIGRATE_ON_START: 'false',
      WRITEBACK_HTTP_HOST: '127.0.0.1',
      WRITEBACK_AUTH_MODE: 'none',
    };
    const configService = await startService(container, 'config-service', common);
    services.push(configService);
    await check('config-service answers /health/ready', () => configService.ready);
    const configUrl = { WRITEBACK_CONFIG_SERVICE_URL: configService.url };
    for (const [name, env] of [
      ['policy-gate', { ...common, ...configUrl }],
      ['writeback-executor', { ...common, ...configUrl, WRITEBACK_EXECUTOR_DOMAINS: '*' }],
      ['audit-service', { ...common, ...configUrl }],
    ]) {
      services.push(await startService(container, name, env));
    }
    await Promise.all(
      services.slice(1).map((service) => check(`${service.name} answers /health/ready`, () => service.ready)),
    );
  } finally {
    for (const service of services) await check(`${service.name} stops cleanly on SIGTERM`, () => service.stop());
    await database?.stop().catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
    await buildah(['rm', container]);
  }
  const failed = results.filter((r) => !r.ok);
  // The plain closing line CI reads (`N passed, N failed`): the image checks are the last thing
  // `npm test` runs, so this is the line its whole run closes on.
  process.stdout.write(`image: ${results.length - failed.length} passed, ${failed.length} failed\n`);
  if (failed.length) process.exitCode = 1;
}

async function bytesUnder(dir) {
  let bytes = 0;
  for await (const file of walk(dir)) bytes += (await lstat(file)).size;
  return bytes;
}

const mb = (bytes) => `${(bytes / 1e6).toFixed(0)} MB`;

/**
 * Starts `node apps/<name>/dist/main.js` from the image on a free loopback port. `ready` resolves
 * once GET /health/ready answers 200; `stop()` sends SIGTERM and expects exit 0.
 */
async function startService(container, name, env) {
  const port = await freePort();
  const portVariable = `WRITEBACK_${name.toUpperCase().replaceAll('-', '_')}_PORT`;
  const command = ['node', `apps/${name}/dist/main.js`];
  const child = spawn('buildah', buildahArgs(runArgs(container, { ...env, [portVariable]: String(port) }, command)), {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk) => (output += chunk));
  child.stderr.on('data', (chunk) => (output += chunk));
  let exitCode;
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve((exitCode = code ?? signal))));
  const url = `http://127.0.0.1:${port}`;

  const ready = (async () => {
    const started = Date.now();
    let last = 'no answer';
    while (exitCode === undefined && Date.now() - started < SERVICE_START_MS) {
      try {
        const response = await fetch(`${url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        last = `${response.status} ${await response.text()}`;
        if (response.status === 200) return `after ${((Date.now() - started) / 1000).toFixed(1)} s`;
      } catch (error) {
        last = error instanceof Error ? (error.cause?.code ?? error.message) : String(error);
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    const why = exitCode !== undefined ? `exited ${exitCode} first` : `no 200 within ${SERVICE_START_MS} ms`;
    throw new Error(`${why} (last: ${last})\n${tail(output)}`);
  })();
  ready.catch(() => undefined); // reported by whoever awaits it

  const stop = async () => {
    if (exitCode !== undefined) throw new Error(`had already exited ${exitCode}`);
    // buildah's chroot isolation answers its own SIGTERM with SIGKILL to the command; a pod's
    // runtime signals the command itself, so that is what is signalled here.
    const service = await descendant(child.pid, 'node');
    if (service) process.kill(service, 'SIGTERM');
    else child.kill('SIGTERM');
    const stopped = await Promise.race([
      exited.then(() => true),
      new Promise((resolve) => setTimeout(() => resolve(false), SERVICE_STOP_MS)),
    ]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
      throw new Error(`still running ${SERVICE_STOP_MS} ms after SIGTERM`);
    }
    if (exitCode !== 0) throw new Error(`exited ${exitCode}\n${tail(output)}`);
  };
  return { name, url, ready, stop };
}

/** The first process named `name` below `pid` (buildah, then its chroot helpers, then the command). */
async function descendant(pid, name) {
  const parents = new Map();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'utf8').catch(() => '');
    // pid (comm) state ppid ...: comm may contain spaces, so split after its closing parenthesis.
    const close = stat.lastIndexOf(')');
    if (close < 0) continue;
    const comm = stat.slice(stat.indexOf('(') + 1, close);
    const ppid = Number(stat.slice(close + 2).split(' ')[1]);
    parents.set(Number(entry), { comm, ppid });
  }
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift();
    for (const [child, { comm, ppid }] of parents) {
      if (ppid !== parent) continue;
      if (comm === name) return child;
      queue.push(child);
    }
  }
  return undefined;
}

await main();
