import { rm } from 'node:fs/promises';
import { TEST_ENV_VAR } from '../test-environment';
import { dirname } from 'node:path';

export default async function globalTeardown(): Promise<void> {
  globalThis.__writebackForestControl?.close();
  globalThis.__writebackForestControl = undefined;
  await Promise.all((globalThis.__writebackForests ?? []).map((forest) => forest.stop()));
  globalThis.__writebackForests = undefined;
  const file = process.env[TEST_ENV_VAR];
  if (file && process.env['WRITEBACK_KEEP_TEST_DIRS'] !== 'true')
    await rm(dirname(file), { recursive: true, force: true });
}
