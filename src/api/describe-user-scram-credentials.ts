/**
 * DescribeUserScramCredentials (key 50, KIP-554): which SCRAM mechanisms each user has a
 * credential for, with the iteration counts; never salts or keys. No user list (or an empty one)
 * describes every user; a named user without credentials answers RESOURCE_NOT_FOUND, a name given
 * twice DUPLICATE_RESOURCE, as Kafka does.
 */
import type { DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { scramMechanismNumber } from './scram-mechanisms.js';
import { authorizeCluster, Op } from './authorize.js';

export const describeUserScramCredentialsHandler: ApiHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInput> = {
  apiKey: 50,
  name: 'DescribeUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    if (!authorizeCluster(ctx, Op.DESCRIBE)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not describe SCRAM credentials (needs DESCRIBE on the cluster).`, ctx.apiVersion);
    const known = ctx.broker.scramCredentials.list();
    const describe = (user: string) => {
      const infos = known.get(user);
      if (!infos) return { user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to describe a user credential that does not exist', credentialInfos: [] };
      return { user, errorCode: ErrorCode.NONE, errorMessage: null, credentialInfos: infos.map((i) => ({ mechanism: scramMechanismNumber(i.mechanism), iterations: i.iterations })) };
    };
    const named = request.users?.map((u) => u.name) ?? [];
    if (named.length === 0) return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results: [...known.keys()].sort().map(describe) };
    const counts = new Map<string, number>();
    for (const name of named) counts.set(name, (counts.get(name) ?? 0) + 1);
    const results = [...counts].map(([user, n]) =>
      n > 1 ? { user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'Cannot describe SCRAM credentials for the same user twice in a single request', credentialInfos: [] } : describe(user),
    );
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
  errorResponse(_request, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, results: [] };
  },
};
