import path from 'node:path';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { tempDir } from '../helpers.js';
import { describeOperatorStoreContract } from './operator-contract.js';

describeOperatorStoreContract('SQLite in memory', async () => ({ store: openSqliteStore(':memory:') }));

describeOperatorStoreContract('SQLite file (WAL)', async () => {
  const t = tempDir();
  return { store: openSqliteStore(path.join(t.dir, 'relay.sqlite')), cleanup: t.cleanup };
});
