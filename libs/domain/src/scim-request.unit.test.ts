import { WritebackRequest, type Caller } from '@writeback/contracts';
import { scimWritebackRequest, type ScimUser } from './scim-request';

const ALICE: ScimUser = {
  userPrincipalName: 'alice@corp.example.test',
  objectGuid: '2b2ad8a4-1f0e-4d6c-9a51-0c7f2e4b9d10',
};
const OKTA: Caller = { subject: 'okta-sync', issuer: 'writeback:scim-clients' };
const NO_OPTIONS = { forceChangeAtNextLogon: false, unlockAccount: false };
const TARGET = { userPrincipalName: ALICE.userPrincipalName, isAdministrator: false, objectGuid: ALICE.objectGuid };

describe('scimWritebackRequest', () => {
  it("given scimPush=change, then the push is the user's own voluntary change", () => {
    expect(scimWritebackRequest(ALICE, 'change', OKTA)).toEqual({
      kind: 'change',
      channel: 'scim',
      initiator: { id: ALICE.userPrincipalName, isAdministrator: false },
      target: TARGET,
      options: NO_OPTIONS,
    });
  });

  it('given scimPush=admin-reset, then the push is a reset by the SCIM client, as an administrator', () => {
    expect(scimWritebackRequest(ALICE, 'admin-reset', OKTA)).toEqual({
      kind: 'admin-reset',
      channel: 'scim',
      initiator: { id: 'scim:okta-sync', isAdministrator: true },
      target: TARGET,
      options: NO_OPTIONS,
    });
  });

  it('given scimPush=off, then the push is still built (as a reset), so that it is recorded and refused', () => {
    expect(scimWritebackRequest(ALICE, 'off', OKTA)).toEqual(scimWritebackRequest(ALICE, 'admin-reset', OKTA));
  });

  it('names the client by its subject alone: two issuers with one subject read the same (the caller keeps both)', () => {
    const elsewhere = scimWritebackRequest(ALICE, 'admin-reset', { subject: 'okta-sync', issuer: 'https://idp/' });
    expect(elsewhere.initiator.id).toBe('scim:okta-sync');
  });

  it.each(['off', 'change', 'admin-reset'] as const)(
    'given scimPush=%s, then the request is one the contracts accept as it is',
    (scimPush) => {
      const request = scimWritebackRequest(ALICE, scimPush, OKTA);
      expect(WritebackRequest.parse(request)).toEqual(request);
    },
  );
});
