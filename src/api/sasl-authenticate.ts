/**
 * SaslAuthenticate (key 36, v1 adds the session lifetime of KIP-368, v2 is flexible). The SASL gate
 * (server/sasl-gate.ts) answers it during an exchange; one reaching this handler came on a
 * listener without SASL or after authentication completed: ILLEGAL_SASL_STATE, as Kafka answers.
 */
import type { SaslAuthenticateRequest, SaslAuthenticateResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';

export const saslAuthenticateHandler: ApiHandler<SaslAuthenticateRequest, SaslAuthenticateResponseInput> = {
  apiKey: 36,
  name: 'SaslAuthenticate',
  minVersion: 0,
  maxVersion: 2,
  handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received on a connection that is not authenticating', authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  },
  errorResponse(_request, errorCode, message) {
    return { errorCode, errorMessage: message, authBytes: Buffer.alloc(0), sessionLifetimeMs: 0n };
  },
};
