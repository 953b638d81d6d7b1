/** AlterConfigs (key 33): replaces all of a topic's overrides, or of a broker level's dynamic configs, with the given set (Kafka's legacy semantics). */
import type { AlterConfigsRequest, AlterConfigsResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { RESOURCE_BROKER, RESOURCE_TOPIC } from './constants.js';
import { replaceBrokerConfigs } from './broker-config-alter.js';
import { authorizeConfigResource, Op } from './authorize.js';

export const alterConfigsHandler: ApiHandler<AlterConfigsRequest, AlterConfigsResponseInput> = {
  apiKey: 33,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const responses = [];
    for (const r of request.resources) {
      const refused = authorizeConfigResource(ctx, Op.ALTER_CONFIGS, r.resourceType, r.resourceName);
      if (refused) {
        responses.push({ ...refused, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      if (r.resourceType === RESOURCE_BROKER) {
        const outcome = await replaceBrokerConfigs(ctx, r.resourceName, r.configs, request.validateOnly);
        responses.push({ ...outcome, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      if (r.resourceType !== RESOURCE_TOPIC) {
        responses.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown resource type ${r.resourceType}`, resourceType: r.resourceType, resourceName: r.resourceName });
        continue;
      }
      const configs: Record<string, string | null> = {};
      for (const c of r.configs) configs[c.name] = c.value;
      const outcome = await ctx.broker.topics.setConfigs(r.resourceName, configs, request.validateOnly);
      responses.push({ errorCode: outcome.errorCode, errorMessage: outcome.errorMessage, resourceType: r.resourceType, resourceName: r.resourceName });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, responses: request.resources.map((r) => ({ errorCode, errorMessage: message, resourceType: r.resourceType, resourceName: r.resourceName })) };
  },
};
