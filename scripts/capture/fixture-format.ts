/** What the golden-frame fixtures hold and which messages the capture produced into them. */

export interface FixtureEntry {
  file: string;
  apiKey: number;
  apiName: string;
  apiVersion: number;
  /** For Produce: the compression the client was asked to use. */
  label: string;
}

/** The records every client produced while being captured (key, value). */
export const CAPTURE_MESSAGES: { key: string; value: string }[] = [
  { key: 'k0', value: 'first value' },
  { key: 'k1', value: 'héllo wörld ✓' },
  { key: 'k2', value: 'x'.repeat(300) },
  { key: 'k3', value: 'last' },
];
