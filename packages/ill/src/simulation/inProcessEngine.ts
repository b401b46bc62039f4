import { SeededIds, WorkflowRuntime, type EffectHandler, type EventStore, type ReadModelStore } from '@interlend/engine';
import { reRequestEffect } from '../effects/reRequest';
import { saveDirectory } from '../persistence/directoryRepository';
import { illRequestWorkflow } from '../workflow';
import type { SimulationEngine, SimulationNotice, SimulationSetup } from './simulator';

/**
 * The simulation's engine in this process: the ILL workflow over `store` on the simulated clock.
 * Event ids come from a seeded generator of their own (not the simulation's), so the
 * simulation's command and request ids do not depend on how many events the engine writes.
 */
export async function inProcessSimulationEngine(store: EventStore, readModels: ReadModelStore, setup: SimulationSetup): Promise<SimulationEngine> {
  await saveDirectory(store, setup.directoryJson, setup.directoryEvent);
  const notices: SimulationNotice[] = [];
  const notifyLender: EffectHandler = (effect) => {
    notices.push({ type: 'notifyLender', requestId: String(effect.params.requestId), library: String(effect.params.library), position: Number(effect.params.position) });
  };
  const notifyBorrower: EffectHandler = (effect) => {
    if (effect.params.about !== 'supplyOverdue') return;
    notices.push({ type: 'supplyOverdue', requestId: String(effect.params.requestId), lender: String(effect.params.lender), position: Number(effect.params.position) });
  };
  const runtime: WorkflowRuntime<typeof illRequestWorkflow.machine, { directory: typeof setup.directory }> = new WorkflowRuntime({
    workflow: illRequestWorkflow,
    services: { directory: setup.directory },
    store,
    readModels,
    clock: setup.clock,
    ids: new SeededIds(`${setup.seed}:events`, setup.clock),
    projections: setup.projections ?? [],
    effectHandlers: {
      notifyLender,
      notifyBorrower,
      startReRequest: reRequestEffect(
        () => runtime.handler,
        (requestId, relatedRequestId) => void notices.push({ type: 'reRequested', requestId, relatedRequestId }),
      ),
    },
  });
  return {
    send: async (command) => ({ stateName: (await runtime.handler.handle(command)).state.stateName }),
    stateOf: async (requestId) => (await runtime.handler.load(requestId))?.stateName,
    nextDueAt: () => runtime.timers.nextDueAt(),
    runDue: async (now) => {
      const run = await runtime.timers.runDue(now);
      return { fired: run.fired, refusals: run.refusals.map((r) => ({ requestId: r.timer.streamId, deadline: r.timer.name, error: r.error })) };
    },
    settle: async () => {
      await runtime.effects.catchUp();
      return notices.splice(0);
    },
    headPosition: () => store.headPosition(),
    finish: () => runtime.settle(),
  };
}
