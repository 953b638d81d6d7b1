/**
 * The aborted-transaction indexes of a disk log's segments taken together: where an ABORT
 * marker's entry goes (the segment holding the marker) and what a read_committed fetch from
 * `fetchOffset` must be told (Kafka's collectAbortedTransactions: from the segment holding the
 * fetch offset onwards, until an entry's last stable offset shows no later one can overlap).
 */
import type { Segment } from './segment.js';
import { segmentIndexFor } from './log-reads.js';
import { collectFrom, type AbortedTxn } from './txn-index.js';

export function appendAbortedTxnTo(segments: readonly Segment[], t: AbortedTxn): Promise<void> {
  return segments[segmentIndexFor(segments, t.lastOffset)].txnIndex.append(t);
}

export async function collectAbortedTxnsIn(segments: readonly Segment[], fetchOffset: number, upperBoundOffset: number): Promise<AbortedTxn[]> {
  const out: AbortedTxn[] = [];
  const list = [...segments];
  for (let i = segmentIndexFor(list, fetchOffset); i < list.length; i++) {
    if (list[i].txnIndex.knownEmpty) continue;
    const search = collectFrom(await list[i].txnIndex.entries(), fetchOffset, upperBoundOffset);
    out.push(...search.found);
    if (search.complete) break;
  }
  return out;
}
