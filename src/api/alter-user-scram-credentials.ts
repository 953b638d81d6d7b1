/**
 * AlterUserScramCredentials (key 51, KIP-554): upserts and deletes users' SCRAM credentials. The
 * client sends a salt and the salted password (never the password); the broker derives and keeps
 * StoredKey and ServerKey. A user's alterations in one request apply together or fail together,
 * with one result per user, checked as Kafka checks them: a known mechanism, iterations within
 * [4096, 16384], a non-empty name, salt and salted password, no (user, mechanism) twice, and no
 * deletion of a credential that does not exist.
 */
import type {
  AlterUserScramCredentialsRequest,
  AlterUserScramCredentialsResponseAlterUserScramCredentialsResultInput,
  AlterUserScramCredentialsResponseInput,
} from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import { credentialFromSaltedPassword, MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS, type ScramMechanism } from '../security/sasl/scram-formulas.js';
import type { CredentialChange } from '../security/sasl/scram-credentials.js';
import type { ApiHandler } from './handler.js';
import { scramMechanismOf } from './scram-mechanisms.js';
import { authorizeCluster, Op } from './authorize.js';

type Result = AlterUserScramCredentialsResponseAlterUserScramCredentialsResultInput;

interface Alteration {
  readonly user: string;
  readonly mechanismNumber: number;
  /** Null for a deletion. */
  readonly upsert: { iterations: number; salt: Buffer; saltedPassword: Buffer } | null;
}

/** Why one alteration cannot be made, or null. */
function problem(a: Alteration, mechanism: ScramMechanism | undefined, exists: boolean): { code: number; message: string } | null {
  if (a.user === '') return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'Username must not be empty' };
  if (mechanism === undefined) return { code: ErrorCode.UNSUPPORTED_SASL_MECHANISM, message: 'Unknown SCRAM mechanism' };
  if (a.upsert === null) return exists ? null : { code: ErrorCode.RESOURCE_NOT_FOUND, message: 'Attempt to delete a user credential that does not exist' };
  if (a.upsert.iterations < MIN_SCRAM_ITERATIONS) return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: `Too few iterations: at least ${MIN_SCRAM_ITERATIONS}` };
  if (a.upsert.iterations > MAX_SCRAM_ITERATIONS) return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: `Too many iterations: at most ${MAX_SCRAM_ITERATIONS}` };
  if (a.upsert.salt.length === 0 || a.upsert.saltedPassword.length === 0) return { code: ErrorCode.UNACCEPTABLE_CREDENTIAL, message: 'The salt and the salted password must not be empty' };
  return null;
}

export const alterUserScramCredentialsHandler: ApiHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponseInput> = {
  apiKey: 51,
  name: 'AlterUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    if (!authorizeCluster(ctx, Op.ALTER)) return this.errorResponse(request, ErrorCode.CLUSTER_AUTHORIZATION_FAILED, `${ctx.principal} may not alter SCRAM credentials (needs ALTER on the cluster).`, ctx.apiVersion);
    const credentials = ctx.broker.scramCredentials;
    const byUser = new Map<string, Alteration[]>();
    const add = (a: Alteration) => byUser.set(a.user, [...(byUser.get(a.user) ?? []), a]);
    for (const d of request.deletions) add({ user: d.name, mechanismNumber: d.mechanism, upsert: null });
    for (const u of request.upsertions) add({ user: u.name, mechanismNumber: u.mechanism, upsert: { iterations: u.iterations, salt: u.salt, saltedPassword: u.saltedPassword } });
    const results: Result[] = [];
    const changes: CredentialChange[] = [];
    for (const [user, alterations] of byUser) {
      const mechanisms = alterations.map((a) => a.mechanismNumber);
      if (new Set(mechanisms).size !== mechanisms.length) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' });
        continue;
      }
      let failed: { code: number; message: string } | null = null;
      const mine: CredentialChange[] = [];
      for (const a of alterations) {
        const mechanism = scramMechanismOf(a.mechanismNumber);
        failed = problem(a, mechanism, mechanism !== undefined && credentials.lookup(user, mechanism) !== undefined);
        if (failed) break;
        const m = mechanism as ScramMechanism;
        mine.push({ user, mechanism: m, credential: a.upsert === null ? null : credentialFromSaltedPassword(m, a.upsert.saltedPassword, a.upsert.salt, a.upsert.iterations) });
      }
      if (failed) results.push({ user, errorCode: failed.code, errorMessage: failed.message });
      else {
        changes.push(...mine);
        results.push({ user, errorCode: ErrorCode.NONE, errorMessage: null });
      }
    }
    try {
      await credentials.apply(changes);
    } catch (err) {
      ctx.log.error({ err }, 'writing SCRAM credentials failed');
      const written = new Set(changes.map((c) => c.user));
      return { throttleTimeMs: 0, results: results.map((r) => (written.has(r.user) ? { ...r, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: 'The credentials could not be stored' } : r)) };
    }
    return { throttleTimeMs: 0, results };
  },
  errorResponse(request, errorCode, message) {
    const users = new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)]);
    return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode, errorMessage: message })) };
  },
};
