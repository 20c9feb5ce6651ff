import type { EventEnvelope } from '@writeback/contracts';
import { metrics, secondsSince } from '@writeback/observability';
import type { Appended } from '../store/operation-store';

/** The reason code of a policy refusal; undefined for an approval. */
export const rejectionCode = (decision: EventEnvelope | undefined): string | undefined =>
  decision?.type === 'WritebackRejected' ? decision.data.reason.code : undefined;

/** The policy stage's time, from the request to its decision, once the decision is recorded. */
export function observeDecision(appended: Appended | null, requested: EventEnvelope): void {
  if (!appended || appended.state.status === 'initial') return;
  metrics.stageDuration.observe(
    { stage: 'policy', domain: appended.state.domainId ?? 'none' },
    secondsSince(requested.occurredAt),
  );
}

/**
 * Counts an operation once, when an append the gate made ended it (its own rejection, its
 * deadline, or the executor's outcome). A redelivered event appends nothing, and an event that
 * arrives after the end (an executor's failure after the deadline's) appends without counting.
 */
export function observeEnd(appended: Appended | null): void {
  const last = appended?.events.at(-1);
  if (!appended?.ended || !last || appended.state.status === 'initial') return;
  const { state } = appended;
  const labels = { kind: state.request.kind, domain: state.domainId ?? 'none', outcome: state.status };
  metrics.operations.inc({ ...labels, reason: state.reason?.code ?? '' });
  metrics.operationDuration.observe(
    labels,
    Math.max(0, (Date.parse(last.occurredAt) - Date.parse(appended.requestedAt)) / 1000),
  );
}
