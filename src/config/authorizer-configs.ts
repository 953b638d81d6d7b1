/**
 * The authorizer's broker keys, with Kafka's names and defaults. The authorizer is on when
 * authorizer.class.name names one of Kafka's ACL authorizers (Tributary implements their rules
 * itself; no class is loaded); unset, every request is allowed, as in Kafka.
 */
import { ConfigType, type ConfigDef } from './config-def.js';

/** The class names Kafka users configure for ACL authorization: ZooKeeper-era and KRaft. */
export const ACL_AUTHORIZER_CLASSES: readonly string[] = ['kafka.security.authorizer.AclAuthorizer', 'org.apache.kafka.metadata.authorizer.StandardAuthorizer'];

function validAuthorizerClass(v: string): string | null {
  if (v === '' || ACL_AUTHORIZER_CLASSES.includes(v)) return null;
  return `Tributary implements Kafka's ACL authorizer only; set ${ACL_AUTHORIZER_CLASSES.join(' or ')}, or leave it empty for none`;
}

function validSuperUsers(v: string): string | null {
  const bad = v.split(';').map((p) => p.trim()).filter((p) => p !== '' && !/^[^:]+:.+$/.test(p));
  return bad.length === 0 ? null : `super.users holds principals as Type:name separated by ';', got ${bad.join(', ')}`;
}

export const AUTHORIZER_CONFIG_DEFS: readonly ConfigDef[] = [
  { name: 'authorizer.class.name', type: ConfigType.String, defaultValue: '', doc: `The authorizer: ${ACL_AUTHORIZER_CLASSES.join(' or ')} turns ACL checks on; empty allows everything.`, validate: validAuthorizerClass },
  { name: 'super.users', type: ConfigType.String, defaultValue: '', doc: 'Principals allowed every operation whatever the ACLs say, separated by semicolons (User:admin;User:broker).', validate: validSuperUsers },
  { name: 'allow.everyone.if.no.acl.found', type: ConfigType.Boolean, defaultValue: 'false', doc: 'With the authorizer on: whether a resource that has no ACL at all is open to everyone.' },
];
