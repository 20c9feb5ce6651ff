import {
  context,
  createContextKey,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
} from '@opentelemetry/api';

const tracer = trace.getTracer('writeback');

export { SpanKind };
export type { Span };

/** The span attribute naming the operation (or configuration change) a span works for. */
export const OPERATION_ID_ATTRIBUTE = 'writeback.operation_id';

const OPERATION_ID = createContextKey('writeback.operation_id');

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** W3C traceparent of the remote parent, e.g. from a consumed message. */
  parent?: string | null;
}

/**
 * Runs `work` in a span; records failures by error name only (a message may quote input). A span
 * started while an operation is current carries its id.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span) => Promise<T>): Promise<T> {
  const parentContext = parentOf(options);
  return tracer.startActiveSpan(name, spanStart(options, parentContext), parentContext, async (span) => {
    try {
      return await work(span);
    } catch (error) {
      markFailed(span, error);
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A span that is not made active, for work whose start and end are apart (one per message of a batch). */
export interface SpanHandle {
  /** W3C traceparent naming this span as the parent, for a message header. */
  readonly traceparent: string | null;
  fail(error: unknown): void;
  end(): void;
}

export function startSpan(name: string, options: SpanOptions): SpanHandle {
  const parentContext = parentOf(options);
  const span = tracer.startSpan(name, spanStart(options, parentContext), parentContext);
  const carrier: Record<string, string> = {};
  propagation.inject(trace.setSpan(parentContext, span), carrier);
  return {
    traceparent: carrier['traceparent'] ?? null,
    fail: (error) => markFailed(span, error),
    end: () => span.end(),
  };
}

/** Marks a span failed by the error's name only: a message may quote input. */
export function markFailed(span: Span, error: unknown): void {
  span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
}

function parentOf(options: SpanOptions): Context {
  return options.parent ? propagation.extract(context.active(), { traceparent: options.parent }) : context.active();
}

function spanStart(options: SpanOptions, parentContext: Context): { kind: SpanKind; attributes: Attributes } {
  const operationId = parentContext.getValue(OPERATION_ID);
  return {
    kind: options.kind ?? SpanKind.INTERNAL,
    attributes: {
      ...(typeof operationId === 'string' ? { [OPERATION_ID_ATTRIBUTE]: operationId } : {}),
      ...options.attributes,
    },
  };
}

/**
 * Runs `work` on behalf of one operation: the active span is tagged with its id, and so are every
 * span started and every log line written inside.
 */
export function withOperation<T>(operationId: string, work: () => T): T {
  trace.getActiveSpan()?.setAttribute(OPERATION_ID_ATTRIBUTE, operationId);
  return context.with(context.active().setValue(OPERATION_ID, operationId), work);
}

/** The fields every log line carries: the current operation and the trace it belongs to. */
export function logContext(): Record<string, string> {
  const active = context.active();
  const operationId = active.getValue(OPERATION_ID);
  const span = trace.getSpan(active)?.spanContext();
  return {
    ...(typeof operationId === 'string' ? { operationId } : {}),
    ...(span && trace.isSpanContextValid(span) ? { trace_id: span.traceId, span_id: span.spanId } : {}),
  };
}

/** The active span's W3C traceparent, to put in an outgoing envelope or message header. */
export function currentTraceparent(): string | null {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier['traceparent'] ?? null;
}
