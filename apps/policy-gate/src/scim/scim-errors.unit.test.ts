import { Reasons, type ReasonKey } from '@writeback/domain';
import { SCIM_ANSWERS, scimErrorForReason, scimStatusOf } from './scim-errors';

describe('SCIM answers to an operation’s reasons (ADR 0023 §5)', () => {
  it('answers every reason code, and an unknown one with 500', () => {
    for (const key of Object.keys(Reasons) as ReasonKey[]) {
      expect(SCIM_ANSWERS[key]).toBeDefined();
      expect(scimStatusOf(Reasons[key].code)).toBe(SCIM_ANSWERS[key]);
    }
    expect(scimStatusOf('SOMETHING.NEW')).toEqual({ status: 500 });
  });

  it.each([
    ['AD.PASSWORD_POLICY', 400, 'invalidValue'],
    ['AD.PASSWORD_TOO_YOUNG', 400, 'invalidValue'],
    ['POLICY.SCIM_PUSH_DISABLED', 403, undefined],
    ['POLICY.WRITEBACK_DISABLED', 403, undefined],
    ['AD.PROTECTED_ACCOUNT', 403, undefined],
    ['SCOPE.USER_OUT_OF_SCOPE', 404, undefined],
    ['AD.USER_CHANGED', 404, undefined],
    ['TARGET.NO_MATCHING_DOMAIN', 404, undefined],
    ['AD.DC_UNAVAILABLE', 503, undefined],
    ['OPERATION.DEADLINE_EXCEEDED', 503, undefined],
    ['AD.INSUFFICIENT_ACCESS', 500, undefined],
    ['AD.UNEXPECTED', 500, undefined],
  ])('%s is %i %s', (code, status, scimType) => {
    expect(scimStatusOf(code)).toEqual({ status, ...(scimType ? { scimType } : {}) });
  });

  it('names the code, its message and the operation in the detail', () => {
    const error = scimErrorForReason(Reasons.PASSWORD_POLICY, '0b6f7c1a-2d3e-4f50-8a9b-c0d1e2f3a4b5');
    expect(error.status).toBe(400);
    expect(error.scimType).toBe('invalidValue');
    expect(error.message).toBe(
      `AD.PASSWORD_POLICY: ${Reasons.PASSWORD_POLICY.message} (operation 0b6f7c1a-2d3e-4f50-8a9b-c0d1e2f3a4b5)`,
    );
  });
});
