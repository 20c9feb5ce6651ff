import { committedJson } from '@writeback/testing';
import { buildOpenApiDocument } from './openapi.document';

describe('docs/openapi/audit-service.json', () => {
  it('is the document audit-service serves (run `npm run docs` after changing the API)', () => {
    expect(committedJson('docs/openapi/audit-service.json')).toEqual(buildOpenApiDocument());
  });
});
