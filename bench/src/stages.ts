import { summarize, type LatencySummary } from './stats';

export interface StageInput {
  sentAt: number;
  acceptedAt: number;
  endedAt: number;
  sentEpochMs: number;
  history: ReadonlyArray<{ type: string; occurredAt: string }>;
}

/** What the executor logged for one operation ('writeback finished'). */
export interface ExecutorTiming {
  durationMs: number;
  ldapMs: number;
}

export const STAGES = [
  'gate: POST until 202 (seal, decide, commit)',
  'gate: requested → decided (at the edge, ADR 0016)',
  'queue: decided → executor picks it up (outbox, message bus)',
  'executor, without LDAP (config, key, unseal, outcome)',
  'LDAP: find user, write (incl. pool wait)',
  'completion: applied → caller told (outbox, message bus, gate, long poll)',
] as const;

/**
 * Splits each operation's time along its history (every process runs on one clock here) and the
 * executor's own timing, then summarises each stage over all operations that have every mark.
 */
export function stageLatencies(
  samples: readonly StageInput[],
  executor: ReadonlyMap<string, ExecutorTiming>,
  operationIdOf: (sample: StageInput) => string,
): Record<string, LatencySummary> {
  const series: number[][] = STAGES.map(() => []);
  for (const sample of samples) {
    const at = (type: string): number | undefined => {
      const event = sample.history.find((h) => h.type === type);
      return event ? Date.parse(event.occurredAt) : undefined;
    };
    const requested = at('PasswordChangeRequested');
    const decided = at('WritebackApproved');
    const applied = at('WritebackApplied');
    const timing = executor.get(operationIdOf(sample));
    if (requested === undefined || decided === undefined || applied === undefined || !timing) continue;
    const endedEpochMs = sample.sentEpochMs + (sample.endedAt - sample.sentAt);
    const values = [
      sample.acceptedAt - sample.sentAt,
      decided - requested,
      applied - timing.durationMs - decided,
      timing.durationMs - timing.ldapMs,
      timing.ldapMs,
      endedEpochMs - applied,
    ];
    values.forEach((value, index) => series[index]?.push(value));
  }
  return Object.fromEntries(STAGES.map((stage, index) => [stage, summarize(series[index] ?? [])]));
}

/** The executor's 'writeback finished' lines, by operation id. */
export function executorTimings(logText: string): Map<string, ExecutorTiming> {
  const timings = new Map<string, ExecutorTiming>();
  for (const line of logText.split('\n')) {
    if (!line.includes('writeback finished')) continue;
    try {
      const entry = JSON.parse(line) as { operationId?: string; durationMs?: number; ldapMs?: number };
      if (entry.operationId && typeof entry.durationMs === 'number' && typeof entry.ldapMs === 'number') {
        timings.set(entry.operationId, { durationMs: entry.durationMs, ldapMs: entry.ldapMs });
      }
    } catch {
      // Not a JSON log line (a crash trace, say): nothing to learn from it.
    }
  }
  return timings;
}
