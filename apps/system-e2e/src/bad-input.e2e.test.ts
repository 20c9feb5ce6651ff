import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DeadLetterMessage, executorTopic, Topics } from '@writeback/contracts';
import { KafkaBus, type BusLogger, type IncomingMessage } from '@writeback/messaging';
import { repositoryRoot } from '@writeback/supervisor';
import {
  canBind,
  faultUsers,
  startWritebackFixture,
  testEnvironment,
  waitFor,
  type WritebackFixture,
} from '@writeback/testing';
import { adminReset } from './scenarios';

const run = promisify(execFile);
const quiet: BusLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Hostile {
  what: string;
  /** A JSON value, or raw text sent as is. */
  body: unknown;
  raw?: boolean;
  contentType?: string;
}

const UPN = 'hostile@corp.example.test';

/** Values no field of the request takes; each is tried in every field. */
const WRONG_VALUES: Array<[string, unknown]> = [
  ['null', null],
  ['a number', 42],
  ['a boolean', true],
  ['an array', ['x']],
  ['an object', { nested: { deeper: 1 } }],
  ['an empty string', ''],
  ['a 10 000-character string', 'x'.repeat(10_000)],
  ['a negative number', -1],
  ['a huge number', 1e308],
  ['the string "null"', 'null'],
];

const HOSTILE_UPNS: Array<[string, string]> = [
  ['an LDAP wildcard', '*@corp.example.test'],
  ['an LDAP filter injection', '*)(objectClass=*@corp.example.test'],
  ['an OR-filter injection', 'a)(|(sAMAccountName=*@corp.example.test'],
  ['an escaped NUL', 'a\\00b@corp.example.test'],
  ['a NUL', 'a\u0000b@corp.example.test'],
  ['a DN injection', 'a,OU=Staff@corp.example.test'],
  ['a semicolon', 'a;b@corp.example.test'],
  ['angle brackets', '<script>@corp.example.test'],
  ['quotes', '"a"@corp.example.test'],
  ['a zero-width space', 'hostile\u200b@corp.example.test'],
  ['a bidi override', '\u202ehostile@corp.example.test'],
  ['an unpaired surrogate', 'a\ud800@corp.example.test'],
  ['an escape sequence', 'a\u001b[31m@corp.example.test'],
  ['a newline (log injection)', 'a\n{"level":50}@corp.example.test'],
  ['no at sign', 'hostile.corp.example.test'],
  ['two at signs', 'a@b@corp.example.test'],
  ['spaces', 'hostile user@corp.example.test'],
  ['a slash', 'a/b@corp.example.test'],
  ['brackets', 'a[0]@corp.example.test'],
  ['a colon', 'a:b@corp.example.test'],
  ['a domain with a filter', 'a@corp)(x=*'],
  ['a domain with spaces', 'a@corp example.test'],
  ['a 300-character UPN', `${'a'.repeat(290)}@corp.example.test`],
  ['two characters', 'a@'],
];

const HOSTILE_PASSWORDS: Array<[string, string]> = [
  ['a NUL', 'Pass\u0000word-1!'],
  ['a bell', 'Pass\u0007word-1!'],
  ['an escape', 'Pass\u001bword-1!'],
  ['a DEL', 'Pass\u007fword-1!'],
  ['a C1 control', 'Pass\u0085word-1!'],
  ['a newline', 'Pass\nword-1!'],
  ['an unpaired high surrogate', 'Pass\ud800word-1!'],
  ['an unpaired low surrogate', 'Pass\udc00word-1!'],
  ['257 characters', `Aa1!${'x'.repeat(253)}`],
  ['10 000 characters', 'Aa1!'.repeat(2500)],
  ['nothing', ''],
];

