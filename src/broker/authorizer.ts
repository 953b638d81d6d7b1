/** Starts the ACL authorizer when authorizer.class.name asks for one (validated by the config: Kafka's ACL authorizers only). */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { AclAuthorizer } from '../security/acl/authorizer.js';
import { parseSuperUsers } from '../security/acl/acl-match.js';

export async function openAuthorizer(config: BrokerConfig, store: MetadataStore, log: Logger): Promise<AclAuthorizer | undefined> {
  if ((config.get('authorizer.class.name') ?? '') === '') return undefined;
  const authorizer = await AclAuthorizer.open(store, { superUsers: parseSuperUsers(config.get('super.users')), allowEveryoneIfNoAclFound: config.bool('allow.everyone.if.no.acl.found') }, log);
  log.info({ acls: authorizer.aclCount, authorizer: config.get('authorizer.class.name') }, 'ACL authorizer on');
  return authorizer;
}
