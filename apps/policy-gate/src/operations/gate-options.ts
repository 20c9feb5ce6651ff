import { ConfigurationError } from '@writeback/platform';
import { z } from 'zod';

export const GATE_OPTIONS = Symbol('GateOptions');

export interface GateOptions {
  /** How long an accepted operation may wait for an executor before it ends `failed` (ADR 0011). */
  deadlineMs: number;
  /** Requests one caller (token subject) may send per minute; 0 turns the limit off. */
  callerRequestsPerMinute: number;
  /** Requests for one target user per minute, whoever sends them; 0 turns the limit off. */
  targetRequestsPerMinute: number;
}

const Env = z.object({
  WRITEBACK_OPERATION_DEADLINE_MS: z.coerce.number().int().min(1000).max(86_400_000).default(120_000),
  WRITEBACK_RATE_LIMIT_PER_CALLER: z.coerce.number().int().min(0).max(1_000_000).default(600),
  WRITEBACK_RATE_LIMIT_PER_TARGET: z.coerce.number().int().min(0).max(1_000_000).default(10),
});

export function gateOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): GateOptions {
  const parsed = Env.safeParse(env);
  if (!parsed.success) {
    throw new ConfigurationError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  return {
    deadlineMs: parsed.data.WRITEBACK_OPERATION_DEADLINE_MS,
    callerRequestsPerMinute: parsed.data.WRITEBACK_RATE_LIMIT_PER_CALLER,
    targetRequestsPerMinute: parsed.data.WRITEBACK_RATE_LIMIT_PER_TARGET,
  };
}
