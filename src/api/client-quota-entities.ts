/** The wire form of quota entities ([{entityType, entityName}]) to the quota model's, checked as Kafka checks them. */
import { CLIENT_ID, IP, USER, type QuotaEntity } from '../security/quota/quota-entity.js';

export interface WireEntity {
  readonly entityType: string;
  readonly entityName: string | null;
}

/** The entity, or why the request names none Kafka accepts. */
export function entityFromWire(parts: readonly WireEntity[]): QuotaEntity | string {
  if (parts.length === 0) return 'The quota entity is empty';
  const entity: { user?: string | null; clientId?: string | null; ip?: string | null } = {};
  for (const p of parts) {
    if (p.entityType === USER && !('user' in entity)) entity.user = p.entityName;
    else if (p.entityType === CLIENT_ID && !('clientId' in entity)) entity.clientId = p.entityName;
    else if (p.entityType === IP && !('ip' in entity)) entity.ip = p.entityName;
    else if ([USER, CLIENT_ID, IP].includes(p.entityType)) return `Duplicate ${p.entityType} in the quota entity`;
    else return `Unknown quota entity type ${p.entityType}`;
  }
  if ('ip' in entity && ('user' in entity || 'clientId' in entity)) return 'An ip quota entity cannot be combined with user or client-id';
  if (entity.user === '' || entity.clientId === '' || entity.ip === '') return 'A quota entity name must not be empty (null is the default)';
  return entity;
}

export function entityToWire(e: QuotaEntity): WireEntity[] {
  const out: WireEntity[] = [];
  if (e.user !== undefined) out.push({ entityType: USER, entityName: e.user });
  if (e.clientId !== undefined) out.push({ entityType: CLIENT_ID, entityName: e.clientId });
  if (e.ip !== undefined) out.push({ entityType: IP, entityName: e.ip });
  return out;
}
