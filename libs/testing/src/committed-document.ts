import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repositoryRoot } from '@writeback/supervisor';

/**
 * A document generated from code (`npm run docs`) as committed under the repository root, for
 * tests that keep the two equal.
 */
export function committedJson(relativePath: string): unknown {
  return JSON.parse(readFileSync(join(repositoryRoot(), relativePath), 'utf8'));
}
