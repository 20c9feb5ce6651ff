import type { Reason } from '@writeback/contracts';
import { Reasons, type ReasonKey } from '@writeback/domain';
import { Types } from 'scimmy';

/** RFC 7644 §3.12's `scimType`s that Writeback answers with. */
export type ScimType = 'invalidValue' | 'invalidFilter' | 'invalidSyntax' | 'mutability' | 'tooMany';

interface ScimAnswer {
  status: 400 | 403 | 404 | 500 | 503;
  scimType?: ScimType;
}

const refused: ScimAnswer = { status: 403 };
const notFound: ScimAnswer = { status: 404 };
const tryLater: ScimAnswer = { status: 503 };
const broken: ScimAnswer = { status: 500 };

/**
 * Every reason an operation can end with, as a SCIM client hears it (ADR 0023 §5). A `Record`
 * over every key: a reason added without an answer here does not compile.
 */
export const SCIM_ANSWERS: Record<ReasonKey, ScimAnswer> = {
  TARGET_NO_MATCHING_DOMAIN: notFound,
  TARGET_MULTIPLE_DOMAINS: notFound,
  DOMAIN_WRITEBACK_DISABLED: refused,
  DOMAIN_NOT_OWNED: refused,
  OPERATION_UNSUPPORTED: refused,
  DISABLED_FOR_DOMAIN: refused,
  UNLOCK_NOT_ALLOWED: refused,
  SELF_RESET_VIA_POWERSHELL: refused,
  SELF_RESET_VIA_GRAPH_API: refused,
  ADMIN_RESET_VIA_POWERSHELL: refused,
  RESET_VIA_M365_ADMIN_CENTER: refused,
  ADMIN_RESET_OF_OWN_PASSWORD: refused,
  ADMIN_RESET_OF_ADMINISTRATOR: refused,
  INITIATOR_NOT_ADMINISTRATOR: refused,
  SCIM_PUSH_DISABLED: refused,
  USER_NOT_FOUND: notFound,
  USER_CHANGED: notFound,
  USER_OUT_OF_SCOPE: notFound,
  PROTECTED_ACCOUNT: refused,
  USER_MULTIPLE_MATCHES: notFound,
  PASSWORD_POLICY: { status: 400, scimType: 'invalidValue' },
  PASSWORD_TOO_YOUNG: { status: 400, scimType: 'invalidValue' },
  INSUFFICIENT_ACCESS: broken,
  DC_UNAVAILABLE: tryLater,
  TLS_FAILURE: broken,
  CREDENTIAL_UNREADABLE: broken,
  EXECUTOR_CONFIGURATION: broken,
  DEADLINE_EXCEEDED: tryLater,
  WRITE_UNCONFIRMED: broken,
  DIRECTORY_ERROR: broken,
};

const BY_CODE = new Map<string, ScimAnswer>(
  (Object.keys(Reasons) as ReasonKey[]).map((key) => [Reasons[key].code, SCIM_ANSWERS[key]]),
);

export function scimStatusOf(code: string): ScimAnswer {
  return BY_CODE.get(code) ?? broken;
}

/**
 * An error of Writeback's own, whose `detail` is a fixed text or a reason code and message: told
 * apart from SCIMMY's, whose messages may quote the request (a filter, a value) and are replaced.
 */
export class ScimFailure extends Types.Error {
  readonly ours = true;
}

/** An error SCIMMY passes through as it is (any other error in a handler becomes its `404`). */
export function scimError(status: number, scimType: ScimType | null, detail: string): ScimFailure {
  return new ScimFailure(status, scimType as string, detail);
}

/** An operation's refusal or failure as a SCIM error: `<CODE>: <message> (operation <id>)`. */
export function scimErrorForReason(reason: Reason, operationId: string): ScimFailure {
  const answer = scimStatusOf(reason.code);
  return scimError(
    answer.status,
    answer.scimType ?? null,
    `${reason.code}: ${reason.message} (operation ${operationId})`,
  );
}
