import { Inject, Injectable } from '@nestjs/common';
import { Prisma, type Sql } from '@writeback/persistence';
import { SQL } from '@writeback/platform';

export interface ScimIdentity {
  objectGuid: string;
  domainId: string;
  userPrincipalName: string;
}

/**
 * Which domain holds a SCIM `id` (an objectGUID), as last found (ADR 0023 §3): so a push asks
 * that domain's executors, not every domain's. A hint, never the truth: the user is looked up
 * again before anything is written, and the row rewritten with what was found.
 */
@Injectable()
export class ScimIdentities {
  constructor(@Inject(SQL) private readonly sql: Sql) {}

  async find(objectGuid: string): Promise<ScimIdentity | null> {
    const [row] = await this.sql.query<ScimIdentity>(Prisma.sql`
      SELECT object_guid AS "objectGuid", domain_id AS "domainId", user_principal_name AS "userPrincipalName"
        FROM scim_identities WHERE object_guid = ${objectGuid}`);
    return row ?? null;
  }

  async found(identity: ScimIdentity): Promise<void> {
    await this.sql.execute(Prisma.sql`
      INSERT INTO scim_identities (object_guid, domain_id, user_principal_name, found_at)
      VALUES (${identity.objectGuid}, ${identity.domainId}, ${identity.userPrincipalName}, now() AT TIME ZONE 'UTC')
      ON CONFLICT (object_guid) DO UPDATE
        SET domain_id = EXCLUDED.domain_id,
            user_principal_name = EXCLUDED.user_principal_name,
            found_at = EXCLUDED.found_at`);
  }
}
