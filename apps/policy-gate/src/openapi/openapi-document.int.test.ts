import { committedJson } from '@writeback/testing';
import { buildOpenApiDocument } from './openapi.document';

describe('docs/openapi/policy-gate.json', () => {
  it('is the document policy-gate serves (run `npm run docs` after changing the API)', () => {
    expect(committedJson('docs/openapi/policy-gate.json')).toEqual(buildOpenApiDocument());
  });
});
