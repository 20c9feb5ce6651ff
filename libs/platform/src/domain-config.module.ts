import { hostname } from 'node:os';
import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { Topics } from '@writeback/contracts';
import type { MessageBus, Subscription } from '@writeback/messaging';
import { DomainConfigClient, domainConfigClientFromEnv } from './domain-config.client';
import { BUS, DOMAIN_CONFIG } from './tokens';

const FOLLOWER_GROUP = Symbol('DomainConfigFollowerGroup');

/**
 * This process's consumer group on the config topic. Every replica must see every change, so
 * no two processes share one (a shared group would hand each change to one replica only).
 */
export const followerGroupId = (service: string): string => `${service}.config-follower.${hostname()}.${process.pid}`;

/**
 * Keeps the service's `DomainConfigClient` current: each message on `writeback.config.v1`
 * (config-service publishes one per committed change) makes it read again on next use. What
 * the message says does not matter, so a malformed one costs a read, never a dead letter.
 */
@Injectable()
export class DomainConfigFollower implements OnApplicationBootstrap, OnApplicationShutdown {
  private subscription: Subscription | undefined;

  constructor(
    @Inject(BUS) private readonly bus: MessageBus,
    @Inject(DOMAIN_CONFIG) private readonly domains: DomainConfigClient,
    @Inject(FOLLOWER_GROUP) private readonly groupId: string,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.subscription = await this.bus.subscribe({
      groupId: this.groupId,
      topics: [Topics.config],
      quiet: true,
      handler: () => {
        this.domains.invalidate();
        return Promise.resolve();
      },
    });
  }

  async onApplicationShutdown(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }
}

/** Provides DOMAIN_CONFIG: the service's one reader of domain configuration (ADR 0019). */
@Module({})
export class DomainConfigModule {
  /** Read when needed, reused for WRITEBACK_CONFIG_CACHE_MS: for a service that reads rarely. */
  static reading(): DynamicModule {
    return {
      module: DomainConfigModule,
      providers: [{ provide: DOMAIN_CONFIG, useFactory: domainConfigClientFromEnv }],
      exports: [DOMAIN_CONFIG],
    };
  }

  /** Also follows the config events, for a service that decides on configuration per message. */
  static following(service: string): DynamicModule {
    return {
      module: DomainConfigModule,
      providers: [
        { provide: DOMAIN_CONFIG, useFactory: domainConfigClientFromEnv },
        { provide: FOLLOWER_GROUP, useValue: followerGroupId(service) },
        DomainConfigFollower,
      ],
      exports: [DOMAIN_CONFIG],
    };
  }
}
