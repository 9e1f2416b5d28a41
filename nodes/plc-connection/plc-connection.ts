/**
 * plc-connection: a config node holding one S7 connection (lib/reader/shared-connection)
 * shared by every plc-reader that uses it. Thin adapter; the S7 work is in lib/s7.
 */
import type { Node, NodeAPI, NodeDef } from 'node-red';
import { toConnectionOptions } from '../../lib/reader/connection-config';
import { SharedConnection, type ConnectionProvider } from '../../lib/reader/shared-connection';
import { PLC_CONNECTION_TYPE, type PlcConnectionConfig } from './types';

type PlcConnectionNode = Node & ConnectionProvider;

export = function register(RED: NodeAPI): void {
  function PlcConnection(this: PlcConnectionNode, config: NodeDef & PlcConnectionConfig): void {
    RED.nodes.createNode(this, config);
    try {
      this.shared = new SharedConnection(toConnectionOptions(config));
      this.settingsError = undefined;
    } catch (err) {
      this.shared = undefined;
      this.settingsError = `PLC connection "${config.name || config.host || config.id}": ${(err as Error).message}`;
      this.error(this.settingsError);
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      const shared = this.shared;
      if (!shared) {
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
