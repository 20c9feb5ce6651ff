#!/usr/bin/env node
// Regenerates the documents that are derived from code (run after `npm run build`):
// docs/openapi/policy-gate.json and the matrix table in docs/policy.md. Tests fail when
// the committed copies drift from the code.
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { buildOpenApiDocument } = require(join(root, 'apps/policy-gate/dist/openapi/openapi.document'));
const { renderPolicyMatrixMarkdown } = require(join(root, 'libs/domain/dist'));

writeFileSync(join(root, 'docs/openapi/policy-gate.json'), `${JSON.stringify(buildOpenApiDocument(), null, 2)}\n`);

const policyDoc = join(root, 'docs/policy.md');
const markdown = readFileSync(policyDoc, 'utf8');
const [head, rest] = markdown.split('<!-- matrix:start -->');
const [, tail] = rest.split('<!-- matrix:end -->');
writeFileSync(policyDoc, `${head}<!-- matrix:start -->\n${renderPolicyMatrixMarkdown()}\n<!-- matrix:end -->${tail}`);
process.stdout.write('docs/openapi/policy-gate.json and docs/policy.md regenerated\n');
