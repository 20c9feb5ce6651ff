import { inSpan, metrics, SpanKind } from '@writeback/observability';
import { isConnectionLevel, toDirectoryError } from './directory-error';

export type LdapOperation = 'bind' | 'search' | 'modify';

/** Runs LDAP requests against one DC of one domain, each traced and measured. */
export type LdapRequests = <T>(
  operation: LdapOperation,
  attributes: Record<string, string>,
  request: () => Promise<T>,
) => Promise<T>;

/** The DCs each domain has a `writeback_dc_up` series for. */
const reportedDcs = new Map<string, Set<string>>();

function reportDcUp(domainId: string, dc: string, up: boolean): void {
  metrics.dcUp.set({ domain: domainId, dc }, up ? 1 : 0);
  let dcs = reportedDcs.get(domainId);
  if (!dcs) reportedDcs.set(domainId, (dcs = new Set()));
  dcs.add(dc);
}

/**
 * Drops the health series of the domain's DCs that are no longer among `urls`: a DC removed
 * from the configuration would otherwise stay at 0 until restart, and its alert fire forever.
 */
export function retainDcs(domainId: string, urls: readonly string[]): void {
  const kept = new Set(urls.map((url) => new URL(url).hostname));
  const dcs = reportedDcs.get(domainId);
  for (const dc of dcs ?? []) {
    if (kept.has(dc)) continue;
    metrics.dcUp.remove({ domain: domainId, dc });
    dcs?.delete(dc);
  }
}

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
            reportDcUp(domainId, dc, true);
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
            reportDcUp(domainId, dc, !isConnectionLevel(failure));
            throw error;
          }
        },
      );
    } finally {
      stop();
    }
  };
}
