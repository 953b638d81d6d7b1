/**
 * SaslHandshake (key 17). On a SASL listener the server's SASL gate (server/sasl-gate.ts) answers
 * it before authentication and for a re-authentication; a handshake that reaches this handler came
 * on a listener without SASL, where Kafka answers ILLEGAL_SASL_STATE.
 */
import type { SaslHandshakeRequest, SaslHandshakeResponseInput } from '../protocol/generated/index.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ApiHandler } from './handler.js';

export const saslHandshakeHandler: ApiHandler<SaslHandshakeRequest, SaslHandshakeResponseInput> = {
  apiKey: 17,
  name: 'SaslHandshake',
  minVersion: 0,
  maxVersion: 1,
  handle() {
    return { errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms: [] };
  },
  errorResponse(_request, errorCode) {
    return { errorCode, mechanisms: [] };
  },
};
