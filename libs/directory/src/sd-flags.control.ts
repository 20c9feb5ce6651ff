import { Control } from 'ldapts';

/** LDAP_SERVER_SD_FLAGS_OID with DACL_SECURITY_INFORMATION: read and write the DACL only. */
export class DaclOnlyControl extends Control {
  constructor() {
    super('1.2.840.113556.1.4.801', { critical: true });
  }

  protected override writeControl(writer: Parameters<Control['write']>[0]): void {
    writer.writeBuffer(Buffer.from([0x30, 0x03, 0x02, 0x01, 0x04]), 0x04);
  }
}
