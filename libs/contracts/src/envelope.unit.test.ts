import { ContractViolation, decodeCommand, decodeEvent, decodeLookupReply, envelope } from './envelope';
import type { ExecutorCommand, WritebackEvent } from './events';
import type { DirectoryUserLookedUpV1 } from './lookups';
import type { WritebackRequest } from './request';
import { EXECUTOR_TOPIC_PATTERN, executorTopic, isValidDomainId, messageKeyForTarget } from './topics';

const OPERATION_ID = '0b6f7c1a-2d3e-4f50-8a9b-c0d1e2f3a4b5';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

const request: WritebackRequest = {
  kind: 'self-service-reset',
  channel: 'sspr-portal',
  initiator: { id: 'alice@corp.example.test', isAdministrator: false },
  target: { userPrincipalName: 'alice@corp.example.test', isAdministrator: false },
  options: { forceChangeAtNextLogon: true, unlockAccount: true },
};

const requested: WritebackEvent = {
  type: 'PasswordChangeRequested',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    request,
    caller: { subject: 'sspr-portal', issuer: 'https://idp.example' },
    routing: 'resolved',
    domainId: 'corp',
    requestedAt: '2026-11-25T10:00:00.000Z',
  },
};

const applied: WritebackEvent = {
  type: 'WritebackApplied',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId: 'corp',
    targetUpn: 'alice@corp.example.test',
    domainController: 'dc1.corp.example.test',
    actions: ['password', 'unlock', 'force-change-at-next-logon'],
    policyHintsUsed: true,
    appliedAt: '2026-11-25T10:00:02.000+01:00',
  },
};

const apply: ExecutorCommand = {
  type: 'ApplyPasswordWriteback',
  version: 1,
  data: {
    operationId: OPERATION_ID,
    domainId: 'corp',
    request,
    credential: { keyId: 'k1', enc: 'ZW5j', ciphertext: 'Y2lwaGVy' },
  },
};

function violationOf(decode: () => unknown): ContractViolation {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(ContractViolation);
    return error as ContractViolation;
  }
  throw new Error('expected a ContractViolation, but decoding succeeded');
}

function wireWithout(message: object, ...path: string[]): string {
  const copy = JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  let node = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[path[path.length - 1]!];
  return JSON.stringify(copy);
}

describe('envelope', () => {
  it('adds a fresh event id, the time, and null causation and trace by default', () => {
    const before = Date.now();
    const first = envelope(requested, { correlationId: OPERATION_ID });
    const second = envelope(requested, { correlationId: OPERATION_ID });
    expect(first).toMatchObject({ ...requested, correlationId: OPERATION_ID, causationId: null, traceparent: null });
    expect(first.eventId).toMatch(UUID);
    expect(second.eventId).not.toBe(first.eventId);
    expect(Date.parse(first.occurredAt)).toBeGreaterThanOrEqual(before - 1);
  });

  it('keeps the causation, trace and time it is given', () => {
    const cause = envelope(requested, { correlationId: OPERATION_ID });
    const wrapped = envelope(applied, {
      correlationId: OPERATION_ID,
      causationId: cause.eventId,
      traceparent: TRACEPARENT,
      occurredAt: '2026-11-25T10:00:03.000Z',
    });
    expect(wrapped).toMatchObject({
      causationId: cause.eventId,
      traceparent: TRACEPARENT,
      occurredAt: '2026-11-25T10:00:03.000Z',
    });
  });

  it.each([
    ['PasswordChangeRequested', requested],
    ['WritebackApplied', applied],
  ])('round-trips a %s event through JSON', (_type, event) => {
    const sent = envelope(event, { correlationId: OPERATION_ID, traceparent: TRACEPARENT });
    expect(decodeEvent(JSON.stringify(sent))).toEqual(sent);
  });

  it('round-trips an executor command through JSON', () => {
    const sent = envelope(apply, { correlationId: OPERATION_ID });
    expect(decodeCommand(JSON.stringify(sent))).toEqual(sent);
  });
});

describe('decodeEvent / decodeCommand', () => {
  const wire = JSON.stringify(envelope(requested, { correlationId: OPERATION_ID }));

  it('refuses text that is not JSON, for good', () => {
    const violation = violationOf(() => decodeEvent('{"type": "PasswordChangeRequested",'));
    expect(violation.retriable).toBe(false);
    expect(violation.message).toBe('event is not JSON');
    expect(violation.issues).toEqual([]);
  });

  it.each<[string, string, RegExp]>([
    ['an unknown type', wire.replace('"PasswordChangeRequested"', '"PasswordResetRequested"'), /^type: /],
    ['an unknown version', wire.replace('"version":1', '"version":2'), /^version: /],
    ['a missing operation id', wireWithout(JSON.parse(wire) as object, 'data', 'operationId'), /^data\.operationId: /],
    ['a missing event id', wireWithout(JSON.parse(wire) as object, 'eventId'), /^eventId: /],
    ['a missing correlation id', wireWithout(JSON.parse(wire) as object, 'correlationId'), /^correlationId: /],
    [
      'a malformed UPN',
      wire.replaceAll('alice@corp.example.test', 'alice'),
      /^data\.request\.target\.userPrincipalName: /,
    ],
    ['a JSON value that is not an object', '42', /^\(root\): /],
  ])('refuses an event with %s, naming the field', (_case, raw, issue) => {
    const violation = violationOf(() => decodeEvent(raw));
    expect(violation.retriable).toBe(false);
    expect(violation.name).toBe('ContractViolation');
    expect(violation.message).toBe('event does not match its contract');
    expect(violation.issues.length).toBeGreaterThan(0);
    expect(violation.issues.some((i) => issue.test(i))).toBe(true);
    for (const text of violation.issues) expect(text).toMatch(/^(\(root\)|[\w.]+): \S/);
  });

  it('refuses an event where a command is expected, and the other way round', () => {
    expect(violationOf(() => decodeCommand(wire)).message).toBe('command does not match its contract');
    const command = JSON.stringify(envelope(apply, { correlationId: OPERATION_ID }));
    expect(violationOf(() => decodeEvent(command)).retriable).toBe(false);
  });
});

