/**
 * The SASL exchange in front of a SASL listener's requests (Kafka's SaslServerAuthenticator), as a
 * dispatcher that wraps the ordinary one. Per connection:
 *
 *   handshake ──SaslHandshake v1──> authenticate ──SaslAuthenticate…──> authenticated
 *       └─────SaslHandshake v0──> raw tokens (no request header; kafka-python) ──┘
 *
 * Before authentication only ApiVersions and the SASL requests are served; anything else closes
 * the connection. A failed authentication is answered (SASL_AUTHENTICATION_FAILED and a message)
 * after connection.failed.authentication.delay.ms, then the connection closes. With
 * connections.max.reauth.ms, a session ends after that long (KIP-368): the client re-authenticates
 * with SaslHandshake + SaslAuthenticate on the same connection, as the same principal, or the next
 * request after the end closes the connection. PLAIN and SCRAM answer synchronously; OAUTHBEARER's
 * check settles later, and until it does the connection is not authenticated.
 */
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/error-codes.js';
import { decodeRequestFrame, encodeResponseFrame, UnsupportedApiError } from '../protocol/request-codec.js';
import { DecodeError } from '../protocol/codec-errors.js';
import { API_VERSIONS_KEY } from '../protocol/headers.js';
import type { SaslHandshakeRequest } from '../protocol/generated/SaslHandshakeRequest.js';
import type { SaslAuthenticateRequest } from '../protocol/generated/SaslAuthenticateRequest.js';
import type { SaslAuthenticateResponseInput } from '../protocol/generated/SaslAuthenticateResponse.js';
import { isSupportedMechanism, SaslAuthenticationError, type SaslExchange, type SaslStep } from '../security/sasl/exchange.js';
import type { SaslListenerSettings } from '../security/sasl/sasl-settings.js';
import { userPrincipal, usesSasl } from '../security/principal.js';
import type { ClientSession } from './client-session.js';
import type { Dispatched, Dispatcher, DispatchResult } from './dispatch.js';

export const SASL_HANDSHAKE_KEY = 17;
export const SASL_AUTHENTICATE_KEY = 36;

type Phase = 'handshake' | 'raw' | 'authenticate' | 'authenticated' | 'failed';

interface SaslState {
  phase: Phase;
  exchange: SaslExchange | null;
  /** The principal of the first authentication: a re-authentication must be the same one. */
  principal: string | null;
  mechanism: string | null;
  /** When the session ends (ms since the epoch), or null for never. */
  expiresAt: number | null;
  reauthenticating: boolean;
}

export interface SaslGateOptions {
  /** The SASL settings of a listener, by name; null for listeners without SASL. */
  settingsFor(listenerName: string): SaslListenerSettings | null;
  now(): number;
  /** Resolves after `ms`: the failed-authentication delay (a seam for tests). */
  delay(ms: number): Promise<void>;
}

const CLOSE: DispatchResult = { kind: 'close' };

type Outcome = SaslStep | SaslAuthenticationError;

/** Applies `fn` to a value that may still be coming, without a promise when it is already here. */
function settle<T, R>(value: T | Promise<T>, fn: (v: T) => R | Promise<R>): R | Promise<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

function settled(result: DispatchResult | Promise<DispatchResult>): Dispatched {
  return { responseBytesEstimate: 0, answer: Promise.resolve(result) };
}

