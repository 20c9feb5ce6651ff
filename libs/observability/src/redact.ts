export const REDACTED = '[REDACTED]';

/**
 * A field is secret when its name, lower-cased and stripped of `_`, `-` and spaces, contains
 * one of these. A pattern rather than a list of names, so `adminPassword`, `bind_password` or
 * `clientSecret` need no entry of their own; over-redacting a non-secret such as
 * `bindSecretRef` is the accepted price.
 */
const SECRET_NAME =
  /password|passwd|passphrase|secret|token|apikey|privatekey|credential|ciphertext|unicodepwd|authorization|cookie|^pwd$|^pass$/;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name.toLowerCase().replace(/[-_ ]/g, ''));
}

/** Deeper than any object we log; beyond it a value is cut rather than walked. */
const MAX_DEPTH = 64;

/**
 * A copy of `value` with every secret-named field at any depth replaced by `[REDACTED]`, in
 * plain objects, arrays and Errors (own enumerable fields and `cause`). Unchanged subtrees are
 * shared, not copied, so a log line without secrets costs one walk and no allocation. Cycles
 * become `[Circular]`. Other class instances (Buffers, Dates, sockets) are left to pino's
 * serializers: walking them would copy internals nobody meant to log.
 */
export function redactSecrets<T>(value: T): T {
  return walk(value, new Set(), 0) as T;
}

function walk(value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const isError = value instanceof Error;
  if (!isError && !Array.isArray(value) && !isPlainObject(value)) return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  ancestors.add(value);
  try {
    if (Array.isArray(value)) return walkArray(value, ancestors, depth);
    return isError
      ? walkError(value, ancestors, depth)
      : walkObject(value as Record<string, unknown>, ancestors, depth);
  } finally {
    ancestors.delete(value);
  }
}

function walkArray(array: unknown[], ancestors: Set<object>, depth: number): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < array.length; i++) {
    const walked = walk(array[i], ancestors, depth + 1);
    if (walked !== array[i]) (copy ??= array.slice())[i] = walked;
  }
  return copy ?? array;
}

function walkObject(object: Record<string, unknown>, ancestors: Set<object>, depth: number): Record<string, unknown> {
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(object)) {
    const walked = redactField(key, object[key], ancestors, depth);
    if (walked !== object[key]) (copy ??= { ...object })[key] = walked;
  }
  return copy ?? object;
}

/** Keeps the prototype, so pino's `err` serializer still reports the right `type`. */
function walkError(error: Error, ancestors: Set<object>, depth: number): Error {
  const fields = walkObject(error as unknown as Record<string, unknown>, ancestors, depth);
  const cause = 'cause' in error ? walk(error.cause, ancestors, depth + 1) : undefined;
  if (fields === (error as unknown) && cause === error.cause) return error;
  const copy = Object.create(Object.getPrototypeOf(error) as object) as Error;
  for (const key of ['name', 'message', 'stack'] as const) {
    if (Object.prototype.hasOwnProperty.call(error, key)) {
      Object.defineProperty(copy, key, { value: error[key], enumerable: false, writable: true, configurable: true });
    }
  }
  if ('cause' in error)
    Object.defineProperty(copy, 'cause', { value: cause, enumerable: false, writable: true, configurable: true });
  return Object.assign(copy, fields);
}

function redactField(key: string, value: unknown, ancestors: Set<object>, depth: number): unknown {
  if (value === undefined || value === null) return value;
  return isSecretName(key) ? REDACTED : walk(value, ancestors, depth + 1);
}

function isPlainObject(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
