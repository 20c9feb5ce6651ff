import type { DomainControllerProbe } from '@writeback/directory';

export type Status = 'pass' | 'warn' | 'fail' | 'skip';

export interface Finding {
  /** The domain a finding is about; null for the system as a whole. */
  domain: string | null;
  check: string;
  status: Status;
  detail: string;
}

const SKEW_WARN_SECONDS = 60;
/** Kerberos' default tolerance; beyond it DCs refuse tickets and timestamps stop agreeing. */
const SKEW_FAIL_SECONDS = 300;

/** `skewSeconds` is not a number when the DC's currentTime was missing or unreadable. */
export function clockSkewFinding(domain: string, dc: string, skewSeconds: number | undefined): Finding {
  if (skewSeconds === undefined || !Number.isFinite(skewSeconds)) {
    return {
      domain,
      check: `clock skew ${dc}`,
      status: 'fail',
      detail: "the DC's clock could not be read (rootDSE currentTime missing or not a GeneralizedTime)",
    };
  }
  const abs = Math.abs(skewSeconds);
  const status: Status = abs > SKEW_FAIL_SECONDS ? 'fail' : abs > SKEW_WARN_SECONDS ? 'warn' : 'pass';
  return {
    domain,
    check: `clock skew ${dc}`,
    status,
    detail:
      status === 'pass'
        ? `${skewSeconds} s`
        : `${skewSeconds} s between this machine and the DC: keep both on NTP (more than ${SKEW_FAIL_SECONDS} s breaks Kerberos and makes audit timestamps disagree)`,
  };
}

function humanDuration(seconds: number): string {
  if (seconds % 86_400 === 0) return `${seconds / 86_400} day(s)`;
  if (seconds % 3600 === 0) return `${seconds / 3600} hour(s)`;
  return `${seconds} s`;
}

/** The seed's troubleshooting item: writeback needs the minimum password age to be 0. */
export function minimumPasswordAgeFinding(domain: string, seconds: number): Finding {
  return seconds === 0
    ? { domain, check: 'minimum password age', status: 'pass', detail: '0' }
    : {
        domain,
        check: 'minimum password age',
        status: 'fail',
        detail:
          `${humanDuration(seconds)}: a user who changed or reset a password cannot have it written back again until ` +
          `it has passed; once on-premises policies are evaluated the DC refuses the write (AD.PASSWORD_TOO_YOUNG). ` +
          `Set "Minimum password age" to 0 (gpmc.msc: Computer Configuration > Policies > Windows Settings > ` +
          `Security Settings > Account Policies > Password Policy), then let it replicate or run gpupdate /force.`,
      };
}

export function policyHintsFinding(domain: string, dc: string, oid: string | null): Finding {
  return oid
    ? {
        domain,
        check: `policy hints ${dc}`,
        status: 'pass',
        detail: `supported (${oid}): writebacks are held to on-premises history, age and complexity rules`,
      }
    : {
        domain,
        check: `policy hints ${dc}`,
        status: 'warn',
        detail:
          'the DC does not advertise the password policy hints control: writebacks are applied as administrator resets, ' +
          'which skip on-premises password history and minimum age (Windows Server 2008 R2 and later advertise it; Samba does not)',
      };
}

/**
 * A certificate refused for its names only: the CA is trusted, the host the CLI checked (the
 * URL's, or the configured TLS server name) is not among the names it carries.
 */
function nameMismatchFinding(domain: string, probe: DomainControllerProbe, tlsServerName: string | null): Finding {
  const host = tlsServerName ?? new URL(probe.url).hostname;
  const names = probe.certificateNames ?? [];
  const dnsName = names.find((n) => n.startsWith('DNS:'))?.slice(4);
  return {
    domain,
    check: `LDAPS ${probe.url}`,
    status: 'fail',
    detail:
      `the certificate is trusted by the configured CA, but its names do not include ${host} ` +
      `(it names ${names.length > 0 ? names.join(', ') : 'nothing the client could read'}): ` +
      `set the name it carries with \`writeback domains set --domain ${domain} --tls-server-name ${dnsName ?? '<name>'}\`` +
      `${tlsServerName ? '' : ' (the URL may keep the address)'} (ERR_TLS_CERT_ALTNAME_INVALID)`,
  };
}

export function domainControllerFinding(
  domain: string,
  probe: DomainControllerProbe,
  tlsServerName: string | null = null,
): Finding {
  if (!probe.ok && (probe.certificateNames || probe.error?.detail.includes('ERR_TLS_CERT_ALTNAME_INVALID'))) {
    return nameMismatchFinding(domain, probe, tlsServerName);
  }
  return probe.ok
    ? {
        domain,
        check: `LDAPS ${probe.url}`,
        status: 'pass',
        detail: `reached ${probe.dnsHostName ?? ''}, certificate trusted, service account bound`,
      }
    : {
        domain,
        check: `LDAPS ${probe.url}`,
        status: 'fail',
        detail: `${probe.error?.reason.code ?? 'AD.ERROR'}: ${probe.error?.message ?? ''} (${probe.error?.detail ?? ''})`,
      };
}

export function scopeFinding(domain: string, checked: number, missing: readonly string[]): Finding {
  return missing.length === 0
    ? { domain, check: 'scope objects', status: 'pass', detail: checked === 0 ? 'whole domain' : `${checked} found` }
    : {
        domain,
        check: 'scope objects',
        status: 'fail',
        detail: `not found (nobody below or in them can be written back): ${missing.join('; ')}`,
      };
}

export interface Check {
  check: string;
  run: () => Promise<Finding | Finding[]>;
}

/**
 * Runs checks one after another; one that throws becomes a failing finding with the reason,
 * and the rest still run, so a report is never cut short by its first error.
 */
export async function runChecks(
  domain: string | null,
  checks: readonly Check[],
  describe: (error: unknown) => string,
): Promise<Finding[]> {
  const findings: Finding[] = [];
  for (const { check, run } of checks) {
    try {
      findings.push(...[await run()].flat());
    } catch (error) {
      findings.push({ domain, check, status: 'fail', detail: `could not be checked: ${describe(error)}` });
    }
  }
  return findings;
}

/** Exit status of a doctor run: failed when any check failed; warnings do not fail it. */
export const doctorPassed = (findings: readonly Finding[]): boolean => findings.every((f) => f.status !== 'fail');
