import { DirectoryError } from '@writeback/directory';
import { Reasons } from '@writeback/domain';
import {
  clockSkewFinding,
  doctorPassed,
  domainControllerFinding,
  minimumPasswordAgeFinding,
  type Finding,
  policyHintsFinding,
  runChecks,
  scopeFinding,
} from './doctor-checks';

describe('doctor checks', () => {
  it("fails a minimum password age above 0 with the seed's consequence and fix", () => {
    const finding = minimumPasswordAgeFinding('corp', 86_400);
    expect(finding.status).toBe('fail');
    expect(finding.detail).toContain('1 day(s)');
    expect(finding.detail).toContain('AD.PASSWORD_TOO_YOUNG');
    expect(finding.detail).toContain('Minimum password age');
    expect(minimumPasswordAgeFinding('corp', 0).status).toBe('pass');
  });

  it('grades clock skew: fine within a minute, a warning within five, a failure beyond', () => {
    expect(clockSkewFinding('corp', 'dc', -30).status).toBe('pass');
    expect(clockSkewFinding('corp', 'dc', 120).status).toBe('warn');
    expect(clockSkewFinding('corp', 'dc', -301).status).toBe('fail');
  });

  it("fails, rather than passing as 'NaN s', when the DC's clock cannot be read", () => {
    for (const unreadable of [Number.NaN, undefined]) {
      const finding = clockSkewFinding('corp', 'dc', unreadable);
      expect(finding.status).toBe('fail');
      expect(finding.detail).toContain("the DC's clock could not be read");
      expect(finding.detail).not.toContain('NaN');
    }
  });

  it('records a check that throws as a failing finding and runs the checks after it', async () => {
    const later: Finding = { domain: 'corp', check: 'scope objects', status: 'pass', detail: 'whole domain' };
    const findings = await runChecks(
      'corp',
      [
        {
          check: 'minimum password age',
          run: () => Promise.reject(new Error('insufficientAccessRights reading the domain root')),
        },
        { check: 'scope objects', run: () => Promise.resolve(later) },
        { check: 'more', run: () => Promise.resolve([later, later]) },
      ],
      (error) => (error as Error).message,
    );
    expect(findings).toEqual([
      {
        domain: 'corp',
        check: 'minimum password age',
        status: 'fail',
        detail: 'could not be checked: insufficientAccessRights reading the domain root',
      },
      later,
      later,
      later,
    ]);
    expect(doctorPassed(findings)).toBe(false);
  });

  it('warns, without failing, when a DC offers no policy hints', () => {
    const finding = policyHintsFinding('corp', 'dc', null);
    expect(finding.status).toBe('warn');
    expect(doctorPassed([finding])).toBe(true);
    expect(policyHintsFinding('corp', 'dc', '1.2.840.113556.1.4.2239').status).toBe('pass');
  });

  it('names the classified failure of an unreachable or untrusted DC', () => {
    const error = new DirectoryError(
      { reason: Reasons.TLS_FAILURE, retriable: true },
      'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    );
    const finding = domainControllerFinding('corp', { url: 'ldaps://dc1', ok: false, error });
    expect(finding.status).toBe('fail');
    expect(finding.detail).toContain('AD.TLS_FAILURE');
    expect(doctorPassed([finding])).toBe(false);
  });

  it('says a certificate refused for its names is trusted, lists the names it has and points to --tls-server-name', () => {
    const error = new DirectoryError(
      { reason: Reasons.TLS_FAILURE, retriable: true },
      "ERR_TLS_CERT_ALTNAME_INVALID Hostname/IP does not match certificate's altnames: IP: 10.0.0.4 is not in the cert's list: ",
    );
    const probe = {
      url: 'ldaps://10.0.0.4:636',
      ok: false,
      error,
      certificateNames: ['DNS:dc1.corp.example', 'DNS:corp.example'],
    };

    const finding = domainControllerFinding('corp', probe);

    expect(finding.status).toBe('fail');
    expect(finding.detail).toContain('the certificate is trusted by the configured CA');
    expect(finding.detail).not.toContain('not trusted');
    expect(finding.detail).toContain('its names do not include 10.0.0.4');
    expect(finding.detail).toContain('it names DNS:dc1.corp.example, DNS:corp.example');
    expect(finding.detail).toContain('writeback domains set --domain corp --tls-server-name dc1.corp.example');
    expect(finding.detail).toContain('ERR_TLS_CERT_ALTNAME_INVALID');
  });

  it('names the configured TLS server name, not the URL host, when that is the name refused', () => {
    const error = new DirectoryError({ reason: Reasons.TLS_FAILURE, retriable: true }, 'ERR_TLS_CERT_ALTNAME_INVALID');
    const probe = { url: 'ldaps://10.0.0.4:636', ok: false, error, certificateNames: ['DNS:dc1.corp.example'] };

    const finding = domainControllerFinding('corp', probe, 'dc9.corp.example');

    expect(finding.detail).toContain('its names do not include dc9.corp.example');
    expect(finding.detail).not.toContain('the URL may keep the address');
  });

  it('lists scope objects that do not exist', () => {
    const missing = scopeFinding('corp', 2, ['OU=Gone,DC=corp']);
    expect(missing.status).toBe('fail');
    expect(missing.detail).toContain('OU=Gone,DC=corp');
    expect(scopeFinding('corp', 0, []).detail).toBe('whole domain');
  });
});
