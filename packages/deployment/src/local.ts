/**
 * The deployment on this machine's stores, without the NATS side: what a local command (the CLI's
 * reads and commands, `rebuild`, the embedded worker) loads. `@interlend/deployment` is all of it,
 * with the NATS worker, its client and the simulation through NATS (about 110 ms more to load).
 */
export { MissingStoreError, allowedForPeople, describeProblem, openDeployment, openEmbedded } from './embedded';
export type { App, AppMode, IllRuntime, OpenAppOptions } from './embedded';
export { runEmbeddedWorker } from './embeddedWorker';
export type { EmbeddedWorkerEvent, EmbeddedWorkerOptions } from './embeddedWorker';
export { DEFAULT_STORE, describeStore, parseStoreUrl, storeFlagsFor, storeUrlOf } from './stores/storeUrl';
export type { StoreLocation } from './stores/storeUrl';
export { requestIdFor } from './requestIds';
export { API_ROLES } from './access/principal';
export type { ApiRole, Principal } from './access/principal';
export { ApiKeys } from './access/apiKeys';
export type { ApiKeyInfo } from './access/apiKeys';
export { resetStores } from './stores/resetStores';
export { openStores } from './stores/openStores';
export type { OpenStoresOptions, OpenedStores, StoreSettings } from './stores/openStores';
