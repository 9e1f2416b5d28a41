'use strict';
/* eslint-disable @typescript-eslint/no-require-imports -- CommonJS, for the ES-module scripts and the CommonJS demo helpers alike */
// The scripts' one freePort (CommonJS, so that both the ES-module scripts and the CommonJS demo
// helpers, which the TypeScript tests require, can load it). TypeScript code has lib/shared/free-port.ts.
const net = require('node:net');

/** A TCP port on 127.0.0.1 that was free a moment ago. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

module.exports = { freePort };
