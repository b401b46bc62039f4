import { eventStoreContract } from '../testing/eventStoreContract';
import { InMemoryEventStore } from './inMemoryEventStore';

eventStoreContract('InMemoryEventStore', async () => {
  const store = new InMemoryEventStore();
  return { store, cleanup: () => store.close() };
});
