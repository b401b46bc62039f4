export { eventStoreContract, readModelStoreContract } from './eventStoreContract';
export type { EventStoreFixture, ReadModelStoreFixture } from './eventStoreContract';
export { workflowSpec } from './workflowSpec';
export type { GivenEvent, WhenCommand, SpecOutcome } from './workflowSpec';
