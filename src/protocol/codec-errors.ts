/**
 * Errors raised by the protocol codecs. They describe malformed bytes (decode) or values that
 * the requested version cannot carry (encode); they never carry a Kafka error code themselves,
 * because what a malformed frame costs (an error response or a closed connection) is the
 * server's decision.
 */

/** The bytes do not form a valid message: truncated, a bad length, an overlong varint, ... */
export class DecodeError extends Error {
  override readonly name: string = 'DecodeError';
}

/** A value cannot be written in the requested version (a field the version lacks, a null where none is allowed). */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
}
