/**
 * The Node-RED runtime the tests run against: node-red from NODE_RED_PATH when set (the
 * Node-RED 5 lane), else the one in devDependencies.
 */
import helper from 'node-red-node-test-helper';

export const nodeRedPath = require.resolve(process.env.NODE_RED_PATH || 'node-red');
helper.init(nodeRedPath);

export { helper };
