/**
 * The embedding API: `import { startBroker } from 'tributary'` starts a broker inside the current
 * process, e.g. for a test suite: `const b = await startBroker({ port: 0 }); ... await b.stop();`.
 */
export { startBroker, type BrokerOptions, type RunningBroker } from './broker/broker.js';
export { BrokerConfig } from './config/broker-configs.js';
export { ManualScheduler, type Scheduler } from './coordinator/scheduler.js';
export { startCluster, type ClusterOptions, type RunningCluster } from './broker/cluster.js';
