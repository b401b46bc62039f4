export { WORKER_ROLES, startIllNatsWorker } from './natsWorker';
export type { IllNatsWorker, IllNatsWorkerOptions, WorkerEvent, WorkerRole } from './natsWorker';
export { natsSimulationEngine } from './natsSimulation';
export type { NatsSimulationOptions } from './natsSimulation';
export { MissingStoreError, allowedForPeople, describeProblem, openEmbedded } from './embedded';
export type { App, AppMode, IllRuntime, OpenAppOptions } from './embedded';
export { API_ROLES } from './access/principal';
export type { ApiRole, Principal } from './access/principal';
