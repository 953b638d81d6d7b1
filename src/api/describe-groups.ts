/** DescribeGroups (key 15): state, protocol and members; metadata and assignments once Stable. */
import type { DescribeGroupsRequest, DescribeGroupsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { AUTHORIZED_OPERATIONS_OMITTED } from './constants.js';
import { ownershipError } from '../coordinator/group/ownership.js';
import { authorizedOperations, groupRefusal, Op, ResourceType } from './authorize.js';

/** Group operations without an authorizer: READ 3, DELETE 6, DESCRIBE 8. */
const ALL_GROUP_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

export const describeGroupsHandler: ApiHandler<DescribeGroupsRequest, DescribeGroupsResponseInput> = {
  apiKey: 15,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const groups = request.groups.map((groupId) => {
      const ops = request.includeAuthorizedOperations ? authorizedOperations(ctx, ResourceType.GROUP, groupId, ALL_GROUP_OPERATIONS) : AUTHORIZED_OPERATIONS_OMITTED;
      const denied = groupRefusal(ctx, groupId, Op.DESCRIBE);
      if (denied) return { errorCode: denied.errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: ops };
      // A group whose __consumer_offsets partition is not loaded here: NOT_COORDINATOR, or COORDINATOR_LOAD_IN_PROGRESS.
      const refused = ownershipError(ctx.broker.groups.owns(groupId));
      if (refused !== ErrorCode.NONE) return { errorCode: refused, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: ops };
      const g = ctx.broker.groups.groups.get(groupId);
      if (!g) return { errorCode: ErrorCode.NONE, groupId, groupState: 'Dead', protocolType: '', protocolData: '', members: [], authorizedOperations: ops };
      const stable = g.state === 'Stable';
      const members = [...g.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(g.protocolName ?? '') : Buffer.alloc(0),
        memberAssignment: stable ? m.assignment : Buffer.alloc(0),
      }));
      return { errorCode: ErrorCode.NONE, groupId, groupState: g.state, protocolType: g.protocolType ?? '', protocolData: g.protocolName ?? '', members, authorizedOperations: ops };
    });
    return { throttleTimeMs: 0, groups };
  },
  errorResponse(request, errorCode) {
    return { throttleTimeMs: 0, groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [] })) };
  },
};
