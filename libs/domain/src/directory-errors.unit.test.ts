import { classifyDirectoryFailure, type DirectoryFailure } from './directory-errors';

type Expected = [code: string, retriable: boolean];

describe('classifyDirectoryFailure', () => {
  it.each<[string, DirectoryFailure, Expected]>([
    [
      'Samba: password too short',
      {
        resultCode: 19,
        message:
          '0000052D: Constraint violation - check_password_restrictions: the password is too short. It should be equal or longer than 7 characters!',
      },
      ['AD.PASSWORD_POLICY', false],
    ],
    [
      'Samba: password within the minimum age',
      {
        resultCode: 19,
        message: '0000052D: Constraint violation - check_password_restrictions: password is too young to change!',
      },
      ['AD.PASSWORD_TOO_YOUNG', false],
    ],
    [
      'Windows: unicodePwd constraint (complexity or history)',
      {
        resultCode: 19,
        message:
          '0000052D: AtrErr: DSID-03191083, #1:\n\t0: 00000000: DSID-03190F80, problem 1005 (CONSTRAINT_ATT_TYPE), data 0, Att 9005a (unicodePwd)',
      },
      ['AD.PASSWORD_POLICY', false],
    ],
    [
      'unwilling to perform about the password',
      { resultCode: 53, message: '0000052D: SvcErr: DSID-031A120C, problem 5003 (WILL_NOT_PERFORM), data 0' },
      ['AD.PASSWORD_POLICY', false],
    ],
    [
      'a constraint violation unrelated to passwords',
      { resultCode: 19, message: '0000202F: Constraint violation - attribute value out of range' },
      ['AD.UNEXPECTED', false],
    ],
    [
      'insufficient access',
      {
        resultCode: 50,
        message: '00002098: Object CN=alice,OU=Staff,DC=corp,DC=example,DC=test has no write property access',
      },
      ['AD.INSUFFICIENT_ACCESS', true],
    ],
    [
      'invalid bind credentials',
      {
        resultCode: 49,
        message: '80090308: LdapErr: DSID-0C09044E, comment: AcceptSecurityContext error, data 52e, v4563',
      },
      ['EXECUTOR.CONFIGURATION', true],
    ],
    ['a busy DC', { resultCode: 51, message: 'busy' }, ['AD.DC_UNAVAILABLE', true]],
    ['an unavailable DC', { resultCode: 52, message: 'unavailable' }, ['AD.DC_UNAVAILABLE', true]],
    [
      'an unknown result code',
      { resultCode: 32, message: '0000208D: NameErr: DSID-03100288, problem 2001 (NO_OBJECT)' },
      ['AD.UNEXPECTED', false],
    ],
  ])('classifies %s', (_case, failure, [code, retriable]) => {
    const classified = classifyDirectoryFailure(failure);
    expect(classified.reason.code).toBe(code);
    expect(classified.retriable).toBe(retriable);
  });

  it.each([
    'ECONNREFUSED connect ECONNREFUSED 127.0.0.11:636',
    'ETIMEDOUT connect ETIMEDOUT 127.0.0.11:636',
    'ECONNRESET read ECONNRESET',
    'Connection closed',
    'getaddrinfo ENOTFOUND dc1.corp.example.test',
  ])('treats a transport failure as an unavailable DC, to retry: %s', (message) => {
    expect(classifyDirectoryFailure({ message })).toEqual({
      reason: expect.objectContaining({ code: 'AD.DC_UNAVAILABLE' }) as unknown,
      retriable: true,
    });
  });

  it.each([
    'self-signed certificate in certificate chain',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'unable to verify the first certificate',
    "Hostname/IP does not match certificate's altnames: IP: 127.0.0.11 is not in the cert's list: ",
    'CERT_HAS_EXPIRED certificate has expired',
  ])('tells a certificate problem apart from an unreachable DC: %s', (message) => {
    const classified = classifyDirectoryFailure({ message });
    expect(classified.reason.code).toBe('AD.TLS_FAILURE');
    expect(classified.retriable).toBe(true);
  });

  it('never copies raw directory text into the reason', () => {
    const message = '0000052D: Constraint violation - check_password_restrictions: the password is too short...';
    const classified = classifyDirectoryFailure({ resultCode: 19, message });
    expect(classified.reason.message).not.toContain('0000052D');
    expect(classified.reason.message).not.toContain('check_password_restrictions');
  });
});
