/**
 * `tributary config set` and `config delete`: one IncrementalAlterConfigs on a BROKER resource,
 * the broker named by --broker (through the Admin, which sends it to that broker) or the
 * cluster-wide default "" (to the bootstrap broker; any broker accepts it).
 */
import { toJson } from './json.js';
import { CliError } from './group-queries.js';
import { clientOptions, kafkaClient } from './client-options.js';
import { brokerMessage, onBootstrapConnection } from './bootstrap-connection.js';

const BROKER = 4 as const;
const SET_OP = 0 as const;
const DELETE_OP = 1 as const;

export interface AlterOptions {
  bootstrap: string;
  json?: boolean;
  broker?: string;
  clusterDefault?: boolean;
  dryRun?: boolean;
}

function parseKv(kv: string): { name: string; value: string } {
  const eq = kv.indexOf('=');
  if (eq <= 0) throw new CliError(`config set takes key=value, not ${kv}`);
  return { name: kv.slice(0, eq), value: kv.slice(eq + 1) };
}

/** Sends one IncrementalAlterConfigs to the broker named by --broker, or (cluster-wide default) to the bootstrap broker. */
export async function alterBroker(o: AlterOptions, kvs: string[], deletes: string[]): Promise<void> {
  try {
    const sets = kvs.map((kv) => parseKv(kv));
    if (o.broker !== undefined && o.clusterDefault) throw new CliError('give --broker ID or --cluster-default, not both');
    if (o.broker !== undefined && !/^\d+$/.test(o.broker)) throw new CliError(`--broker takes a broker id, not ${o.broker}`);
    const configs = [...sets.map((c) => ({ name: c.name, configOperation: SET_OP, value: c.value })), ...deletes.map((name) => ({ name, configOperation: DELETE_OP }))];
    const resourceName = o.broker ?? '';
    const validateOnly = o.dryRun === true;
    if (o.broker !== undefined) {
      const { Admin } = await kafkaClient();
      const admin = new Admin(clientOptions(o.bootstrap));
      try {
        await admin.incrementalAlterConfigs({ resources: [{ resourceType: BROKER, resourceName, configs }], validateOnly });
      } finally {
        await admin.close().catch(() => undefined);
      }
    } else {
      const { incrementalAlterConfigsV1 } = await kafkaClient();
      const answer = await onBootstrapConnection(o.bootstrap, (connection) => incrementalAlterConfigsV1.api.async(connection, [{ resourceType: BROKER, resourceName, configs }], validateOnly));
      const r = answer.responses[0];
      if (r && r.errorCode !== 0) throw new CliError(r.errorMessage ?? `error ${r.errorCode}`);
    }
    const level = o.broker !== undefined ? `broker ${o.broker}` : 'the cluster-wide default';
    const changes = [...sets.map((c) => `${c.name}=${c.value}`), ...deletes.map((k) => `${k} (removed)`)];
    if (o.json) console.log(toJson({ resource: o.broker ?? '<cluster-default>', set: Object.fromEntries(sets.map((c) => [c.name, c.value])), deleted: deletes, validateOnly }));
    else console.log(`${validateOnly ? 'Would alter' : 'Altered'} ${level}: ${changes.join(', ')}.`);
  } catch (err) {
    console.error(err instanceof CliError ? err.message : brokerMessage(err));
    process.exitCode = 1;
  }
}