function hostileRequests(): Hostile[] {
  const good = adminReset(UPN, 'Never-Applied-1!');
  const list: Hostile[] = [];
  for (const [name, value] of WRONG_VALUES) {
    const isString = typeof value === 'string' && value !== '' && value.length < 256;
    for (const field of ['kind', 'channel', 'initiator', 'target', 'options', 'newPassword']) {
      if (field === 'newPassword' && isString) continue;
      list.push({ what: `${field} is ${name}`, body: { ...good, [field]: value } });
    }
    if (!isString) {
      list.push({
        what: `initiator.id is ${name}`,
        body: { ...good, initiator: { id: value, isAdministrator: true } },
      });
    }
    if (typeof value !== 'boolean') {
      list.push({
        what: `initiator.isAdministrator is ${name}`,
        body: { ...good, initiator: { id: 'admin@cloud.example', isAdministrator: value } },
      });
    }
    list.push({ what: `target.userPrincipalName is ${name}`, body: { ...good, target: { userPrincipalName: value } } });
    if (typeof value !== 'boolean') {
      list.push({
        what: `options.unlockAccount is ${name}`,
        body: { ...good, options: { forceChangeAtNextLogon: false, unlockAccount: value } },
      });
    }
    list.push({ what: `the whole body is ${name}`, body: value });
  }
  for (const [name, upn] of HOSTILE_UPNS) {
    list.push({ what: `a target UPN with ${name}`, body: { ...good, target: { userPrincipalName: upn } } });
    list.push({
      what: `an unlock of a UPN with ${name}`,
      body: { ...good, kind: 'unlock', newPassword: undefined, target: { userPrincipalName: upn } },
    });
  }
  for (const [name, password] of HOSTILE_PASSWORDS) {
    list.push({ what: `a password with ${name}`, body: { ...good, newPassword: password } });
  }
  for (const [name, id] of [
    ['a NUL', 'admin\u0000@cloud'],
    ['a newline', 'admin\n{"forged":true}'],
    ['a bidi override', '\u202eadmin'],
    ['a zero-width joiner', 'ad\u200dmin'],
    ['257 characters', 'a'.repeat(257)],
    ['only spaces', '   '],
  ] as const) {
    list.push({ what: `an initiator id with ${name}`, body: { ...good, initiator: { id, isAdministrator: true } } });
  }
  for (const key of ['__proto__', 'constructor', 'prototype', 'extra', 'password', '$where']) {
    list.push({
      what: `an unknown field "${key}"`,
      body: JSON.parse(`{"${key}":{"polluted":true},${JSON.stringify(good).slice(1)}`) as unknown,
    });
    list.push({
      what: `an unknown target field "${key}"`,
      body: { ...good, target: { userPrincipalName: UPN, [key]: 1 } },
    });
  }
  for (const kind of ['reset', 'ADMIN-RESET', 'admin-reset ', 'delete-user', 'change\u0000']) {
    list.push({ what: `the kind "${kind}"`, body: { ...good, kind } });
  }
  for (const channel of ['ldap', 'sspr', 'SSPR-PORTAL', '../admin-center']) {
    list.push({ what: `the channel "${channel}"`, body: { ...good, channel } });
  }
  list.push({ what: 'a change without a password', body: { ...good, kind: 'change', newPassword: undefined } });
  list.push({ what: 'an unlock with a password', body: { ...good, kind: 'unlock' } });
  for (const [name, text] of [
    ['truncated JSON', '{"kind":"admin-reset","channel":'],
    ['a trailing comma', '{"kind":"admin-reset",}'],
    ['single quotes', "{'kind':'admin-reset'}"],
    ['a bare word', 'admin-reset'],
    ['a BOM and garbage', '\ufeff}{'],
    ['NaN', '{"kind":NaN}'],
    ['a comment', '{/* hi */"kind":"admin-reset"}'],
    ['binary', '\u0000\u0001\u0002\u0003'],
    ['deeply nested arrays', `${'['.repeat(5000)}${']'.repeat(5000)}`],
    ['a 200 kB body', JSON.stringify({ ...good, padding: 'x'.repeat(200_000) })],
  ] as const) {
    list.push({ what: `a body of ${name}`, body: text, raw: true });
  }
  for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    list.push({ what: `a ${contentType} body`, body: JSON.stringify(good), raw: true, contentType });
  }
  return list;
}

/**
 * Hostile and malformed input breaks nothing: every bad request gets a 4xx that says why, every
 * malformed event lands in the dead-letter topic with its reason, no service falls over, and
 * good traffic sent in between still succeeds.
 */
