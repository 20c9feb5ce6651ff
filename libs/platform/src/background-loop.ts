import type { OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';

/**
 * Work a service does in the background for as long as it runs (the gate's deadline watch and
 * waiter sweep): started once the application is up, stopped and awaited on shutdown, with
 * idle waits that shutdown (or `wakeUp`) cuts short.
 */
export abstract class BackgroundLoop implements OnApplicationBootstrap, OnApplicationShutdown {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  /** The loop itself: runs while `active`, idling between rounds with `idle`. */
  protected abstract run(): Promise<void>;

  protected get active(): boolean {
    return this.running;
  }

  onApplicationBootstrap(): void {
    this.running = true;
    this.loop = this.run();
  }

  async onApplicationShutdown(): Promise<void> {
    this.running = false;
    this.wakeUp();
    await this.loop;
  }

  /** Ends the current idle wait at once. */
  protected wakeUp(): void {
    this.wake?.();
  }

  /** Waits `ms`, or less when woken. */
  protected idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wake = done;
    });
  }
}
