import assert from 'node:assert/strict';
import { S7Connection, type S7ConnectionOptions } from '../../../lib/s7/connection';

describe('S7 connection options', () => {
  it('takes 1 to 8 connections, adaptive by default, and names a wrong count', () => {
    const conn = new S7Connection({ host: 'plc' });
    assert.equal(conn.connections, 0, 'none before start()');
    for (const maxConnections of [1, 3, 8]) assert.doesNotThrow(() => new S7Connection({ host: 'plc', maxConnections, fixedConnections: true }));
    for (const maxConnections of [0, 9, 1.5]) {
      assert.throws(() => new S7Connection({ host: 'plc', maxConnections }), new RegExp(`connections must be 1..8, not ${maxConnections}`));
    }
  });

  it('reads with the wire engine unless snap7 is asked for, and names an unknown engine', () => {
    assert.equal(new S7Connection({ host: 'plc' }).engine, 'wire');
    assert.equal(new S7Connection({ host: 'plc', engine: undefined }).engine, 'wire');
    assert.equal(new S7Connection({ host: 'plc', engine: 'snap7' }).engine, 'snap7');
    assert.throws(() => new S7Connection({ host: 'plc', engine: 'nodes7' as 'wire' }), /S7 connection: engine must be wire or snap7, not "nodes7"/);
    assert.equal(new S7Connection({ host: 'plc' }).jobsPerConnection, 0, 'none open before start()');
  });

  it('refuses the old poolSize loudly instead of reading with a different pool', () => {
    assert.throws(() => new S7Connection({ host: 'plc', poolSize: 4 } as S7ConnectionOptions), /poolSize is no longer an option: use maxConnections/);
  });
});
