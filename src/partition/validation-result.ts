/** What the log validator answers for one partition's produced records. */

/** One entry of a Produce response's record_errors: a record's index in its batch and why it was refused. */
export interface RecordError {
  readonly batchIndex: number;
  readonly batchIndexErrorMessage: string;
}

export interface Rejection {
  readonly ok: false;
  readonly errorCode: number;
  readonly message: string;
  readonly recordErrors: readonly RecordError[];
}

export interface Acceptance {
  readonly ok: true;
  /** The batch to append: the produced bytes patched in place, or a rebuilt batch when recompressed. */
  readonly records: Buffer;
  /** The broker time to stamp when the topic uses LogAppendTime, else null. */
  readonly logAppendTime: number | null;
  /** The batch's max timestamp as it goes to the log (before any LogAppendTime stamping). */
  readonly maxTimestamp: bigint;
}

export type ValidationResult = Acceptance | Rejection;

export function reject(errorCode: number, message: string, recordErrors: readonly RecordError[] = []): Rejection {
  return { ok: false, errorCode, message, recordErrors };
}
