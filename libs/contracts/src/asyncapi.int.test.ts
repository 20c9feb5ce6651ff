import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AUDIT_SCHEMA_FILE, auditAsyncApiDocument, auditMessageJsonSchema } from './asyncapi';

const docs = join(__dirname, '..', '..', '..', 'docs', 'asyncapi');
const read = (file: string): unknown => JSON.parse(readFileSync(join(docs, file), 'utf8'));

describe('docs/asyncapi', () => {
  it('publishes the audit message schema the code produces (run `npm run docs` after a change)', () => {
    expect(read(AUDIT_SCHEMA_FILE)).toEqual(auditMessageJsonSchema());
  });

  it('publishes the AsyncAPI document of the audit topic', () => {
    expect(read('audit.asyncapi.json')).toEqual(auditAsyncApiDocument());
  });
});
