import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { executorTopic, Topics } from '@writeback/contracts';
import { generateDomainKeyPair } from '@writeback/sealing';
import { repositoryRoot } from '@writeback/supervisor';
import { forestUser, startWritebackFixture, testEnvironment, waitFor, type WritebackFixture } from '@writeback/testing';
import { Kafka, logLevel } from 'kafkajs';
import { adminReset, kafkaRecords } from './scenarios';

const run = promisify(execFile);

/**
 * Topics on a real Kafka cluster whose brokers create none on demand: a domain added while the
 * system runs has its executor topic before its first command, and `writeback topics create`
 * gives installs without the chart what the chart's topic Job does.
 */
describe('Kafka topics (distributed)', () => {
  const { forests } = testEnvironment();
  const stamp = Date.now().toString(36);
  let fixture: WritebackFixture;

  beforeAll(async () => {
    fixture = await startWritebackFixture({
      mode: 'distributed',
      forests: [forests.corp],
      env: { WRITEBACK_KAFKA_TOPIC_PARTITIONS: '5', WRITEBACK_KAFKA_TOPIC_REPLICATION_FACTOR: '3' },
    });
  });

  afterAll(async () => {
    await fixture?.stop();
  });

  async function partitionsOf(topic: string): Promise<number[] | undefined> {
    const admin = new Kafka({
      clientId: 'topics-test',
      brokers: fixture.kafka?.bootstrapServers ?? [],
      logLevel: logLevel.NOTHING,
    }).admin();
    await admin.connect();
    try {
      if (!(await admin.listTopics()).includes(topic)) return undefined;
      // A broker other than the one that listed it may learn of a new topic a moment later.
      const { topics } = await waitFor(() => admin.fetchTopicMetadata({ topics: [topic] }).catch(() => undefined), {
        timeoutMs: 10_000,
        description: `metadata of ${topic}`,
      });
      return topics[0]?.partitions.map((p) => p.replicas.length);
    } finally {
      await admin.disconnect();
    }
  }

  async function cli(args: string[]): Promise<{ code: number; json: Record<string, unknown> }> {
    const result = await run('node', [join(repositoryRoot(), 'apps/cli/dist/main.js'), '--json', ...args], {
      env: {
        ...process.env,
        WRITEBACK_CONFIG_URL: fixture.system.configUrl,
        WRITEBACK_KAFKA_BROKERS: fixture.kafka?.bootstrapServers.join(',') ?? '',
        WRITEBACK_TOKEN: await fixture.issuer.token('platform-operator', {
          scope: 'writeback.operator writeback.auditor',
        }),
      },
    }).then(
      (ok) => ({ code: 0, stdout: ok.stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    return { code: result.code, json: JSON.parse(result.stdout) as Record<string, unknown> };
  }

  it('creates a domain’s executor topic when the domain is added, so its first command has somewhere to go', async () => {
    const domain = `branch-${stamp}`;
    const topic = executorTopic(domain);
    expect(await partitionsOf(topic)).toBeUndefined();
    const { publicKey } = await generateDomainKeyPair();
    const corp = forests.corp;
    const added = await fetch(new URL('/v1/domains', fixture.system.configUrl), {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: `Bearer ${await fixture.issuer.token('platform-operator', { scope: 'writeback.operator' })}`,
      },
      body: JSON.stringify({
        id: domain,
        displayName: 'A branch office added later',
        ldapUrls: [corp.ldapsUrl],
        baseDn: corp.baseDn,
        upnSuffixes: [`${domain}.example.test`],
        bindDn: corp.serviceAccount.upn,
        bindSecretRef: 'env:WRITEBACK_TEST_BIND_BRANCH',
        tlsCaPem: corp.caPem,
        publicKey,
        writebackEnabled: true,
      }),
    });
    expect(added.status).toBe(201);
    // With the settings config-service was given: 5 partitions of 3 replicas each.
    expect(await partitionsOf(topic)).toEqual([3, 3, 3, 3, 3]);

    // No executor serves the branch yet: the gate's command waits on its topic, and nothing
    // else is held up behind it.
    const { status, body } = await fixture.request(
      adminReset(`someone@${domain}.example.test`, `Branch-${stamp}-Aa1!`),
    );
    expect(status).toBe(202);
    const operationId = body['operationId'] as string;
    await waitFor(async () => (await kafkaRecords(fixture.kafka!, [topic])).includes(operationId), {
      timeoutMs: 30_000,
      description: `the command of ${operationId} on ${topic}`,
    });
    const corpUser = forestUser(corp, 'wendy').upn;
    const after = await fixture.request(adminReset(corpUser, `Corp-${stamp}-Aa1!`));
    expect(after.status).toBe(202);
    expect((await fixture.outcome(after.body['operationId'] as string)).status).toBe('applied');
  });

  it('`writeback topics create` creates what is missing, as kafka-topics.sh --create --if-not-exists does', async () => {
    const extra = `extra-${stamp}`;
    const first = await cli(['topics', 'create', '--domain', 'corp', extra, '--partitions', '2']);
    expect(first.code).toBe(0);
    expect(first.json['created']).toEqual([executorTopic(extra)]);
    expect(first.json['existing']).toEqual(expect.arrayContaining([...Object.values(Topics), executorTopic('corp')]));
    expect(await partitionsOf(executorTopic(extra))).toEqual([3, 3]);

    // Without --domain: every domain config-service knows, all present now.
    const again = await cli(['topics', 'create']);
    expect(again.code).toBe(0);
    expect(again.json['created']).toEqual([]);

    const bad = await cli(['topics', 'create', '--domain', 'Not A Domain']);
    expect(bad.code).toBe(2);
  });
});
