/** The SCRAM mechanism numbers of the (Describe|Alter)UserScramCredentials APIs, as Kafka's ScramMechanism enum. */
import type { ScramMechanism } from '../security/sasl/scram-formulas.js';

const BY_NUMBER: ReadonlyMap<number, ScramMechanism> = new Map([
  [1, 'SCRAM-SHA-256'],
  [2, 'SCRAM-SHA-512'],
]);

export function scramMechanismOf(type: number): ScramMechanism | undefined {
  return BY_NUMBER.get(type);
}

export function scramMechanismNumber(mechanism: ScramMechanism): number {
  return mechanism === 'SCRAM-SHA-256' ? 1 : 2;
}
