/**
 * ListPartitionReassignments (key 46, v0; KIP-455): the reassignments under way, with each
 * partition's replicas and the replicas being added and removed, from the controller's broker
 * (NOT_CONTROLLER elsewhere, as Kafka). Without a topic list every ongoing reassignment is listed;
 * with one, only the named partitions that are being reassigned (unknown ones are left out).
 */
import type { ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { reassigning } from '../metadata/metadata-store.js';
import type { ApiHandler } from './handler.js';
import { authorizeCluster, Op } from './authorize.js';

type OngoingTopic = ListPartitionReassignmentsResponseInput['topics'][number];

export const listPartitionReassignmentsHandler: ApiHandler<ListPartitionReassignmentsRequest, ListPartitionReassignmentsResponseInput> = {
  apiKey: 46,
  name: 'ListPartitionReassignments',
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not describe the cluster.`, ctx.apiVersion);
    const view = ctx.broker.cluster;
    if (view.controller()?.nodeId !== ctx.broker.nodeId) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NOT_CONTROLLER, errorMessage: 'This is not the active controller.', topics: [] };
    }
    const wanted = request.topics === null ? view.topics().map((t) => ({ name: t.name, partitionIndexes: Array.from({ length: t.partitions }, (_, p) => p) })) : request.topics;
    const topics: OngoingTopic[] = [];
    for (const w of wanted) {
      const topic = view.topic(w.name);
      if (!topic) continue;
      const partitions: OngoingTopic['partitions'] = [];
      for (const index of new Set(w.partitionIndexes)) {
        const state = view.partition(topic.topicId, index)?.state;
        if (!state || !reassigning(state)) continue;
        partitions.push({ partitionIndex: index, replicas: [...state.replicas], addingReplicas: [...(state.addingReplicas ?? [])], removingReplicas: [...(state.removingReplicas ?? [])] });
      }
      if (partitions.length > 0) topics.push({ name: w.name, partitions: partitions.sort((a, b) => a.partitionIndex - b.partitionIndex) });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, topics };
  },
  errorResponse(_request, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, topics: [] };
  },
};
