import { CreateOperationRequest, operationCursor, OperationQuery } from './gate-api';

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

describe('OperationQuery', () => {
  const id = '0b6a3f52-6f0e-4c53-9d0e-2f8a6c1e9b41';

  it('reads back the cursor a page ended with: the last creation time and id', () => {
    const cursor = operationCursor('2026-12-05T09:00:00.123Z', id);

    expect(OperationQuery.parse({ cursor }).cursor).toEqual({
      createdAt: new Date('2026-12-05T09:00:00.123Z'),
      operationId: id,
    });
  });

  it('takes every filter as a query string gives it, with a limit of 50 by default', () => {
    expect(
      OperationQuery.parse({
        domainId: 'corp',
        status: 'failed',
        reasonCode: 'AD.PASSWORD_TOO_YOUNG',
        since: '2026-12-05',
      }),
    ).toEqual({
      domainId: 'corp',
      status: 'failed',
      reasonCode: 'AD.PASSWORD_TOO_YOUNG',
      since: new Date('2026-12-05T00:00:00.000Z'),
      limit: 50,
    });
  });

  it('refuses what is not a cursor, a status or an instant with its zone, naming the field', () => {
    const fields = (query: Record<string, string>): unknown =>
      OperationQuery.safeParse(query).error?.issues.map((i) => i.path.join('.'));

    expect(fields({ cursor: 'yesterday' })).toEqual(['cursor']);
    expect(fields({ cursor: `1.${id.toUpperCase()}` })).toEqual(['cursor']);
    expect(fields({ status: 'lost' })).toEqual(['status']);
    expect(fields({ since: '2026-12-05T09:00:00' })).toEqual(['since']);
    expect(fields({ limit: '501' })).toEqual(['limit']);
    expect(fields({ domainId: 'a\u0000b' })).toEqual(['domainId']);
  });
});
