// Drives our S7 engine (lib/s7 S7Connection of the build under test) with a tag set, the way
// plc-reader's engine does: prepare once, read() per cycle.
import { dist } from './env.mjs';
import { tiaAddress } from './tag-sets.mjs';

const DATA_TYPE = { BOOL: 'BOOL', BYTE: 'BYTE', INT: 'INT', WORD: 'WORD', DINT: 'DINT', DWORD: 'DWORD', REAL: 'REAL' };

/** Our engine's view of a tag: TIA address with an explicit data type. */
export function signalRows(tags) {
  return tags.map((t, i) => ({ name: `t${i}`, address: tiaAddress(t), dataType: DATA_TYPE[t.type], kind: 'other' }));
}

/** Resolves when the connection is connected, rejects after timeoutMs with its last error. */
export function whenConnected(connection, timeoutMs = 10000) {
  if (connection.state === 'connected') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => { connection.off('state', onState); reject(new Error(`S7Connection not connected within ${timeoutMs} ms: ${connection.lastError ?? connection.state}`)); }, timeoutMs);
    function onState(state) {
      if (state !== 'connected') return;
      clearTimeout(timer);
      connection.off('state', onState);
      resolve();
    }
    connection.on('state', onState);
  });
}

/**
 * Our connection with the plc-connection node's default settings (the dialog's: the adaptive
 * pool) and the PDU the simulator offers; `connection` overrides some of them.
 */
export async function openOurReader({ host, port, tags, pduSize, connection: overrides = {} }) {
  const { S7Connection, parseAddress } = dist('lib/s7');
  const { toConnectionOptions } = dist('lib/s7/session/connection-config');
  const connection = new S7Connection({ ...toConnectionOptions({ host, port, pduSize }), ...overrides });
  connection.start();
  await whenConnected(connection);
  const prepared = connection.prepare(signalRows(tags).map((r) => parseAddress(r.address, r.dataType)));
  return {
    engine: 'ours (lib/s7)',
    get pduSize() { return connection.negotiatedPdu; },
    /** S7 connections open now. */
    get connections() { return connection.connections; },
    plannedRequests: prepared.requestCount,
    async read() {
      const result = await connection.read(prepared);
      const bad = result.items.filter((i) => !i.ok);
      if (bad.length) throw new Error(`${bad.length} bad items, e.g. ${bad[0].error}`);
      return result;
    },
    close: () => connection.close(),
  };
}
