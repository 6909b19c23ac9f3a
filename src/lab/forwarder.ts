/**
 * The uml lab's port forwarder: `node forwarder.js harun-lab DIR ADDR...`, started by `lab up`
 * inside the lab's network namespace with one listening socket per address as fds 3, 4, ...
 * (bound to 127.0.0.1 in the controller's namespace before it moved). Every connection accepted
 * on fd 3+i is piped to ADDR[i]:22 on the lab's bridge, so the controller reaches each sshd at
 * 127.0.0.1:port while the lab's subnet exists only inside the namespace. DIR is on the command
 * line so that the forwarder of a lab whose controller was killed is found and ended
 * (removeDeadUmlLab). Standalone (node: imports only): scripts/bundle.mjs copies it beside the bundle.
 */
import { connect, createServer } from 'node:net';

const addrs = process.argv.slice(4);
addrs.forEach((addr, i) => {
  createServer((client) => {
    const up = connect(22, addr);
    // either side's end or error ends both: a half-open ssh connection would only hang
    const end = () => {
      client.destroy();
      up.destroy();
    };
    client.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
    client.pipe(up).pipe(client);
  }).listen({ fd: 3 + i });
});
