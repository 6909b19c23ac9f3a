import { createContext } from '../../src/engine/context.js';
import type { ModuleContext } from '../../src/modules/types.js';
import { LocalTransport } from '../../src/transport/local.js';
import type { Transport } from '../../src/transport/types.js';

/**
 * A ModuleContext for module tests: a real transport (local by default, or an SshTransport to
 * the loopback sshd), no templating beyond identity unless given.
 */
export function testContext(o: {
  transport?: Transport;
  check?: boolean;
  diff?: boolean;
  vars?: Record<string, unknown>;
  facts?: Record<string, any>;
  filesDir?: string;
  render?: (t: string, extra?: Record<string, unknown>) => string;
  evaluate?: (e: string, extra?: Record<string, unknown>) => unknown;
} = {}): ModuleContext {
  return createContext({
    host: o.transport?.host ?? 'localhost',
    transport: o.transport ?? new LocalTransport('localhost'),
    vars: o.vars ?? {},
    check: o.check ?? false,
    diff: o.diff ?? false,
    signal: new AbortController().signal,
    wrapping: {},
    facts: async () => o.facts ?? {},
    findLocal: (_kind, src) => (src.startsWith('/') || !o.filesDir ? src : `${o.filesDir}/${src}`),
    render: o.render ?? ((t) => t),
    evaluate: o.evaluate ?? ((e) => { throw new Error(`no evaluator in this test context: ${e}`); }),
    log: () => {},
  });
}