export function saslGate(next: Dispatcher, options: SaslGateOptions): Dispatcher {
  const states = new WeakMap<ClientSession, SaslState>();
  return (frame, services, session, log, closed) => {
    if (!usesSasl(session.listener.securityProtocol)) return next(frame, services, session, log, closed);
    const settings = options.settingsFor(session.listener.name);
    if (settings === null) {
      log.error(`closing connection: listener ${session.listener.name} uses SASL but has no SASL settings`);
      return settled(CLOSE);
    }
    let state = states.get(session);
    if (!state) {
      state = { phase: 'handshake', exchange: null, principal: null, mechanism: null, expiresAt: null, reauthenticating: false };
      states.set(session, state);
    }
    const gate = new GateStep(state, settings, session, log, options);
    if (state.phase === 'raw') return settled(gate.rawToken(frame));
    if (state.phase === 'failed') return settled(CLOSE);
    if (frame.length < 8) {
      log.warn('closing connection: request frame shorter than a header');
      return settled(CLOSE);
    }
    const apiKey = frame.readInt16BE(0);
    if (state.phase === 'authenticated' && apiKey !== SASL_HANDSHAKE_KEY) {
      if (state.expiresAt !== null && options.now() >= state.expiresAt) {
        log.info(`closing connection: the SASL session of ${session.principal} ended (connections.max.reauth.ms) and the client did not re-authenticate`);
        return settled(CLOSE);
      }
      return next(frame, services, session, log, closed);
    }
    if (apiKey === API_VERSIONS_KEY) return next(frame, services, session, log, closed);
    if (apiKey === SASL_HANDSHAKE_KEY || apiKey === SASL_AUTHENTICATE_KEY) return settled(gate.request(frame));
    // A re-authentication under way leaves the connection authenticated meanwhile.
    if (state.reauthenticating) return next(frame, services, session, log, closed);
    log.warn(`closing connection: API key ${apiKey} sent before SASL authentication completed`);
    return settled(CLOSE);
  };
}

/** The handling of one frame against a connection's SASL state. */
class GateStep {
  constructor(
    private readonly state: SaslState,
    private readonly settings: SaslListenerSettings,
    private readonly session: ClientSession,
    private readonly log: Logger,
    private readonly options: SaslGateOptions,
  ) {}

  request(frame: Buffer): DispatchResult | Promise<DispatchResult> {
    let header;
    let body: unknown;
    try {
      const decoded = decodeRequestFrame(frame);
      header = decoded.header;
      body = decoded.body;
    } catch (err) {
      if (err instanceof UnsupportedApiError || err instanceof DecodeError) {
        this.log.warn(`closing connection: undecodable SASL request: ${err.message}`);
        return CLOSE;
      }
      throw err;
    }
    const { requestApiKey: apiKey, requestApiVersion: version, correlationId } = header;
    const respond = (response: unknown, closeAfter = false): DispatchResult => ({ kind: 'response', chunks: encodeResponseFrame(apiKey, version, correlationId, response), closeAfter });
    if (apiKey === SASL_HANDSHAKE_KEY) return this.handshake(body as SaslHandshakeRequest, version, respond);
    return this.authenticate(body as SaslAuthenticateRequest, version, respond);
  }

  private handshake(request: SaslHandshakeRequest, version: number, respond: (r: unknown, closeAfter?: boolean) => DispatchResult): DispatchResult {
    const s = this.state;
    const mechanisms = [...this.settings.enabledMechanisms];
    const reauth = s.phase === 'authenticated';
    if (s.phase !== 'handshake' && !reauth) {
      this.log.warn('closing connection: a second SaslHandshake during authentication');
      return respond({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }, true);
    }
    const mechanism = request.mechanism;
    if (!isSupportedMechanism(mechanism) || !this.settings.enabledMechanisms.includes(mechanism)) {
      this.log.info({ audit: 'authentication', host: this.session.address, mechanism }, `closing connection: SASL mechanism ${mechanism} is not enabled on listener ${this.settings.listenerName}`);
      s.phase = 'failed';
      return respond({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms }, true);
    }
    if (reauth && (version < 1 || mechanism !== s.mechanism)) {
      s.phase = 'failed';
      this.log.info({ audit: 'authentication', principal: s.principal, host: this.session.address }, 'closing connection: a re-authentication must use SaslHandshake v1 and the same mechanism');
      return respond({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, mechanisms }, true);
    }
    s.exchange = this.settings.newExchange(mechanism);
    s.mechanism = mechanism;
    s.reauthenticating = reauth;
    s.phase = version === 0 ? 'raw' : 'authenticate';
    return respond({ errorCode: ErrorCode.NONE, mechanisms });
  }

