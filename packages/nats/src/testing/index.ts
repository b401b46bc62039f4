export { startNatsServer, natsServerBinary } from './startNatsServer';
export type { NatsServerOptions, NatsServerHandle } from './startNatsServer';
export { startNatsCluster } from './startNatsCluster';
export type { NatsClusterOptions, NatsClusterNode, NatsClusterHandle } from './startNatsCluster';
