import { metrics } from '@writeback/observability';

/**
 * The `writeback_consumer_lag_messages` series of one consumer group member: one per partition
 * it has reported, dropped once a rebalance hands the partition to another member, so a
 * partition this member no longer reads does not keep its last value forever.
 */
export class ConsumerLagSeries {
  private readonly reported = new Map<string, Set<number>>();

  constructor(private readonly groupId: string) {}

  report(topic: string, partition: number, lag: number): void {
    metrics.consumerLag.set({ topic, group: this.groupId, partition: String(partition) }, lag);
    let partitions = this.reported.get(topic);
    if (!partitions) this.reported.set(topic, (partitions = new Set()));
    partitions.add(partition);
  }

  /** After joining the group: `assignment` is what this member now reads, by topic. */
  assigned(assignment: Readonly<Record<string, readonly number[] | undefined>>): void {
    for (const [topic, partitions] of this.reported) {
      const kept = new Set(assignment[topic] ?? []);
      for (const partition of partitions) {
        if (kept.has(partition)) continue;
        metrics.consumerLag.remove({ topic, group: this.groupId, partition: String(partition) });
        partitions.delete(partition);
      }
    }
  }

  /** The member left the group: it reports on nothing. */
  clear(): void {
    this.assigned({});
  }
}
