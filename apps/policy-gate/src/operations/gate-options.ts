import type { GateSettings } from '@writeback/platform';

export const GATE_OPTIONS = Symbol('GateOptions');

export interface GateOptions {
  /** How long an accepted operation may wait for an executor before it ends `failed` (ADR 0011). */
  deadlineMs: number;
  /** Requests one caller (token subject) may send per minute; 0 turns the limit off. */
  callerRequestsPerMinute: number;
  /** Requests for one target user per minute, whoever sends them; 0 turns the limit off. */
  targetRequestsPerMinute: number;
}

/** The gate's options from its settings, as validated at start (GateSettings). */
export function gateOptionsOf(settings: GateSettings): GateOptions {
  return {
    deadlineMs: settings.WRITEBACK_OPERATION_DEADLINE_MS,
    callerRequestsPerMinute: settings.WRITEBACK_RATE_LIMIT_PER_CALLER,
    targetRequestsPerMinute: settings.WRITEBACK_RATE_LIMIT_PER_TARGET,
  };
}
