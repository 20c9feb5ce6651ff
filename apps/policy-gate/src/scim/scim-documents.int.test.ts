import { committedJson } from '@writeback/testing';
import { scimDiscoveryDocuments } from './scimmy-setup';

describe('docs/scim/*.json', () => {
  it.each(['ServiceProviderConfig', 'ResourceTypes', 'Schemas'])(
    '%s is what the gate serves (run `npm run docs` after changing the SCIM setup)',
    async (name) => {
      expect(committedJson(`docs/scim/${name}.json`)).toEqual((await scimDiscoveryDocuments())[name]);
    },
  );

  it('serves only the attributes Writeback fills, the password among them as never returned', async () => {
    const { Schemas } = (await scimDiscoveryDocuments()) as {
      Schemas: { Resources: Array<{ id: string; attributes: Array<{ name: string; returned: string }> }> };
    };
    const user = Schemas.Resources.find((s) => s.id === 'urn:ietf:params:scim:schemas:core:2.0:User');
    expect(user?.attributes.map((a) => a.name).sort()).toEqual(
      ['active', 'displayName', 'emails', 'name', 'password', 'userName'].sort(),
    );
    expect(user?.attributes.find((a) => a.name === 'password')?.returned).toBe('never');
  });
});
