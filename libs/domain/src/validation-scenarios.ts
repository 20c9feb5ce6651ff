import type { WritebackRequest } from '@writeback/contracts';

/**
 * The seed's validation scenarios, as the requests a cloud side sends for a test account.
 * `prepare` says what must be true of the account on the DC before the request (so the
 * scenario proves something); the runner verifies the new password binds afterwards.
 */
export interface ValidationScenario {
  id: 'sspr-reset' | 'forced-change' | 'regular-change' | 'admin-reset' | 'unlock-with-reset';
  title: string;
  prepare: 'none' | 'expire-password' | 'lock-account';
  request(upn: string, administratorId: string): WritebackRequest;
}

const self = (upn: string): WritebackRequest['initiator'] => ({ id: upn, isAdministrator: false });
const target = (upn: string): WritebackRequest['target'] => ({ userPrincipalName: upn, isAdministrator: false });
const noOptions = { forceChangeAtNextLogon: false, unlockAccount: false };

export const VALIDATION_SCENARIOS: readonly ValidationScenario[] = [
  {
    id: 'sspr-reset',
    title: 'Reset password from the sign-in page',
    prepare: 'none',
    request: (upn) => ({
      kind: 'self-service-reset',
      channel: 'sspr-portal',
      initiator: self(upn),
      target: target(upn),
      options: noOptions,
    }),
  },
  {
    id: 'forced-change',
    title: 'Force expired password change',
    prepare: 'expire-password',
    request: (upn) => ({
      kind: 'forced-change',
      channel: 'change-password-page',
      initiator: self(upn),
      target: target(upn),
      options: noOptions,
    }),
  },
  {
    id: 'regular-change',
    title: 'Regular password change',
    prepare: 'none',
    request: (upn) => ({
      kind: 'change',
      channel: 'change-password-page',
      initiator: self(upn),
      target: target(upn),
      options: noOptions,
    }),
  },
  {
    id: 'admin-reset',
    title: 'Admin reset user password',
    prepare: 'none',
    request: (upn, administratorId) => ({
      kind: 'admin-reset',
      channel: 'admin-center',
      initiator: { id: administratorId, isAdministrator: true },
      target: target(upn),
      options: noOptions,
    }),
  },
  {
    id: 'unlock-with-reset',
    title: 'Self-service account unlock (with reset)',
    prepare: 'lock-account',
    request: (upn) => ({
      kind: 'self-service-reset',
      channel: 'sspr-portal',
      initiator: self(upn),
      target: target(upn),
      options: { forceChangeAtNextLogon: false, unlockAccount: true },
    }),
  },
];
