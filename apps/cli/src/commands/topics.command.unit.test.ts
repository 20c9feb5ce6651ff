import { executorTopic, TopicConfigs, Topics } from '@writeback/contracts';
import { topicSpecs } from './topics.command';

describe('writeback topics create: topicSpecs', () => {
  it('gives the lookups topic its own retention over --config, and every other topic --config alone', () => {
    const names = [...Object.values(Topics), executorTopic('corp')];
    const config = { 'min.insync.replicas': '2', 'retention.ms': '604800000' };
    const specs = topicSpecs(names, { partitions: 12, config });

    expect(specs.map((s) => s.name)).toEqual(names);
    expect(specs.find((s) => s.name === Topics.lookups)).toEqual({
      name: Topics.lookups,
      partitions: 12,
      config: { 'min.insync.replicas': '2', 'retention.ms': '3600000', 'segment.ms': '600000' },
    });
    for (const spec of specs.filter((s) => s.name !== Topics.lookups)) {
      expect(spec).toEqual({ name: spec.name, partitions: 12, config });
    }
  });

  it('names only topics the contracts know', () => {
    expect(Object.keys(TopicConfigs).every((name) => (Object.values(Topics) as string[]).includes(name))).toBe(true);
  });
});
