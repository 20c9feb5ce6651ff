import { metrics } from '@writeback/observability';
import { ConsumerLagSeries } from './consumer-lag';

async function lag(): Promise<Record<string, number>> {
  const { values } = await metrics.consumerLag.get();
  return Object.fromEntries(
    values.map(({ labels, value }) => [`${labels.group} ${labels.topic}/${labels.partition}`, value]),
  );
}

describe('ConsumerLagSeries', () => {
  beforeEach(() => metrics.consumerLag.reset());

  it('drops the partitions a rebalance took away, and keeps the ones still assigned', async () => {
    const sut = new ConsumerLagSeries('gate');
    const other = new ConsumerLagSeries('audit');
    for (const partition of [0, 1, 2]) sut.report('events', partition, 10 + partition);
    sut.report('commands', 0, 5);
    other.report('events', 1, 7);

    sut.assigned({ events: [1] });

    expect(await lag()).toEqual({ 'gate events/1': 11, 'audit events/1': 7 });
  });

  it('reports a partition again once it comes back', async () => {
    const sut = new ConsumerLagSeries('gate');
    sut.report('events', 0, 3);
    sut.assigned({ events: [1] });
    sut.assigned({ events: [0, 1] });
    expect(await lag()).toEqual({});
    sut.report('events', 0, 0);
    expect(await lag()).toEqual({ 'gate events/0': 0 });
  });

  it('drops everything once the member leaves', async () => {
    const sut = new ConsumerLagSeries('gate');
    sut.report('events', 0, 3);
    sut.report('events', 1, 4);
    sut.clear();
    expect(await lag()).toEqual({});
  });
});
