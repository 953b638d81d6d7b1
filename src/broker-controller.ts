/**
 * Keeps this broker in the running for the controller role: campaigns with each session the
 * registrar gets, and again when the role or the session is lost. The controller's work itself
 * (elections, reassignments) runs while the role is held.
 */
import type { Logger } from 'pino';
import type { BrokerRegistrar } from './broker-registration.js';
import type { BrokerSession, ControllerLeadership } from './metadata/metadata-store.js';

const RETRY_MS = 500;

export class ControllerCampaign {
  private leadership: ControllerLeadership | null = null;
  private closed = false;
  private readonly stopListening: () => void;

  constructor(
    registrar: BrokerRegistrar,
    private readonly log: Logger,
  ) {
    this.stopListening = registrar.onSession((session) => void this.campaign(session));
  }

  private async campaign(session: BrokerSession): Promise<void> {
    while (!this.closed) {
      try {
        const leadership = await session.campaignForController();
        if (this.closed) {
          await leadership.resign();
          return;
        }
        this.leadership = leadership;
        this.log.info({ controllerEpoch: leadership.epoch }, 'this broker is the controller');
        await leadership.ended;
        this.leadership = null;
      } catch (err) {
        if (this.closed) return;
        this.log.debug({ err }, 'controller campaign interrupted');
      }
      const end = await Promise.race([session.ended, new Promise<null>((resolve) => setTimeout(() => resolve(null), RETRY_MS).unref())]);
      if (end !== null) return;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopListening();
    await this.leadership?.resign();
  }
}
