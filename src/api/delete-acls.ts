/** DeleteAcls (key 31): removes the ACLs each filter selects and returns them. Needs ALTER on the cluster. */
import type { DeleteAclsRequest, DeleteAclsResponseInput, DeleteAclsResponseDeleteAclsFilterResultInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { invalidFilter } from '../security/acl/acl-match.js';
import type { AclFilter } from '../security/acl/acl-types.js';
import { Op } from './authorize.js';
import { aclApiRefusal, filterFromWire, matchingAclToWire } from './acl-wire.js';
import type { ApiHandler } from './handler.js';

export const deleteAclsHandler: ApiHandler<DeleteAclsRequest, DeleteAclsResponseInput> = {
  apiKey: 31,
  name: 'DeleteAcls',
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const refusal = aclApiRefusal(ctx, Op.ALTER);
    if (refusal) return this.errorResponse(request, refusal.errorCode, refusal.message, ctx.apiVersion);
    const results: DeleteAclsResponseDeleteAclsFilterResultInput[] = [];
    const valid: AclFilter[] = [];
    const validAt: number[] = [];
    for (const wire of request.filters) {
      const filter = filterFromWire(wire);
      const invalid = invalidFilter(filter);
      results.push({ errorCode: invalid === null ? ErrorCode.NONE : ErrorCode.INVALID_REQUEST, errorMessage: invalid, matchingAcls: [] });
      if (invalid === null) {
        validAt.push(results.length - 1);
        valid.push(filter);
      }
    }
    const deleted = await ctx.broker.authorizer!.deleteAcls(valid);
    deleted.forEach(({ error, deleted: acls }, i) => {
      results[validAt[i]] = error === null ? { errorCode: ErrorCode.NONE, errorMessage: null, matchingAcls: acls.map(matchingAclToWire) } : { errorCode: error.errorCode, errorMessage: error.message, matchingAcls: [] };
    });
    return { throttleTimeMs: 0, filterResults: results };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, filterResults: request.filters.map(() => ({ errorCode, errorMessage: message, matchingAcls: [] })) };
  },
};
