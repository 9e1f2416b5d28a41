// The package's PLC simulator (sim/cli.js of the build under test) in a child process.
import path from 'node:path';
import { distDir, startReadyChild } from './env.mjs';

/** Starts the simulator with the given machines; resolves { host, port, pdu, stop }. */
export function startSimulator({ machines, pduSize = 480 }) {
  return startReadyChild(process.execPath, [path.join(distDir, 'sim', 'cli.js'), '--pdu', String(pduSize), '--machines-json', JSON.stringify(machines)], { label: 'simulator' });
}

/** n machines on DB1..DBn, standing still: a plain memory layout to read. */
export function idleMachines(n) {
  return Array.from({ length: n }, (_, i) => ({ name: `m${i + 1}`, db: i + 1, scenario: 'off' }));
}
