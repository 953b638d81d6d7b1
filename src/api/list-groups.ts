/**
 * ListGroups (key 16): the groups this broker coordinates (those of the __consumer_offsets
 * partitions it has loaded), filtered by state (v4+) and type (v5+). While a partition is still
 * loading, the answer says COORDINATOR_LOAD_IN_PROGRESS beside the groups known so far, as Kafka's.
 */
import type { ListGroupsRequest, ListGroupsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { authorize, authorizeCluster, Op, ResourceType } from './authorize.js';

export const listGroupsHandler: ApiHandler<ListGroupsRequest, ListGroupsResponseInput> = {
  apiKey: 16,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const states = new Set(request.statesFilter.map((s) => s.toLowerCase()));
    const types = new Set(request.typesFilter.map((s) => s.toLowerCase()));
    const groups = [];
    // DESCRIBE on the cluster lists every group; else only the groups the principal may describe (Kafka, silently).
    const all = authorizeCluster(ctx, Op.DESCRIBE, false);
    for (const g of ctx.broker.groups.groups.values()) {
      if (g.state === 'Dead') continue;
      if (!all && !authorize(ctx, Op.DESCRIBE, ResourceType.GROUP, g.groupId, false)) continue;
      if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
      if (types.size > 0 && !types.has('classic')) continue;
      groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: 'classic' });
    }
    return { throttleTimeMs: 0, errorCode: ctx.broker.groups.isLoading ? ErrorCode.COORDINATOR_LOAD_IN_PROGRESS : ErrorCode.NONE, groups };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
};
