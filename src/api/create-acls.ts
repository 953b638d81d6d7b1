/** CreateAcls (key 30): stores ACL bindings, each answered on its own (INVALID_REQUEST for a bad one). Needs ALTER on the cluster. */
import type { CreateAclsRequest, CreateAclsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { invalidNewAcl } from '../security/acl/acl-match.js';
import type { AclBinding } from '../security/acl/acl-types.js';
import { Op } from './authorize.js';
import { aclApiRefusal } from './acl-wire.js';
import type { ApiHandler } from './handler.js';

export const createAclsHandler: ApiHandler<CreateAclsRequest, CreateAclsResponseInput> = {
  apiKey: 30,
  name: 'CreateAcls',
  minVersion: 0,
  maxVersion: 3,
  async handle(ctx, request) {
    const refusal = aclApiRefusal(ctx, Op.ALTER);
    if (refusal) return this.errorResponse(request, refusal.errorCode, refusal.message, ctx.apiVersion);
    const results: { errorCode: number; errorMessage: string | null }[] = [];
    const valid: AclBinding[] = [];
    const validAt: number[] = [];
    for (const c of request.creations) {
      const binding: AclBinding = {
        resourceType: c.resourceType,
        resourceName: c.resourceName,
        patternType: c.resourcePatternType,
        principal: c.principal,
        host: c.host,
        operation: c.operation,
        permission: c.permissionType,
      };
      const invalid = invalidNewAcl(binding);
      results.push(invalid === null ? { errorCode: ErrorCode.NONE, errorMessage: null } : { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid });
      if (invalid === null) {
        validAt.push(results.length - 1);
        valid.push(binding);
      }
    }
    const written = await ctx.broker.authorizer!.createAcls(valid);
    written.forEach((w, i) => {
      if (w !== null) results[validAt[i]] = { errorCode: w.errorCode, errorMessage: w.message };
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode, errorMessage: message })) };
  },
};
