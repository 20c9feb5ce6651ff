import type { GateSettings } from '@writeback/platform';

export const SCIM_OPTIONS = Symbol('ScimOptions');

export interface ScimOptions {
  /** How long a push's answer waits for the operation's outcome before `503` (ADR 0023 §5). */
  waitMs: number;
  /** How long a lookup waits for a domain's executors before `503`. */
  lookupTimeoutMs: number;
}

export function scimOptionsOf(settings: GateSettings): ScimOptions {
  return {
    waitMs: settings.WRITEBACK_SCIM_WAIT_SECONDS * 1000,
    lookupTimeoutMs: settings.WRITEBACK_SCIM_LOOKUP_TIMEOUT_MS,
  };
}
