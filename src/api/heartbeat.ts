/** Heartbeat (key 12): keeps a member's session alive; tells it when a rebalance has begun. */
import type { HeartbeatRequest, HeartbeatResponseInput } from '../protocol/generated/index.js';
import type { ApiHandler } from './handler.js';
import { groupRefusal } from './authorize.js';

export const heartbeatHandler: ApiHandler<HeartbeatRequest, HeartbeatResponseInput> = {
  apiKey: 12,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    const refused = groupRefusal(ctx, request.groupId);
    if (refused) return this.errorResponse(request, refused.errorCode, refused.message, ctx.apiVersion);
    const errorCode = ctx.broker.groups.membership.heartbeat(request.groupId, request.memberId, request.groupInstanceId, request.generationId);
    return { throttleTimeMs: 0, errorCode };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
};
