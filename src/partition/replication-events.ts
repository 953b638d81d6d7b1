/**
 * A diagnostics channel event per batch run a follower copied from its leader: Kafka's
 * ReplicationBytesInPerSec. Costs one boolean check while nobody listens.
 */
import { channel } from 'node:diagnostics_channel';

export const REPLICATED_CHANNEL_NAME = 'tributary:partition:replicated';
const replicated = channel(REPLICATED_CHANNEL_NAME);

export interface ReplicatedEvent {
  /** The follower broker that appended them. */
  readonly nodeId: number;
  readonly topic: string;
  readonly bytes: number;
}

export function noteReplicated(nodeId: number, topic: string, bytes: number): void {
  if (!replicated.hasSubscribers || bytes === 0) return;
  const event: ReplicatedEvent = { nodeId, topic, bytes };
  replicated.publish(event);
}
