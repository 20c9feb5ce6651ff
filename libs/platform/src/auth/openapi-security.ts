import { Scopes } from './bearer-auth.guard';

/** The bearer scheme of every service's OpenAPI document, with the scopes the APIs ask for. */
export const BEARER_SECURITY_SCHEMES = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description:
      `A JWT from the configured issuer (WRITEBACK_AUTH_ISSUER, WRITEBACK_AUTH_AUDIENCE), its scopes in the \`scope\` claim. ` +
      `\`${Scopes.operator}\`: changes configuration, runs audit retention, lists and replays dead letters, and reads everything an auditor reads. ` +
      `\`${Scopes.auditor}\`: reads the audit trail and the domains' configuration (the gate's, executors' and audit service's own token for reading configuration has it too). ` +
      `\`${Scopes.scim}\`: pushes passwords over SCIM (the gate's /scim/v2), and nothing else. ` +
      "The gate's operations take any valid token. Only health, metrics, the OpenAPI documents and the gate's SCIM discovery are open.",
  },
} as const;

/**
 * An operation's security requirement and its 401/403 answers: any valid token, or one with
 * one of `scopes` (OpenAPI 3.1 lists them as the bearer scheme's roles).
 */
export function tokenRequired(scopes: readonly string[] = []): {
  security: Array<Record<string, string[]>>;
  responses: Record<string, { description: string }>;
} {
  return {
    security: scopes.length > 0 ? scopes.map((scope) => ({ bearer: [scope] })) : [{ bearer: [] }],
    responses: {
      '401': { description: 'Missing or invalid bearer token.' },
      ...(scopes.length > 0
        ? { '403': { description: `The token has none of the scopes ${scopes.join(', ')}.` } }
        : {}),
    },
  };
}
