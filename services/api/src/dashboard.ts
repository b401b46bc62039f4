import type { FastifyInstance } from 'fastify';

/** Serves the built dashboard (services/dashboard/dist) at `/`. Placeholder until the dashboard lands. */
export async function dashboardPlugin(_app: FastifyInstance): Promise<void> {}
