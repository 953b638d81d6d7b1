/** DeleteGroups (key 42): removes empty groups and their committed offsets. */
import type { DeleteGroupsRequest, DeleteGroupsResponseInput } from '../protocol/generated/index.js';
import type { ApiHandler } from './handler.js';
import { groupRefusal, Op } from './authorize.js';

export const deleteGroupsHandler: ApiHandler<DeleteGroupsRequest, DeleteGroupsResponseInput> = {
  apiKey: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const results = [];
    for (const groupId of request.groupsNames) results.push({ groupId, errorCode: groupRefusal(ctx, groupId, Op.DELETE)?.errorCode ?? (await ctx.broker.groups.deleteGroup(groupId)) });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
};
