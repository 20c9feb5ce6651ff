import { committedJson } from '@writeback/testing';
import { buildOpenApiDocument } from './openapi.document';

describe('docs/openapi/config-service.json', () => {
  it('is the document config-service serves (run `npm run docs` after changing the API)', () => {
    expect(committedJson('docs/openapi/config-service.json')).toEqual(buildOpenApiDocument());
  });
});
