/**
 * The "S7 production" sidebar's runtime half: publishes the live telemetry the package's nodes
 * report (lib/shared/telemetry.ts) to every editor over comms, retained so a newly opened
 * editor sees the plant at once. The snapshot holds no settings or credentials.
 */
import { telemetry, TELEMETRY_TOPIC, type TelemetrySnapshot } from '../../lib/shared/telemetry';

const SIDEBAR_PLUGIN_ID = 's7-production-sidebar';

/** The part of Node-RED's runtime API a plugin uses (typed here: @types/node-red lacks plugins and comms). */
interface PluginApi {
  plugins: { registerPlugin(id: string, definition: object): void };
  comms: { publish(topic: string, data: TelemetrySnapshot, retain: boolean): void };
}

export = function register(RED: PluginApi): void {
  RED.plugins.registerPlugin(SIDEBAR_PLUGIN_ID, {});
  telemetry.subscribe((snapshot) => RED.comms.publish(TELEMETRY_TOPIC, snapshot, true));
};
