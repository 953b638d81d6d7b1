/** DescribeAcls (key 29): the ACLs a filter selects, grouped by resource pattern. Needs DESCRIBE on the cluster. */
import type { DescribeAclsRequest, DescribeAclsResponseInput, DescribeAclsResponseDescribeAclsResourceInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { invalidFilter } from '../security/acl/acl-match.js';
import { Op } from './authorize.js';
import { aclApiRefusal, filterFromWire } from './acl-wire.js';
import type { ApiHandler } from './handler.js';

export const describeAclsHandler: ApiHandler<DescribeAclsRequest, DescribeAclsResponseInput> = {
  apiKey: 29,
  name: 'DescribeAcls',
  minVersion: 0,
  maxVersion: 3,
  handle(ctx, request) {
    const refusal = aclApiRefusal(ctx, Op.DESCRIBE);
    if (refusal) return this.errorResponse(request, refusal.errorCode, refusal.message, ctx.apiVersion);
    const filter = filterFromWire(request);
    const invalid = invalidFilter(filter);
    if (invalid !== null) return this.errorResponse(request, ErrorCode.INVALID_REQUEST, invalid, ctx.apiVersion);
    const byPattern = new Map<string, DescribeAclsResponseDescribeAclsResourceInput>();
    for (const b of ctx.broker.authorizer!.acls(filter)) {
      const key = JSON.stringify([b.resourceType, b.patternType, b.resourceName]);
      let resource = byPattern.get(key);
      if (!resource) byPattern.set(key, (resource = { resourceType: b.resourceType, resourceName: b.resourceName, patternType: b.patternType, acls: [] }));
      (resource.acls as { principal: string; host: string; operation: number; permissionType: number }[]).push({ principal: b.principal, host: b.host, operation: b.operation, permissionType: b.permission });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, resources: [...byPattern.values()] };
  },
  errorResponse(_request, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, resources: [] };
  },
};