  private authenticate(request: SaslAuthenticateRequest, version: number, respond: (r: unknown, closeAfter?: boolean) => DispatchResult): DispatchResult | Promise<DispatchResult> {
    const s = this.state;
    if (s.phase !== 'authenticate' || s.exchange === null) {
      const message = s.phase === 'raw' ? 'SaslAuthenticate after a v0 SaslHandshake' : 'SaslAuthenticate before SaslHandshake';
      this.log.warn(`closing connection: ${message}`);
      s.phase = 'failed';
      return respond({ errorCode: ErrorCode.ILLEGAL_SASL_STATE, errorMessage: `Unexpected ${message}`, authBytes: Buffer.alloc(0) } satisfies SaslAuthenticateResponseInput, true);
    }
    return settle(this.step(request.authBytes), (step) => {
      if (step instanceof SaslAuthenticationError) {
        return this.options.delay(this.settings.failedAuthenticationDelayMs).then(() =>
          respond({ errorCode: ErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage: step.message, authBytes: Buffer.alloc(0) } satisfies SaslAuthenticateResponseInput, true),
        );
      }
      const response: SaslAuthenticateResponseInput = { errorCode: ErrorCode.NONE, errorMessage: null, authBytes: step.challenge };
      // KIP-368: how long the session lasts (0: for ever), so the client re-authenticates in time.
      if (step.done && version >= 1) response.sessionLifetimeMs = BigInt(s.expiresAt === null ? 0 : Math.max(0, s.expiresAt - this.options.now()));
      return respond(response);
    });
  }

  rawToken(frame: Buffer): DispatchResult | Promise<DispatchResult> {
    return settle(this.step(frame), (step) => {
      if (step instanceof SaslAuthenticationError) return this.options.delay(this.settings.failedAuthenticationDelayMs).then(() => CLOSE);
      const size = Buffer.alloc(4);
      size.writeInt32BE(step.challenge.length);
      return { kind: 'response', chunks: [size, step.challenge] };
    });
  }

  /** Feeds a token to the exchange; on completion the connection is authenticated (or fails). */
  private step(token: Buffer): Outcome | Promise<Outcome> {
    let next: SaslStep | Promise<SaslStep>;
    try {
      next = (this.state.exchange as SaslExchange).next(token);
    } catch (err) {
      return this.caught(err);
    }
    return next instanceof Promise ? next.then((step) => this.completed(step), (err: unknown) => this.caught(err)) : this.completed(next);
  }

  private caught(err: unknown): SaslAuthenticationError {
    if (!(err instanceof SaslAuthenticationError)) throw err;
    return this.failed(err);
  }

  private completed(step: SaslStep): Outcome {
    const s = this.state;
    if (!step.done) return step;
    const principal = userPrincipal(step.user);
    if (s.reauthenticating && principal !== s.principal) {
      return this.failed(new SaslAuthenticationError(`Cannot change principals during re-authentication from ${s.principal}: ${principal}`));
    }
    s.principal = principal;
    s.phase = 'authenticated';
    s.exchange = null;
    s.reauthenticating = false;
    // With re-authentication on, a session also ends when its credential does (an OAuth token's exp), as in Kafka.
    s.expiresAt = this.settings.reauthMs > 0 ? Math.min(this.options.now() + this.settings.reauthMs, step.expiresAtMs ?? Infinity) : null;
    this.session.principal = principal;
    this.log.debug({ principal, mechanism: s.mechanism }, 'authenticated');
    return step;
  }

  private failed(err: SaslAuthenticationError): SaslAuthenticationError {
    this.state.phase = 'failed';
    this.state.exchange = null;
    // The audit line: one per failed authentication.
    this.log.info({ audit: 'authentication', host: this.session.address, mechanism: this.state.mechanism, listener: this.settings.listenerName, reason: err.message }, 'authentication failed');
    return err;
  }
}
