/** ApiVersions (key 18): the API keys and version ranges this broker implements. */
import type { ApiVersionsRequest, ApiVersionsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { supportedApis } from './api-table.js';
import type { ApiHandler } from './handler.js';

function response(errorCode: number): ApiVersionsResponseInput {
  return { errorCode, apiKeys: supportedApis(), throttleTimeMs: 0 };
}

/** The answer to an ApiVersions version this broker does not know: error 35 in the v0 format (KIP-511). */
export function unsupportedApiVersionsResponse(): ApiVersionsResponseInput {
  return response(ErrorCode.UNSUPPORTED_VERSION);
}

export const apiVersionsHandler: ApiHandler<ApiVersionsRequest, ApiVersionsResponseInput> = {
  apiKey: 18,
  name: 'ApiVersions',
  minVersion: 0,
  maxVersion: 4,
  handle() {
    // Kafka also checks the client software name and version of v3+ (KIP-511); Tributary accepts
    // any, since refusing a client for its self-description helps nobody.
    return response(ErrorCode.NONE);
  },
  errorResponse(_request, errorCode) {
    return response(errorCode);
  },
};
