/** The `tributary` command. */
import { Command } from 'commander';
import { registerStart } from './start.js';
import { registerGroups } from './groups.js';
import { registerClusterCommands } from './cluster.js';
import { registerPartitionCommands } from './partitions.js';
import { registerTransactionCommands } from './transactions.js';
import { registerAclCommands } from './acls.js';
import { registerUserCommands } from './users.js';
import { registerProduceCommand } from './produce.js';
import { registerConsumeCommand } from './consume.js';
import { registerCompletionCommand } from './completion.js';
import { packageVersion } from '../broker/package-root.js';

// Output piped into `head` and the like: a closed pipe ends the command quietly.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

const program = new Command('tributary').description('Tributary: a Kafka-compatible event streaming broker').version(packageVersion());
registerStart(program);
registerGroups(program);
registerClusterCommands(program);
registerPartitionCommands(program);
registerTransactionCommands(program);
registerAclCommands(program);
registerUserCommands(program);
registerProduceCommand(program);
registerConsumeCommand(program);
registerCompletionCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
