/** `max.connections.per.ip.overrides`: comma-separated `address:count` pairs, as Kafka writes them. */
export function parsePerIpOverrides(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    // IPv6 addresses contain colons: the count follows the last one.
    const at = item.lastIndexOf(':');
    const count = Number(item.slice(at + 1));
    if (at <= 0 || item.slice(at + 1) === '' || !Number.isInteger(count) || count < 0) {
      throw new Error(`entry "${item}" is not address:count`);
    }
    out.set(item.slice(0, at).replace(/^\[|\]$/g, ''), count);
  }
  return out;
}
