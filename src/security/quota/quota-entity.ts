/**
 * Kafka's client quota entities: a user, a client id, or both, each either named or the default
 * (`<default>`, a null name on the wire); and, apart, an IP address for connection creation rates.
 * A client's quota of one kind comes from the first entity, in Kafka's order, that sets it:
 *
 *   user+client-id, user+<default client>, user, <default user>+client-id,
 *   <default user>+<default client>, <default user>, client-id, <default client>
 *
 * In the store each entity is one record of kind 'quota':
 *
 *   key    "user=<name>", "client-id=<name>", "user=<name>&client-id=<name>", "ip=<address>"
 *          (names URI-encoded; the default is the bare token <default>)
 *   value  {"producer_byte_rate":1048576,...}
 */
export const USER = 'user';
export const CLIENT_ID = 'client-id';
export const IP = 'ip';

export const BYTE_RATE_KEYS = ['producer_byte_rate', 'consumer_byte_rate'] as const;
/** Keys a user / client-id entity may set, and the one an ip entity may. */
export const CLIENT_QUOTA_KEYS = ['producer_byte_rate', 'consumer_byte_rate', 'request_percentage', 'controller_mutation_rate'] as const;
export const IP_QUOTA_KEYS = ['connection_creation_rate'] as const;

/** null means the default entity of that type. */
export interface QuotaEntity {
  readonly user?: string | null;
  readonly clientId?: string | null;
  readonly ip?: string | null;
}

const DEFAULT = '<default>';

function part(type: string, name: string | null): string {
  return `${type}=${name === null ? DEFAULT : encodeURIComponent(name)}`;
}

export function entityKey(e: QuotaEntity): string {
  const parts: string[] = [];
  if (e.user !== undefined) parts.push(part(USER, e.user));
  if (e.clientId !== undefined) parts.push(part(CLIENT_ID, e.clientId));
  if (e.ip !== undefined) parts.push(part(IP, e.ip));
  return parts.join('&');
}

export function parseEntityKey(key: string): QuotaEntity | null {
  const entity: { user?: string | null; clientId?: string | null; ip?: string | null } = {};
  for (const p of key.split('&')) {
    const eq = p.indexOf('=');
    if (eq < 0) return null;
    const raw = p.slice(eq + 1);
    let name: string | null;
    try {
      name = raw === DEFAULT ? null : decodeURIComponent(raw);
    } catch {
      return null;
    }
    const type = p.slice(0, eq);
    if (type === USER) entity.user = name;
    else if (type === CLIENT_ID) entity.clientId = name;
    else if (type === IP) entity.ip = name;
    else return null;
  }
  return entity;
}

/** The entities that could give (user, clientId) a quota, most specific first. */
export function candidates(user: string, clientId: string): QuotaEntity[] {
  return [
    { user, clientId },
    { user, clientId: null },
    { user },
    { user: null, clientId },
    { user: null, clientId: null },
    { user: null },
    { clientId },
    { clientId: null },
  ];
}

/**
 * The metric entity a matched quota is counted against: the client's own names where the match
 * was a default, so each user (or client) under a default quota gets its own allowance.
 */
export function sensorKey(matched: QuotaEntity, user: string, clientId: string): string {
  const resolved: QuotaEntity = {
    ...(matched.user !== undefined ? { user } : {}),
    ...(matched.clientId !== undefined ? { clientId } : {}),
  };
  return entityKey(resolved);
}
