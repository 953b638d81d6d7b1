/**
 * Who a connection speaks for, in Kafka's notation: a principal type and a name ("User:alice").
 * A connection that has not authenticated (PLAINTEXT, or SSL without a client certificate) is
 * User:ANONYMOUS, as in Kafka.
 */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** Kafka's security protocols: what a listener does before requests flow. */
export type SecurityProtocol = 'PLAINTEXT' | 'SSL' | 'SASL_PLAINTEXT' | 'SASL_SSL';

export const SECURITY_PROTOCOLS: readonly SecurityProtocol[] = ['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'];

export function isSecurityProtocol(name: string): name is SecurityProtocol {
  return (SECURITY_PROTOCOLS as readonly string[]).includes(name);
}

/** Whether clients on this protocol must finish a SASL exchange before any other request. */
export function usesSasl(protocol: SecurityProtocol): boolean {
  return protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL';
}

export function usesTls(protocol: SecurityProtocol): boolean {
  return protocol === 'SSL' || protocol === 'SASL_SSL';
}

export function userPrincipal(name: string): string {
  return `User:${name}`;
}
