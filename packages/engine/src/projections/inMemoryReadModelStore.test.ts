import { readModelStoreContract } from '../testing/eventStoreContract';
import { InMemoryReadModelStore } from './inMemoryReadModelStore';

readModelStoreContract('InMemoryReadModelStore', async () => ({ store: new InMemoryReadModelStore(), cleanup: async () => undefined }));
