import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildOpenApiDocument } from './openapi.document';

describe('docs/openapi/audit-service.json', () => {
  it('is the document the audit service serves (run `npm run docs` after changing the API)', () => {
    const committed: unknown = JSON.parse(
      readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'openapi', 'audit-service.json'), 'utf8'),
    );
    expect(committed).toEqual(buildOpenApiDocument());
  });
});