describe('directory lookups (ADR 0023)', () => {
  const LOOKUP_ID = '7a1c9e20-5b3d-4e6f-8a7b-9c0d1e2f3a4b';
  const GUID = '2b2ad8a4-1f0e-4d6c-9a51-0c7f2e4b9d10';
  const lookup: ExecutorCommand = {
    type: 'LookupDirectoryUser',
    version: 1,
    data: { lookupId: LOOKUP_ID, domainId: 'corp', by: { objectGuid: GUID }, expiresAt: '2026-12-05T10:00:05.000Z' },
  };
  const found: DirectoryUserLookedUpV1 = {
    type: 'DirectoryUserLookedUp',
    version: 1,
    data: {
      lookupId: LOOKUP_ID,
      domainId: 'corp',
      result: {
        outcome: 'found',
        user: {
          objectGuid: GUID,
          userPrincipalName: 'alice@corp.example.test',
          givenName: 'Alice',
          familyName: null,
          displayName: 'Alice',
          mail: null,
          enabled: true,
        },
      },
      answeredAt: '2026-12-05T10:00:01.000Z',
    },
  };

  it('round-trips a lookup command and its reply through JSON', () => {
    const sent = envelope(lookup, { correlationId: LOOKUP_ID });
    expect(decodeCommand(JSON.stringify(sent))).toEqual(sent);
    const reply = envelope(found, { correlationId: LOOKUP_ID });
    expect(decodeLookupReply(JSON.stringify(reply))).toEqual(reply);
  });

  it.each([
    ['a GUID in upper case', { objectGuid: GUID.toUpperCase() }],
    ['both a UPN and a GUID', { objectGuid: GUID, userPrincipalName: 'alice@corp.example.test' }],
    ['neither', {}],
  ])('refuses a lookup by %s', (_case, by) => {
    const raw = JSON.stringify(
      envelope({ ...lookup, data: { ...lookup.data, by } } as ExecutorCommand, { correlationId: LOOKUP_ID }),
    );
    expect(violationOf(() => decodeCommand(raw)).issues.some((i) => i.startsWith('data.by'))).toBe(true);
  });

  it('refuses a reply with an outcome it does not know, and an event in its place', () => {
    const reply = JSON.stringify(envelope(found, { correlationId: LOOKUP_ID })).replace('"found"', '"maybe"');
    expect(violationOf(() => decodeLookupReply(reply)).message).toBe('lookup reply does not match its contract');
    const event = JSON.stringify(envelope(requested, { correlationId: OPERATION_ID }));
    expect(violationOf(() => decodeLookupReply(event)).retriable).toBe(false);
  });

  it('keeps the target GUID a request may carry, and its absence', () => {
    const withGuid = {
      ...apply,
      data: { ...apply.data, request: { ...request, target: { ...request.target, objectGuid: GUID } } },
    };
    const sent = envelope(withGuid as ExecutorCommand, { correlationId: OPERATION_ID });
    expect(decodeCommand(JSON.stringify(sent))).toEqual(sent);
  });
});

describe('topics', () => {
  it("names one executor topic per domain, matching the executors' pattern", () => {
    expect(executorTopic('corp')).toBe('writeback.executor.corp.v1');
    expect(executorTopic('fabrikam-eu-2')).toBe('writeback.executor.fabrikam-eu-2.v1');
    expect(EXECUTOR_TOPIC_PATTERN.test(executorTopic('corp'))).toBe(true);
    expect(executorTopic(`a${'b'.repeat(62)}`)).toBe(`writeback.executor.a${'b'.repeat(62)}.v1`);
  });

  it.each(['', 'Corp', '1corp', '-corp', 'corp.evil', 'corp_eu', 'corp eu', '../corp', `a${'b'.repeat(63)}`])(
    'refuses the domain id %j',
    (domainId) => {
      expect(() => executorTopic(domainId)).toThrow(/invalid domain id/);
      expect(isValidDomainId(domainId)).toBe(false);
    },
  );

  it('keys messages by the normalised UPN, so one user stays on one partition', () => {
    expect(messageKeyForTarget('  Alice@CORP.Example.Test ')).toBe('alice@corp.example.test');
    expect(messageKeyForTarget('ALICE@corp.example.test')).toBe(messageKeyForTarget('alice@Corp.Example.Test'));
  });
});