describe('bad input (distributed)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;
  let bus: KafkaBus;

  beforeAll(async () => {
    fixture = await startWritebackFixture({
      mode: 'distributed',
      forests: [forests.corp],
      env: { WRITEBACK_RATE_LIMIT_PER_CALLER: '100000', WRITEBACK_RATE_LIMIT_PER_TARGET: '6' },
    });
    bus = new KafkaBus({
      clientId: 'bad-input-test',
      brokers: fixture.kafka?.bootstrapServers ?? [],
      idempotent: false,
      logger: quiet,
    });
  });

  afterAll(async () => {
    await bus?.close();
    await fixture?.stop();
  });

  const goodUsers = (): ReturnType<typeof faultUsers> => faultUsers(forests.corp).slice(0, 10);
  let goodSent = 0;
  /** One ordinary reset, which must still be applied and bind. */
  async function goodTraffic(): Promise<void> {
    const user = goodUsers()[goodSent % goodUsers().length] as ReturnType<typeof faultUsers>[number];
    const password = `Good-${stamp}-${goodSent++}-Aa1!`;
    const { status, body } = await fixture.request(adminReset(user.upn, password));
    expect(status).toBe(202);
    expect(await fixture.outcome(body['operationId'] as string)).toMatchObject({ status: 'applied' });
    expect(await canBind(forests.corp, user.upn, password)).toBe(true);
  }

  async function servicesAlive(): Promise<void> {
    for (const service of fixture.system.processes.values()) {
      expect(() => process.kill(service.pid, 0)).not.toThrow();
      expect((await fetch(new URL('/health/ready', service.url))).status).toBe(200);
    }
  }

  it('answers every malformed or hostile request with a 4xx and its reason, and good requests still succeed', async () => {
    const hostile = hostileRequests();
    expect(hostile.length).toBeGreaterThanOrEqual(200);
    const token = await fixture.issuer.token('sspr-portal');
    const answers: Array<{ what: string; status: number; message: unknown }> = [];
    for (const [index, request] of hostile.entries()) {
      const response = await fetch(new URL('/v1/operations', fixture.system.gateUrl), {
        method: 'POST',
        headers: { 'content-type': request.contentType ?? 'application/json', authorization: `Bearer ${token}` },
        // A target of its own per request: the per-target rate limit is not what this tests.
        body: (request.raw ? (request.body as string) : JSON.stringify(request.body)).replaceAll(
          UPN,
          `hostile-${index}@corp.example.test`,
        ),
      });
      const text = await response.text();
      const body = (text.startsWith('{') ? JSON.parse(text) : {}) as { message?: unknown };
      answers.push({ what: request.what, status: response.status, message: body.message });
      if (index % 25 === 0) await goodTraffic();
    }
    // Outside the body: identity, path and query.
    const outside: Array<[string, () => Promise<Response>]> = [
      ['no token', () => fetch(new URL('/v1/operations', fixture.system.gateUrl), { method: 'POST', body: '{}' })],
      [
        'a forged token',
        () =>
          fetch(new URL('/v1/operations', fixture.system.gateUrl), {
            method: 'POST',
            headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.' },
          }),
      ],
      [
        'an operation id that is no UUID',
        () =>
          fetch(new URL('/v1/operations/1%27%20OR%201=1', fixture.system.gateUrl), {
            headers: { authorization: `Bearer ${token}` },
          }),
      ],
      [
        'an operation id with a path traversal',
        () =>
          fetch(new URL('/v1/operations/..%2F..%2Fhealth', fixture.system.gateUrl), {
            headers: { authorization: `Bearer ${token}` },
          }),
      ],
    ];
    for (const [what, send] of outside) {
      const response = await send();
      const body = (await response.json().catch(() => ({}))) as { message?: unknown };
      answers.push({ what, status: response.status, message: body.message });
    }

    const wrong = answers.filter(
      (a) =>
        a.status < 400 ||
        a.status >= 500 ||
        a.status === 429 ||
        !(typeof a.message === 'string' || Array.isArray(a.message)),
    );
    expect(wrong).toEqual([]);
    expect(answers.filter((a) => a.status === 413).map((a) => a.what)).toEqual(['a body of a 200 kB body']);
    await goodTraffic();
    await servicesAlive();
  });

  it('limits requests per target user with a 429 and Retry-After, and leaves other users alone', async () => {
    const [target, other] = faultUsers(forests.corp).slice(10, 12) as [
      ReturnType<typeof faultUsers>[number],
      ReturnType<typeof faultUsers>[number],
    ];
    const statuses: number[] = [];
    let retryAfter: string | null = null;
    let message: unknown;
    for (let i = 0; i < 8; i++) {
      const response = await fetch(new URL('/v1/operations', fixture.system.gateUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${await fixture.issuer.token(`caller-${i}`)}`,
        },
        body: JSON.stringify(adminReset(target.upn, `Limited-${stamp}-${i}-Aa1!`)),
      });
      statuses.push(response.status);
      if (response.status === 429) {
        retryAfter = response.headers.get('retry-after');
        message = ((await response.json()) as { message?: unknown }).message;
      }
    }
    expect(statuses.slice(0, 6)).toEqual([202, 202, 202, 202, 202, 202]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    expect(Number(retryAfter)).toBeGreaterThan(0);
    expect(message).toMatch(/for this user/);
    const { status } = await fixture.request(adminReset(other.upn, `Other-${stamp}-Aa1!`));
    expect(status).toBe(202);
  });

  it('dead-letters every malformed event with its reason, and the consumers move on', async () => {
    const valid = {
      eventId: randomUUID(),
      occurredAt: new Date().toISOString(),
      correlationId: randomUUID(),
      causationId: null,
      traceparent: null,
    };
    const shapes: Array<[string, string]> = [
      ['not JSON', 'this is not json'],
      ['truncated JSON', '{"type":"WritebackApplied",'],
      ['an empty value', ''],
      ['a JSON array', '[1,2,3]'],
      ['JSON null', 'null'],
      ['a JSON string', '"WritebackApplied"'],
      ['an unknown type', JSON.stringify({ ...valid, type: 'PasswordStolen', version: 1, data: {} })],
      ['a future version', JSON.stringify({ ...valid, type: 'WritebackApplied', version: 2, data: {} })],
      ['no eventId', JSON.stringify({ ...valid, eventId: undefined, type: 'WritebackApplied', version: 1, data: {} })],
      [
        'an eventId that is no UUID',
        JSON.stringify({ ...valid, eventId: "1' OR '1'='1", type: 'WritebackFailed', version: 1 }),
      ],
      [
        'data of the wrong shape',
        JSON.stringify({ ...valid, type: 'WritebackApplied', version: 1, data: { operationId: 7 } }),
      ],
      ['control characters', '\u0000\u0001{"type":"\u001b[31m"}'],
      ['an unpaired surrogate', `{"type":"\ud800"}`],
      ['a 100 kB value', JSON.stringify({ ...valid, type: 'x'.repeat(100_000) })],
    ];
    const topics = [Topics.events, Topics.config, executorTopic('corp')];
    const sent: Array<{ topic: string; key: string; value: string }> = [];
    for (let i = 0; sent.length < 105; i++) {
      const [, value] = shapes[i % shapes.length] as [string, string];
      sent.push({ topic: topics[i % topics.length] as string, key: `bad-event-${stamp}-${i}`, value });
    }
    const seen = new Map<string, DeadLetterMessage[]>();
    const subscription = await bus.subscribe({
      groupId: `bad-input-test-${stamp}`,
      topics: [Topics.deadLetters],
      handler: async (message: IncomingMessage) => {
        const letter = DeadLetterMessage.parse(JSON.parse(message.value));
        seen.set(message.key, [...(seen.get(message.key) ?? []), letter]);
        return Promise.resolve();
      },
    });
    try {
      for (const [index, message] of sent.entries()) {
        await bus.publish([{ ...message, headers: { 'writeback-type': 'hostile' } }]);
        if (index % 35 === 0) await goodTraffic();
      }
      // The events topic has two consumers (gate and audit), each dead-letters on its own.
      const expectedGroups = (topic: string): number => (topic === Topics.events ? 2 : 1);
      await waitFor(() => sent.every((m) => (seen.get(m.key)?.length ?? 0) >= expectedGroups(m.topic)), {
        timeoutMs: 120_000,
        description: `${sent.length} malformed events in the dead-letter topic`,
      });
    } finally {
      await subscription.stop();
    }
    for (const message of sent) {
      for (const letter of seen.get(message.key) ?? []) {
        // As it came: Kafka carries UTF-8, so an unpaired surrogate arrives as U+FFFD.
        const asCarried = Buffer.from(message.value, 'utf8').toString('utf8');
        expect(letter).toMatchObject({ sourceTopic: message.topic, value: asCarried });
        expect(letter.reason).toMatch(/^ContractViolation: /);
      }
    }
    await goodTraffic();
    await servicesAlive();

    // The audit service keeps them for operators: list and replay through the CLI.
    const operator = await fixture.issuer.token('platform-operator', { scope: 'writeback.operator' });
    const cli = (args: string[]) =>
      run(process.execPath, [join(repositoryRoot(), 'apps/cli/dist/main.js'), ...args], {
        env: {
          PATH: process.env['PATH'] ?? '',
          WRITEBACK_AUDIT_URL: fixture.system.auditUrl,
          WRITEBACK_TOKEN: operator,
        },
        maxBuffer: 64 * 1024 * 1024,
      }).then(
        ({ stdout }) => ({ code: 0, stdout }),
        (error: { code?: number; stdout?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '' }),
      );
    const configLetters = sent.filter((m) => m.topic === Topics.config).length;
    const listed = await waitFor(
      async () => {
        const result = await cli([
          '--json',
          'dead-letters',
          'list',
          '--topic',
          Topics.config,
          '--pending',
          '--limit',
          '1000',
        ]);
        const items = JSON.parse(result.stdout) as Array<{ id: string; value: string }>;
        return result.code === 0 && items.length >= configLetters ? items : undefined;
      },
      { timeoutMs: 60_000, description: 'the dead letters of the config topic in `dead-letters list`' },
    );
    const first = listed[0] as { id: string };
    expect((await cli(['dead-letters', 'replay', first.id])).code).toBe(0);
    expect((await cli(['dead-letters', 'replay', '999999999'])).code).toBe(1);
    expect((await cli(['dead-letters', 'replay'])).code).toBe(2);
    // The replayed message is refused again, and dead-lettered again: nothing else happens.
    await waitFor(
      async () => {
        const result = await cli(['--json', 'dead-letters', 'list', '--topic', Topics.config, '--limit', '1000']);
        return (JSON.parse(result.stdout) as unknown[]).length > listed.length;
      },
      { timeoutMs: 60_000, description: 'the replayed dead letter to come back' },
    );
    await servicesAlive();
  });
});
