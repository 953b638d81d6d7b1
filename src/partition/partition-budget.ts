/**
 * The broker's partition limits: `tributary.topic.max.partitions` for one topic (answered with
 * INVALID_PARTITIONS, as Kafka answers a bad partition count) and `tributary.broker.max.partitions`
 * for all topics together (POLICY_VIOLATION). Partitions being created count as held from the
 * check on, so creations of different topics racing each other cannot pass the limit together.
 */
import { ErrorCode } from '../protocol/error-codes.js';
import type { BrokerConfig } from '../config/broker-configs.js';

export interface LimitRefusal {
  errorCode: number;
  message: string;
}

export class PartitionBudget {
  private reserved = 0;

  constructor(
    private readonly config: BrokerConfig,
    /** Partitions of the topic table. */
    private readonly held: () => number,
  ) {}

  /** Why growing topic `name` from `current` to `wanted` partitions is refused, or null when it fits. */
  check(name: string, current: number, wanted: number): LimitRefusal | null {
    const topicMax = this.config.int('tributary.topic.max.partitions');
    if (wanted > topicMax) {
      return { errorCode: ErrorCode.INVALID_PARTITIONS, message: `Topic ${name} would have ${wanted} partitions, more than tributary.topic.max.partitions (${topicMax}).` };
    }
    const brokerMax = this.config.int('tributary.broker.max.partitions');
    const adding = wanted - current;
    const total = this.held() + this.reserved + adding;
    if (total > brokerMax) {
      return { errorCode: ErrorCode.POLICY_VIOLATION, message: `Creating ${adding} partitions would bring this broker to ${total} partitions, more than tributary.broker.max.partitions (${brokerMax}).` };
    }
    return null;
  }

  /**
   * Holds `n` partitions while `task` creates them. Call it right after a passing `check`, with no
   * await between; `task` calls `recorded` once the topic table counts them (or they are dropped).
   */
  async reserve<T>(n: number, task: (recorded: () => void) => Promise<T>): Promise<T> {
    this.reserved += n;
    let held = true;
    const release = () => {
      if (held) this.reserved -= n;
      held = false;
    };
    try {
      return await task(release);
    } finally {
      release();
    }
  }
}
