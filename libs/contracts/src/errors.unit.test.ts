import { ContractViolation } from './envelope';
import { errorCodeOf, retriabilityOf, WritebackError } from './errors';

class PeerAway extends WritebackError {
  readonly code = 'TEST.PEER_AWAY';
  readonly retriable = true;
}

describe('WritebackError', () => {
  it('carries a stable code, its retriability, its class name and its cause', () => {
    const cause = new Error('ECONNREFUSED');
    const error = new PeerAway('the peer is away', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ code: 'TEST.PEER_AWAY', retriable: true, name: 'PeerAway', cause });
    expect(errorCodeOf(error)).toBe('TEST.PEER_AWAY');
  });

  it('classifies a contract violation as never retriable', () => {
    const violation = new ContractViolation('event is not JSON', []);
    expect(retriabilityOf(violation)).toBe('not-retriable');
    expect(errorCodeOf(violation)).toBe('CONTRACT.VIOLATION');
    expect(violation.name).toBe('ContractViolation');
  });
});

describe('retriabilityOf', () => {
  it('reads the classification of Writeback errors', () => {
    expect(retriabilityOf(new PeerAway('away'))).toBe('retriable');
  });

  it("accepts a library's own boolean flag (kafkajs) as a classification", () => {
    expect(retriabilityOf(Object.assign(new Error('leader moved'), { retriable: true }))).toBe('retriable');
    expect(retriabilityOf(Object.assign(new Error('too large'), { retriable: false }))).toBe('not-retriable');
  });

  it('calls anything else unclassified: plain errors, flags that are not booleans, non-errors', () => {
    expect(retriabilityOf(new TypeError('x is undefined'))).toBe('unclassified');
    expect(retriabilityOf(Object.assign(new Error('odd'), { retriable: 'yes' }))).toBe('unclassified');
    expect(retriabilityOf('a string')).toBe('unclassified');
    expect(retriabilityOf(undefined)).toBe('unclassified');
    expect(retriabilityOf(null)).toBe('unclassified');
  });
});

describe('errorCodeOf', () => {
  it("falls back to the error's name, then UNKNOWN", () => {
    expect(errorCodeOf(new RangeError('out'))).toBe('RangeError');
    expect(errorCodeOf(42)).toBe('UNKNOWN');
  });
});
