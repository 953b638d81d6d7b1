/**
 * Keeps this broker in the running for the controller role: one ControllerRunner per broker
 * session (the registrar hands out a new session after one is lost), closed with the broker.
 * At a clean shutdown it first moves this broker's leaderships away (controlled shutdown).
 */
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config/broker-configs.js';
import type { BrokerRegistrar } from './registration.js';
import type { MetadataStore } from '../metadata/metadata-store.js';
import { ControllerRunner, controllerSettings, type ElectLeadersAnswer, type NamedPartition } from '../controller/controller-runner.js';
import { ErrorCode } from '../protocol/error-codes.js';
import type { ControllerRequests } from '../api/services.js';

/** The controller's requests for handlers, from the campaign once it exists (NOT_CONTROLLER before). */
export function controllerRequests(campaign: () => ControllerCampaign | null): ControllerRequests {
  return {
    electLeaders: (type, partitions) => campaign()?.electLeaders(type, partitions) ?? Promise.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, results: [] }),
    alterReassignments: (partitions) => campaign()?.alterReassignments(partitions) ?? Promise.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, results: [] }),
  };
}

export class ControllerCampaign {
  private runner: ControllerRunner | null = null;
  private closed = false;
  private readonly stopListening: () => void;

  constructor(
    registrar: BrokerRegistrar,
    store: MetadataStore,
    config: BrokerConfig,
    private readonly log: Logger,
  ) {
    const settings = controllerSettings(config);
    this.stopListening = registrar.onSession((session) => {
      if (this.closed) return;
      const previous = this.runner;
      this.runner = ControllerRunner.start({ store, session, settings, log: (message) => log.info(message) });
      void previous?.close();
    });
  }

  /** ElectLeaders, answered by the controller (NOT_CONTROLLER elsewhere). */
  electLeaders(type: 'preferred' | 'unclean', partitions: readonly NamedPartition[]): Promise<ElectLeadersAnswer> {
    if (!this.runner) return Promise.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, results: [] });
    return this.runner.electLeaders(type, partitions);
  }

  /** AlterPartitionReassignments, answered by the controller (NOT_CONTROLLER elsewhere). */
  alterReassignments(partitions: readonly (NamedPartition & { readonly target: readonly number[] | null })[]): Promise<ElectLeadersAnswer> {
    if (!this.runner) return Promise.resolve({ errorCode: ErrorCode.NOT_CONTROLLER, results: [] });
    return this.runner.alterReassignments(partitions);
  }

  /** Moves this broker's leaderships to other in-sync replicas; logs what could not move. */
  async controlledShutdown(): Promise<void> {
    if (!this.runner) return;
    const result = await this.runner.controlledShutdown();
    if (result.error) this.log.warn({ err: result.error }, 'controlled shutdown could not reach the metadata store; shutting down anyway');
    else if (!result.completed) this.log.warn({ partitions: result.remaining.length }, 'controlled shutdown: some partitions have no other in-sync replica to lead them');
    else this.log.info('controlled shutdown: leadership moved to other brokers');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    await this.runner?.close();
  }
}
