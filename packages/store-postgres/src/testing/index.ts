export { startPostgres, postgresBinDir } from './startPostgres';
export type { PostgresServerOptions, PostgresServerHandle } from './startPostgres';
