/** SyncGroup (key 14): the leader hands out assignments; every member receives its own. */
import type { SyncGroupRequest, SyncGroupResponseInput } from '../protocol/generated/index.js';
import type { ApiHandler } from './handler.js';
import { groupRefusal } from './authorize.js';

export const syncGroupHandler: ApiHandler<SyncGroupRequest, SyncGroupResponseInput> = {
  apiKey: 14,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const refused = groupRefusal(ctx, request.groupId);
    if (refused) return this.errorResponse(request, refused.errorCode, refused.message, ctx.apiVersion);
    const result = await ctx.broker.groups.membership.sync({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      generationId: request.generationId,
      protocolType: ctx.apiVersion >= 5 ? request.protocolType : null,
      protocolName: ctx.apiVersion >= 5 ? request.protocolName : null,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: Buffer.from(a.assignment) })),
    });
    return { throttleTimeMs: 0, errorCode: result.errorCode, protocolType: result.protocolType, protocolName: result.protocolName, assignment: result.assignment };
  },
  errorResponse(_request, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
  },
};
