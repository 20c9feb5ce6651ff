import { CreateOperationRequest } from './gate-api';

const unlock = {
  kind: 'unlock',
  channel: 'sspr-portal',
  initiator: { id: 'alice@corp.example.test', isAdministrator: false },
  target: { userPrincipalName: 'alice@corp.example.test' },
};

describe('CreateOperationRequest', () => {
  it('takes an unlock without a password', () => {
    expect(CreateOperationRequest.safeParse(unlock).success).toBe(true);
  });

  it('refuses an unlock that carries a password, naming the field', () => {
    const parsed = CreateOperationRequest.safeParse({ ...unlock, newPassword: 'N3w-Passw0rd!' });
    expect(parsed.success).toBe(false);
    expect(parsed.error?.issues.map((i) => [i.path, i.message])).toEqual([
      [['newPassword'], 'an unlock carries no password: omit newPassword, or send a reset with options.unlockAccount'],
    ]);
  });

  it('still takes a reset that also unlocks', () => {
    const reset = {
      ...unlock,
      kind: 'self-service-reset',
      options: { forceChangeAtNextLogon: false, unlockAccount: true },
      newPassword: 'N3w-Passw0rd!',
    };
    expect(CreateOperationRequest.safeParse(reset).success).toBe(true);
  });
});
