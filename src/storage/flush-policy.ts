/**
 * Kafka's flush policy for logs that do not sync every append (flush.messages above 1): a flush
 * once `flushMessages` records were appended since the last one, or `flushMs` after the first
 * unflushed append, whichever comes first. The flush runs in the background; its failure is the
 * log's to report (it takes the log offline).
 */
export class FlushPolicy {
  private unflushedMessages = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    /** Read at each append: a topic's flush.messages and flush.ms may change while the log is open. */
    private readonly config: () => { readonly flushMessages: number; readonly flushMs: number },
    private readonly flushInBackground: () => void,
  ) {}

  /** `records` more were appended and not synced. */
  appended(records: number): void {
    const { flushMessages, flushMs } = this.config();
    this.unflushedMessages += records;
    if (this.unflushedMessages >= flushMessages) {
      this.unflushedMessages = 0;
      this.flushInBackground();
    } else if (!this.timer && flushMs < 2 ** 31) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.flushInBackground();
      }, flushMs);
      this.timer.unref();
    }
  }

  /** The log closes: no flush may start later. */
  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
