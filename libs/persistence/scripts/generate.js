#!/usr/bin/env node
'use strict';
/**
 * Generates the Prisma client into src/generated/prisma, offline, before `tsc -b`.
 *
 *   node libs/persistence/scripts/generate.js [--force]
 *
 * Skips when the generated client is newer than every input (schema, prisma.config.ts, this
 * script, the installed prisma CLI). Set WRITEBACK_PRISMA_GENERATE_FORCE=1 or pass --force to
 * regenerate anyway.
 *
 * Offline: Prisma 7's CLI wants to download its schema-engine binary on start even though
 * `generate` never runs it; pointing PRISMA_SCHEMA_ENGINE_BINARY at any existing file stops
 * that. Telemetry and update checks are switched off too.
 */
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const libDir = path.resolve(__dirname, '..');
const configFile = path.join(libDir, 'prisma.config.ts');
const schemaFile = path.join(libDir, 'prisma', 'schema.prisma');
const outputMarker = path.join(libDir, 'src', 'generated', 'prisma', 'client.ts');

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return undefined;
  }
}

function main() {
  let prismaCli;
  let prismaPackageJson;
  try {
    prismaPackageJson = require.resolve('prisma/package.json', { paths: [libDir] });
    prismaCli = path.join(path.dirname(prismaPackageJson), 'build', 'index.js');
  } catch {
    console.error('[persistence] prisma CLI not found: is the `prisma` devDependency installed?');
    return 1;
  }

  const force = process.argv.includes('--force') || process.env.WRITEBACK_PRISMA_GENERATE_FORCE === '1';
  const generatedAt = mtime(outputMarker);
  const inputs = [schemaFile, configFile, __filename, prismaPackageJson];
  const newestInput = Math.max(...inputs.map((f) => mtime(f) ?? Infinity));
  if (!force && generatedAt !== undefined && generatedAt > newestInput) {
    console.log('[persistence] Prisma client is up to date (src/generated/prisma); skipping generate');
    return 0;
  }

  const fakeEngine = ['/bin/true', '/usr/bin/true'].find((f) => fs.existsSync(f)) ?? process.execPath;
  const env = {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY || fakeEngine,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
    CHECKPOINT_DISABLE: '1',
    PRISMA_ENGINES_CHECKSUM_IGNORE_MISSING: '1',
  };
  // Start from an empty output directory so models removed from the schema leave no stale files.
  fs.rmSync(path.dirname(outputMarker), { recursive: true, force: true });
  const started = Date.now();
  const result = spawnSync(process.execPath, [prismaCli, 'generate', '--config', configFile], {
    cwd: libDir,
    env,
    stdio: 'inherit',
  });
  if (result.error) {
    console.error(`[persistence] could not run prisma generate: ${result.error.message}`);
    return 1;
  }
  if (result.status !== 0) {
    console.error(`[persistence] prisma generate failed (exit ${result.status ?? result.signal})`);
    return result.status || 1;
  }
  if (!fs.existsSync(outputMarker)) {
    console.error(`[persistence] prisma generate succeeded but ${outputMarker} is missing`);
    return 1;
  }
  console.log(`[persistence] Prisma client generated in ${Date.now() - started} ms`);
  return 0;
}

process.exitCode = main();
