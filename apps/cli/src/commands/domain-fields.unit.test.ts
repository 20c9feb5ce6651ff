import type { DomainBody } from '../clients/config.client';
import { describeCa, fieldChanges } from './domain-fields';

const corp: DomainBody = {
  id: 'corp',
  displayName: 'Corp',
  ldapUrls: ['ldaps://dc1.corp.example:636'],
  baseDn: 'DC=corp,DC=example',
  upnSuffixes: ['corp.example'],
  bindDn: 'svc-writeback@corp.example',
  bindSecretRef: 'env:CORP_BIND',
  tlsCaPem: null,
  tlsServerName: null,
  publicKey: 'A'.repeat(43),
  writebackEnabled: true,
  engineOwnsDomain: true,
  allowUnlockWithoutReset: false,
  scimPush: 'off',
  policy: { refuse: [], allow: [], allowWidening: false },
  scope: { organizationalUnits: [], groups: [], ldapFilter: null, protectedGroups: [] },
  auditRetentionDays: null,
};

/** A throwaway self-signed CA (`openssl req -x509 -subj "/CN=Test Forest CA"`), valid until 2036. */
const pem = `-----BEGIN CERTIFICATE-----
MIIBiDCCAS2gAwIBAgIUKvoDrRsyu9c2cKSMolwz7bYKXUwwCgYIKoZIzj0EAwIw
GTEXMBUGA1UEAwwOVGVzdCBGb3Jlc3QgQ0EwHhcNMjYxMjA1MTc0MzM5WhcNMzYx
MjAyMTc0MzM5WjAZMRcwFQYDVQQDDA5UZXN0IEZvcmVzdCBDQTBZMBMGByqGSM49
AgEGCCqGSM49AwEHA0IABFh2DAnnOUyS5WbpSsfCKr/j7qEssB2b6PSR3TEB5itw
M3Bp7nAPLrxnUwctxtuoy0sfrd6msEgghqWn6rrev0ejUzBRMB0GA1UdDgQWBBT6
RW8iq7+kMtFyO02qmdJRI7SmJjAfBgNVHSMEGDAWgBT6RW8iq7+kMtFyO02qmdJR
I7SmJjAPBgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0kAMEYCIQCYvy2Rgj70
VyRXUrHYCVI0pEZl7fybfKySgd5H2HicLwIhALsVdkq9BvJ0ewhUmV7zJq1CXi5W
Ux7cyM/1UXpQnV0K
-----END CERTIFICATE-----
`;

describe('fieldChanges', () => {
  it('names each changed field with its value before and after, lists on one line', () => {
    const after = {
      ...corp,
      ldapUrls: ['ldaps://10.0.0.4:636', 'ldaps://10.0.0.5:636'],
      tlsServerName: 'dc1.corp.example',
      bindSecretRef: 'file:/run/secrets/corp-bind',
    };

    expect(fieldChanges(corp, after)).toEqual([
      {
        field: 'ldapUrls',
        before: 'ldaps://dc1.corp.example:636',
        after: 'ldaps://10.0.0.4:636, ldaps://10.0.0.5:636',
      },
      { field: 'bindSecretRef', before: 'env:CORP_BIND', after: 'file:/run/secrets/corp-bind' },
      { field: 'tlsServerName', before: '(none)', after: 'dc1.corp.example' },
    ]);
  });

  it('finds nothing when nothing differs', () => {
    expect(fieldChanges(corp, { ...corp, ldapUrls: [...corp.ldapUrls] })).toEqual([]);
  });

  it('shows a CA as its subject and fingerprint, never the PEM, and its absence as the system store', () => {
    const [change] = fieldChanges(corp, { ...corp, tlsCaPem: pem });

    expect(change?.before).toBe('(system store)');
    expect(change?.after).toMatch(/^CA "Test Forest CA" \(SHA-256 ([0-9A-F]{2}:){7}[0-9A-F]{2}…, until 2036-12-02\)$/);
    expect(change?.after).not.toContain('BEGIN');
    expect(describeCa('-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----')).toContain(
      'not a readable certificate',
    );
  });
});
