/**
 * A node's status said as catalogue phrases (lib/shared/telemetry-status.ts): the text in the
 * runtime's language goes out as the node's status, the phrases on "s7-production/status/<id>"
 * (retained, as Node-RED retains statuses) for the package's editor plugin, which words them in
 * the editor's language.
 */
import type { Node, NodeAPI } from 'node-red';
import { plainNumber, STATUS_TOPIC, wordPhrases, type Phrase, type PhrasedStatus } from '../../lib/shared/telemetry-status';

export interface PhrasedShown {
  fill: 'red' | 'green' | 'yellow' | 'blue' | 'grey';
  shape: 'ring' | 'dot';
  phrases: Phrase[];
}

/** Shows the status; returns its text as sent. */
export function showPhrased(RED: NodeAPI, node: Node, shown: PhrasedShown): string {
  const text = wordPhrases(shown.phrases, RED._, plainNumber);
  // first the phrases, so the plugin knows them when the status arrives
  const message: PhrasedStatus = { text, phrases: shown.phrases };
  RED.comms.publish(`${STATUS_TOPIC}${node.id}`, message, true);
  node.status({ fill: shown.fill, shape: shown.shape, text });
  return text;
}

/** Forgets a closed node's phrases. */
export function clearPhrased(RED: NodeAPI, node: Node): void {
  RED.comms.publish(`${STATUS_TOPIC}${node.id}`, null, false);
}
