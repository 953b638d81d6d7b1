/** LeaveGroup (key 13): one member (v0-2) or a batch of members, static ones by instance id (v3+). */
import type { LeaveGroupRequest, LeaveGroupResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { ownershipError } from '../coordinator/group/ownership.js';
import { groupRefusal } from './authorize.js';

export const leaveGroupHandler: ApiHandler<LeaveGroupRequest, LeaveGroupResponseInput> = {
  apiKey: 13,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const denied = groupRefusal(ctx, request.groupId);
    if (denied) return this.errorResponse(request, denied.errorCode, denied.message, ctx.apiVersion);
    const membership = ctx.broker.groups.membership;
    if (ctx.apiVersion < 3) {
      return { throttleTimeMs: 0, errorCode: membership.leave(request.groupId, request.memberId, null), members: [] };
    }
    const refused = ownershipError(ctx.broker.groups.owns(request.groupId));
    if (refused !== ErrorCode.NONE) return { throttleTimeMs: 0, errorCode: refused, members: [] };
    if (!ctx.broker.groups.groups.has(request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    const members = request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode: membership.leave(request.groupId, m.memberId, m.groupInstanceId) }));
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, members };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, errorCode })) };
  },
};
