/** JoinGroup (key 11): a member joins (or rejoins) a group; answered when the join phase ends. */
import type { JoinGroupRequest, JoinGroupResponseInput } from '../protocol/generated/index.js';
import type { ApiHandler } from './handler.js';
import { groupRefusal } from './authorize.js';

export const joinGroupHandler: ApiHandler<JoinGroupRequest, JoinGroupResponseInput> = {
  apiKey: 11,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request) {
    const refused = groupRefusal(ctx, request.groupId);
    if (refused) return this.errorResponse(request, refused.errorCode, refused.message, ctx.apiVersion);
    const result = await ctx.broker.groups.membership.join({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: request.groupInstanceId,
      clientId: ctx.clientId ?? '',
      // Kafka records the client's address as Java prints an InetAddress: "/127.0.0.1", no port.
      clientHost: `/${ctx.clientAddress}`,
      sessionTimeoutMs: request.sessionTimeoutMs,
      // v0 has no rebalance timeout: the session timeout bounds the join phase, as in Kafka.
      rebalanceTimeoutMs: ctx.apiVersion >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: Buffer.from(p.metadata) })),
      requireKnownMemberId: ctx.apiVersion >= 4,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Before v7 the protocol name is not nullable: an error answer carries an empty one.
      protocolName: ctx.apiVersion >= 7 ? result.protocolName : (result.protocolName ?? ''),
      leader: result.leader,
      skipAssignment: ctx.apiVersion >= 9 && result.skipAssignment,
      memberId: result.memberId,
      members: result.members,
    };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, errorCode, generationId: -1, protocolName: '', leader: '', memberId: request.memberId, members: [] };
  },
};
