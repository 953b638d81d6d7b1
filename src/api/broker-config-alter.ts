/**
 * The BROKER resource half of AlterConfigs and IncrementalAlterConfigs: resource name "" is the
 * cluster-wide dynamic default, a broker id (this broker's; Kafka's admin client sends a broker's
 * resource to that broker) its own dynamic configs. Checks and messages follow Kafka's
 * ConfigAdminManager and DynamicBrokerConfig (config/dynamic-broker-configs.ts).
 */
import { ErrorCode } from '../protocol/error-codes.js';
import { ALL_BROKER_DEFS } from '../config/broker-configs.js';
import { ConfigType } from '../config/config-def.js';
import { validateDynamicConfigs, type ConfigRefusal } from '../config/dynamic-broker-configs.js';
import type { DynamicEdit } from '../partition/dynamic-configs.js';
import type { RequestContext } from './handler.js';

const SET = 0;
const DELETE = 1;
const APPEND = 2;
const SUBTRACT = 3;

export interface BrokerConfigOp {
  readonly name: string;
  readonly configOperation: number;
  readonly value: string | null;
}

function invalidRequest(errorMessage: string): ConfigRefusal {
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage };
}

/** Kafka's checks of the request itself, before any value is looked at. */
function requestRefusal(ctx: RequestContext, resourceName: string, names: readonly string[], nulls: readonly string[]): ConfigRefusal | null {
  if (resourceName !== '') {
    if (!/^-?\d+$/.test(resourceName)) return invalidRequest(`Node id must be an integer, but it is: ${resourceName}`);
    if (Number(resourceName) !== ctx.broker.nodeId) return invalidRequest(`Unexpected broker id, expected ${ctx.broker.nodeId}, but received ${resourceName}`);
  }
  if (new Set(names).size !== names.length) return invalidRequest('Error due to duplicate config keys');
  if (nulls.length > 0) return invalidRequest(`Null value not supported for : ${nulls.join(', ')}`);
  return null;
}

function checked(configs: Record<string, string>, perBroker: boolean): DynamicEdit {
  const refusal = validateDynamicConfigs(configs, perBroker);
  return refusal ? { ok: false, refusal } : { ok: true, configs };
}

async function alter(ctx: RequestContext, resourceName: string, edit: (current: Record<string, string>) => DynamicEdit, validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }> {
  const refusal = await ctx.broker.dynamicConfigs.edit(resourceName !== '', edit, validateOnly);
  return refusal ?? { errorCode: ErrorCode.NONE, errorMessage: null };
}

/** Legacy AlterConfigs: the level's dynamic configs become exactly the given ones. */
export function replaceBrokerConfigs(ctx: RequestContext, resourceName: string, configs: readonly { name: string; value: string | null }[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }> {
  const refused = requestRefusal(ctx, resourceName, configs.map((c) => c.name), configs.filter((c) => c.value === null).map((c) => c.name));
  if (refused) return Promise.resolve(refused);
  const next: Record<string, string> = {};
  for (const c of configs) next[c.name] = c.value ?? '';
  return alter(ctx, resourceName, () => checked(next, resourceName !== ''), validateOnly);
}

/** IncrementalAlterConfigs: SET, DELETE, APPEND, SUBTRACT on the level's current dynamic configs, then Kafka's checks of the result. */
export function editBrokerConfigs(ctx: RequestContext, resourceName: string, ops: readonly BrokerConfigOp[], validateOnly: boolean): Promise<{ errorCode: number; errorMessage: string | null }> {
  const refused = requestRefusal(ctx, resourceName, ops.map((o) => o.name), ops.filter((o) => o.configOperation === SET && o.value === null).map((o) => o.name));
  if (refused) return Promise.resolve(refused);
  return alter(
    ctx,
    resourceName,
    (current) => {
      const next = { ...current };
      for (const op of ops) {
        if (op.configOperation === SET) next[op.name] = op.value ?? '';
        else if (op.configOperation === DELETE) delete next[op.name];
        else if (op.configOperation === APPEND || op.configOperation === SUBTRACT) {
          const verb = op.configOperation === APPEND ? 'append' : 'subtract';
          const def = ALL_BROKER_DEFS.get(op.name);
          if (!def) return { ok: false, refusal: { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Unknown config name: ${op.name}` } };
          if (def.type !== ConfigType.List) return { ok: false, refusal: { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: `Config value ${verb} is not allowed for config key: ${op.name}` } };
          const split = (text: string) => text.split(',').map((s) => s.trim()).filter((s) => s !== '');
          const items = split(next[op.name] ?? ctx.broker.config.get(op.name) ?? '');
          const given = split(op.value ?? '');
          next[op.name] = (op.configOperation === APPEND ? [...items, ...given.filter((g) => !items.includes(g))] : items.filter((i) => !given.includes(i))).join(',');
        } else return { ok: false, refusal: invalidRequest(`Unknown operations type ${op.configOperation}`) };
      }
      return checked(next, resourceName !== '');
    },
    validateOnly,
  );
}
