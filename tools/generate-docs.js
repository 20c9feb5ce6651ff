#!/usr/bin/env node
// Regenerates the documents that are derived from code (run after `npm run build`):
// docs/openapi/*.json, docs/asyncapi/*, docs/scim/* and the matrix table in docs/policy.md. Tests fail when
// the committed copies drift from the code.
const { readFileSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const { renderPolicyMatrixMarkdown } = require(join(root, 'libs/domain/dist'));
const contracts = require(join(root, 'libs/contracts/dist'));
const { mkdirSync } = require('node:fs');

for (const service of ['policy-gate', 'audit-service', 'config-service']) {
  const { buildOpenApiDocument: build } = require(join(root, `apps/${service}/dist/openapi/openapi.document`));
  writeFileSync(join(root, `docs/openapi/${service}.json`), `${JSON.stringify(build(), null, 2)}\n`);
}

mkdirSync(join(root, 'docs/asyncapi'), { recursive: true });
const json = (value) => `${JSON.stringify(value, null, 2)}\n`;
writeFileSync(join(root, 'docs/asyncapi', contracts.AUDIT_SCHEMA_FILE), json(contracts.auditMessageJsonSchema()));
writeFileSync(join(root, 'docs/asyncapi/audit.asyncapi.json'), json(contracts.auditAsyncApiDocument()));

const policyDoc = join(root, 'docs/policy.md');
const markdown = readFileSync(policyDoc, 'utf8');
const [head, rest] = markdown.split('<!-- matrix:start -->');
const [, tail] = rest.split('<!-- matrix:end -->');
writeFileSync(policyDoc, `${head}<!-- matrix:start -->\n${renderPolicyMatrixMarkdown()}\n<!-- matrix:end -->${tail}`);
const { scimDiscoveryDocuments } = require(join(root, 'apps/policy-gate/dist/scim/scimmy-setup'));
mkdirSync(join(root, 'docs/scim'), { recursive: true });
scimDiscoveryDocuments().then((documents) => {
  for (const [name, document] of Object.entries(documents)) {
    writeFileSync(join(root, 'docs/scim', `${name}.json`), json(document));
  }
  process.stdout.write('docs/openapi, docs/asyncapi, docs/scim and docs/policy.md regenerated\n');
});
