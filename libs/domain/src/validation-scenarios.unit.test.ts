import { decidePolicy } from './policy';
import { VALIDATION_SCENARIOS } from './validation-scenarios';

describe('validation scenarios', () => {
  it('covers the five scenarios of the seed, each a request the policy writes back', () => {
    expect(VALIDATION_SCENARIOS.map((s) => s.id)).toEqual([
      'sspr-reset',
      'forced-change',
      'regular-change',
      'admin-reset',
      'unlock-with-reset',
    ]);
    for (const scenario of VALIDATION_SCENARIOS) {
      const request = scenario.request('test.user@corp.example', 'writeback-validate');
      const decision = decidePolicy(request, 'resolved', {
        id: 'corp',
        writebackEnabled: true,
        engineOwnsDomain: true,
        allowUnlockWithoutReset: false,
        scimPush: 'off',
        policy: { refuse: [], allow: [], allowWidening: false },
      });
      expect({ scenario: scenario.id, approved: decision.approved }).toEqual({ scenario: scenario.id, approved: true });
    }
  });
});
