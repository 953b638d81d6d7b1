/** Values several handlers share. */

export const ZERO_UUID = 'AAAAAAAAAAAAAAAAAAAAAA';

/** Kafka's "authorized operations not requested" marker (Integer.MIN_VALUE). */
export const AUTHORIZED_OPERATIONS_OMITTED = -2147483648;

/**
 * Without an authorizer every operation is allowed: the bit set of Kafka's AclOperation codes that
 * apply to topics (READ 3, WRITE 4, CREATE 5, DELETE 6, ALTER 7, DESCRIBE 8, DESCRIBE_CONFIGS 10,
 * ALTER_CONFIGS 11).
 */
export const ALL_TOPIC_OPERATIONS = [3, 4, 5, 6, 7, 8, 10, 11].reduce((bits, op) => bits | (1 << op), 0);

/** Cluster operations (ALTER 7, DESCRIBE 8, CLUSTER_ACTION 9, DESCRIBE_CONFIGS 10, ALTER_CONFIGS 11, IDEMPOTENT_WRITE 12, CREATE 5). */
export const ALL_CLUSTER_OPERATIONS = [5, 7, 8, 9, 10, 11, 12].reduce((bits, op) => bits | (1 << op), 0);

/** Kafka's resource type codes used by config APIs. */
export const RESOURCE_TOPIC = 2;
export const RESOURCE_BROKER = 4;
