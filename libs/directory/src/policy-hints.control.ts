import { type Client, Control } from 'ldapts';

/** LDAP_SERVER_POLICY_HINTS_OID (Windows 2012+) and its deprecated predecessor (2008 R2). */
export const POLICY_HINTS_OIDS = ['1.2.840.113556.1.4.2239', '1.2.840.113556.1.4.2066'] as const;

/** BER of `SEQUENCE { Flags INTEGER (1) }`: apply history, age and complexity as on a user change. */
const ENABLED = Buffer.from([0x30, 0x03, 0x02, 0x01, 0x01]);
const OCTET_STRING = 0x04;

export class PolicyHintsControl extends Control {
  constructor(oid: string) {
    super(oid, { critical: true });
  }

  protected override writeControl(writer: Parameters<Control['write']>[0]): void {
    writer.writeBuffer(ENABLED, OCTET_STRING);
  }
}

/** The hints OID the DC advertises, if any. Detected, never assumed: Samba offers none, Windows DCs do. */
export async function detectPolicyHints(client: Client): Promise<string | undefined> {
  const { searchEntries } = await client.search('', {
    scope: 'base',
    filter: '(objectClass=*)',
    attributes: ['supportedControl'],
  });
  const raw = searchEntries[0]?.['supportedControl'] ?? [];
  const supported = new Set((Array.isArray(raw) ? raw : [raw]).map(String));
  return POLICY_HINTS_OIDS.find((oid) => supported.has(oid));
}
