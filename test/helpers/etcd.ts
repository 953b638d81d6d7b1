/** A real etcd for tests (the same launcher `startCluster` uses). */
export { startEtcd, type EtcdServer } from '../../src/broker/etcd-server.js';
