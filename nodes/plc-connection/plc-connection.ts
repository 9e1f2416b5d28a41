/**
 * plc-connection: a config node holding one S7 connection (lib/s7/session/shared-connection)
 * shared by every plc-reader that uses it. Thin adapter; the S7 work is in lib/s7.
 */
import type { EventEmitter } from 'node:events';
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { toConnectionOptions } from '../../lib/s7/session/connection-config';
import { ParkedConnections } from '../../lib/s7/session/parked-connections';
import { SharedConnection, type ConnectionProvider } from '../../lib/s7/session/shared-connection';
import { PLC_CONNECTION_CHECKS } from '../shared/editor/node-checks';
import { registerEnvCheck } from '../shared/env-check';
import { PLC_CONNECTION_TYPE, type PlcConnectionConfig } from './types';

type PlcConnectionNode = Node & ConnectionProvider;

/** Sessions of connection nodes a full deploy stopped, until their successors take them back. */
const parked = new ParkedConnections<SharedConnection>();
const watchedRuntimes = new WeakSet<EventEmitter>();

/** Closes parked sessions nobody took back once the flows run again, or when they stop for good. */
function watchRuntime(events: EventEmitter): void {
  if (watchedRuntimes.has(events)) return;
  watchedRuntimes.add(events);
  events.on('flows:started', () => parked.closeAll());
  events.on('runtime-event', (event: { id?: string; payload?: { state?: string; deploy?: boolean } }) => {
    if (event?.id === 'runtime-state' && event.payload?.state === 'stop' && !event.payload.deploy) parked.closeAll();
  });
}

export = function register(RED: NodeAPI): void {
  watchRuntime(RED.events);

  function PlcConnection(this: PlcConnectionNode, config: NodeDef & PlcConnectionConfig): void {
    RED.nodes.createNode(this, config);
    let settingsKey = '';
    try {
      const options = toConnectionOptions(config);
      settingsKey = JSON.stringify(options);
      this.host = options.host;
      this.shared = parked.take(config.id, settingsKey) ?? new SharedConnection(options);
      this.settingsError = undefined;
    } catch (err) {
      this.shared = undefined;
      this.settingsError = `PLC connection "${config.name || config.host || config.id}": ${(err as Error).message}`;
      this.error(this.settingsError);
    }
    this.on('close', (removed: boolean, done: () => void) => {
      const shared = this.shared;
      if (!shared) {
        done();
        return;
      }
      if (!removed) {
        // Stopped by a full deploy (or for good, which watchRuntime sees): the successor may take the session back.
        parked.park(this.id, settingsKey, shared);
        done();
        return;
      }
      shared.close().then(done, (err: Error) => {
        this.warn(`closing the PLC connection: ${err.message}`);
        done();
      });
    });
  }
  RED.nodes.registerType(PLC_CONNECTION_TYPE, PlcConnection as unknown as (this: Node, config: NodeDef) => void);

  registerEnvCheck(RED, PLC_CONNECTION_TYPE, PLC_CONNECTION_CHECKS);

  // the negotiated PDU and connection state, for the dialog
  RED.httpAdmin.get('/plc-connection/:id/status', RED.auth.needsPermission('plc-connection.read'), (req, res) => {
    const node = RED.nodes.getNode(String(req.params.id)) as PlcConnectionNode | null;
    if (!node || node.type !== PLC_CONNECTION_TYPE) {
      res.status(404).json({ error: 'not deployed' });
      return;
    }
    if (!node.shared) {
      res.json({ state: 'closed', error: node.settingsError });
      return;
    }
    res.json(node.shared.status());
  });
};
