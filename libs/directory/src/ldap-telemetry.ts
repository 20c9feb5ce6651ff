import { inSpan, metrics, SpanKind } from '@writeback/observability';
import { isConnectionLevel, toDirectoryError } from './directory-error';

export type LdapOperation = 'bind' | 'search' | 'modify';

/** Runs LDAP requests against one DC of one domain, each traced and measured. */
export type LdapRequests = <T>(
  operation: LdapOperation,
  attributes: Record<string, string>,
  request: () => Promise<T>,
) => Promise<T>;

/**
 * One CLIENT span per LDAP request (DC host and port, operation, LDAP result code; never a DN's
 * value, a filter's value or a password), its duration, its failure counted by result code and
 * reason, and the DC's health as the last exchange showed it.
 */
export function ldapRequests(domainId: string, url: string): LdapRequests {
  const { hostname, port } = new URL(url);
  const dc = hostname;
  return async (operation, attributes, request) => {
    const labels = { domain: domainId, dc, operation };
    const stop = metrics.ldapDuration.startTimer(labels);
    try {
      return await inSpan(
        `LDAP ${operation}`,
        {
          kind: SpanKind.CLIENT,
          attributes: {
            'server.address': dc,
            'server.port': Number(port || 636),
            'ldap.operation': operation,
            'writeback.domain.id': domainId,
            ...attributes,
          },
        },
        async (span) => {
          try {
            const result = await request();
            span.setAttribute('ldap.result_code', 0);
            metrics.dcUp.set({ domain: domainId, dc }, 1);
            return result;
          } catch (error) {
            const failure = toDirectoryError(error);
            span.setAttribute('error.type', failure.reason.code);
            if (failure.resultCode !== undefined) span.setAttribute('ldap.result_code', failure.resultCode);
            metrics.ldapErrors.inc({
              ...labels,
              result_code: failure.resultCode === undefined ? 'none' : String(failure.resultCode),
              reason: failure.reason.code,
            });
            // An answer, even a refusal, shows the DC is up; no answer shows it is not.
            metrics.dcUp.set({ domain: domainId, dc }, isConnectionLevel(failure) ? 0 : 1);
            throw error;
          }
        },
      );
    } finally {
      stop();
    }
  };
}
