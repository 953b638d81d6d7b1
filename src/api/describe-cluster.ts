/** DescribeCluster (key 60): the brokers, cluster id and controller, as newer admin clients ask first. */
import type { DescribeClusterRequest, DescribeClusterResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';
import { authorizedOperations, ResourceType } from './authorize.js';
import { CLUSTER_NAME } from '../security/acl/acl-types.js';
import { liveBrokers } from './live-brokers.js';
import { ALL_CLUSTER_OPERATIONS, AUTHORIZED_OPERATIONS_OMITTED } from './constants.js';

const BROKER_ENDPOINTS = 1;

export const describeClusterHandler: ApiHandler<DescribeClusterRequest, DescribeClusterResponseInput> = {
  apiKey: 60,
  name: 'DescribeCluster',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    if (request.endpointType !== BROKER_ENDPOINTS) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.UNSUPPORTED_ENDPOINT_TYPE, errorMessage: 'Only broker endpoints are served here.', endpointType: request.endpointType, clusterId: ctx.broker.clusterId, brokers: [] };
    }
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      errorMessage: null,
      endpointType: BROKER_ENDPOINTS,
      clusterId: ctx.broker.clusterId,
      controllerId: ctx.broker.cluster.controller()?.nodeId ?? -1,
      brokers: liveBrokers(ctx).map((b) => ({ brokerId: b.nodeId, host: b.host, port: b.port, rack: b.rack })),
      clusterAuthorizedOperations: request.includeClusterAuthorizedOperations ? authorizedOperations(ctx, ResourceType.CLUSTER, CLUSTER_NAME, ALL_CLUSTER_OPERATIONS) : AUTHORIZED_OPERATIONS_OMITTED,
    };
  },
  errorResponse(request, errorCode, message) {
    return { throttleTimeMs: 0, errorCode, errorMessage: message, endpointType: request.endpointType, clusterId: '', brokers: [] };
  },
};
