import { inspect } from 'node:util';

const REDACTED = '[REDACTED]';

/**
 * A password in memory. It cannot be logged, serialised or interpolated by accident:
 * only `reveal()` returns the value, and only the edge and the executor call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [inspect.custom](): string {
    return REDACTED;
  }
}
