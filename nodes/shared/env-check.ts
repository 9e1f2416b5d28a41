/**
 * The runtime side of the dialogs' ${ENV} checks: a dialog cannot see the runtime's
 * environment, so it asks. Only whether each variable is set and what is wrong with its value
 * comes back, never the value (docs: each node's help, "Environment variables").
 */
import type { NodeAPI } from 'node-red';
import { toConnectionOptions, type PlcConnectionSettings } from '../../lib/s7/session/connection-config';
import { checkEnvFields, envReferenceOf, type FieldCheck } from './editor/field-checks';

/** A variable as the deployed node with this id sees it (its flow's and the global env first), else the process's. */
function envOf(RED: NodeAPI, nodeId: unknown): (name: string) => unknown {
  const node = typeof nodeId === 'string' && nodeId !== '' ? RED.nodes.getNode(nodeId) : null;
  return (name) => RED.util.getSetting(node as Parameters<typeof RED.util.getSetting>[0], name);
}

/**
 * POST /<type>/check-env {id?, fields: {setting: "${VAR}"}} -> {fields: {setting: {variable, set, problem?}}},
 * with the node type's read permission.
 */
export function registerEnvCheck(RED: NodeAPI, type: string, checks: Readonly<Record<string, FieldCheck>>): void {
  RED.httpAdmin.post(`/${type}/check-env`, RED.auth.needsPermission(`${type}.read`), (req, res) => {
    const body = (req.body ?? {}) as { id?: unknown; fields?: unknown };
    res.json({ fields: checkEnvFields(body.fields, checks, envOf(RED, body.id)) });
  });
}

/**
 * The connection options of a test read, its settings' ${ENV} references resolved as a deploy
 * resolves them (an unset variable is empty: the field's default, or an error for the host).
 * A settings error names the variables that are not set.
 */
export function resolveConnectionEnv(RED: NodeAPI, settings: Partial<PlcConnectionSettings> & { id?: unknown }): ReturnType<typeof toConnectionOptions> {
  const getEnv = envOf(RED, settings.id);
  const resolved: Record<string, unknown> = { ...settings };
  const unset: string[] = [];
  for (const [field, value] of Object.entries(settings)) {
    const variable = envReferenceOf(value);
    if (!variable) continue;
    const v = getEnv(variable);
    if (v === undefined || v === null) unset.push(variable);
    resolved[field] = v === undefined || v === null ? '' : String(v);
  }
  try {
    return toConnectionOptions(resolved as Partial<PlcConnectionSettings>);
  } catch (err) {
    if (unset.length === 0) throw err;
    throw new Error(`${(err as Error).message} (not set in the Node-RED runtime's environment: ${unset.join(', ')})`);
  }
}
