import {
  applyDecorators,
  Catch,
  Controller,
  UseFilters,
  type ArgumentsHost,
  type RpcExceptionFilter,
} from '@nestjs/common';
import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { isObservable, lastValueFrom, throwError, type Observable } from 'rxjs';
import type { IncomingMessage, MessageBus, Subscription } from '../message-bus';

export interface BusServerOptions {
  /** Prefix of consumer group ids; each `@EventPattern` gets its own group. */
  groupIdPrefix: string;
  /** Maps an `@EventPattern` name to the topics it consumes (default: the name itself). */
  topics?: Record<string, ReadonlyArray<string | RegExp>>;
  /** `@EventPattern` names whose groups are quiet (`SubscriptionSpec.quiet`). */
  quiet?: readonly string[];
}

/**
 * NestJS transport over the project's MessageBus, so consumers are ordinary
 * `@EventPattern` controllers whatever the transport underneath (Kafka or PostgreSQL).
 * Unlike Nest's built-in event dispatch, a handler's failure reaches the bus, which then
 * retries or dead-letters it.
 */
export class BusServer extends Server implements CustomTransportStrategy {
  private readonly subscriptions: Subscription[] = [];

  constructor(
    private readonly bus: MessageBus,
    private readonly options: BusServerOptions,
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const pattern of this.messageHandlers.keys()) {
        this.subscriptions.push(
          await this.bus.subscribe({
            groupId: `${this.options.groupIdPrefix}.${pattern}`,
            topics: this.options.topics?.[pattern] ?? [pattern],
            handler: (message) => this.dispatch(pattern, message),
            ...(this.options.quiet?.includes(pattern) ? { quiet: true } : {}),
          }),
        );
      }
      callback();
    } catch (error) {
      callback(error);
    }
  }

  private async dispatch(pattern: string, message: IncomingMessage): Promise<void> {
    const handler = this.getHandlerByPattern(pattern);
    if (!handler) throw new Error(`no handler for ${pattern}`);
    const result: unknown = await handler(message);
    if (isObservable(result)) await lastValueFrom(result, { defaultValue: undefined });
  }

  async close(): Promise<void> {
    await Promise.all(this.subscriptions.splice(0).map((s) => s.stop()));
  }

  on(): never {
    throw new Error('BusServer has no events to listen to');
  }

  unwrap<T>(): T {
    return this.bus as T;
  }
}

/**
 * Nest's default RPC filter turns every error into "Internal server error"; this one passes
 * the original error on so its `retriable` classification decides retry or dead letter.
 */
@Catch()
export class RethrowRpcErrorsFilter implements RpcExceptionFilter<unknown> {
  catch(exception: unknown, _host: ArgumentsHost): Observable<never> {
    return throwError(() => exception);
  }
}

/** A controller of `@EventPattern` handlers whose failures reach the bus unchanged. */
export const BusConsumer = (): ClassDecorator => applyDecorators(Controller(), UseFilters(RethrowRpcErrorsFilter));
