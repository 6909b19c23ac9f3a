import { CommandError } from '../errors.js';
import type { ModuleContext, RunOptions } from '../modules/types.js';
import type { Sh } from '../shell/sh.js';
import { wrap, type Wrapping } from '../shell/wrap.js';
import type { ExecResult, Transport } from '../transport/types.js';

export interface ContextParams {
  host: string;
  transport: Transport;
  vars: Record<string, unknown>;
  check: boolean;
  diff: boolean;
  noLog?: boolean;
  signal: AbortSignal;
  wrapping: Wrapping;
  timeoutMs?: number;
  facts: () => Promise<Record<string, any>>;
  /** Absent where no new connection can be had (tests that hand a transport in). */
  reconnect?: (timeoutSec?: number) => Promise<Transport>;
  findLocal: ModuleContext['findLocal'];
  render: ModuleContext['render'];
  evaluate: ModuleContext['evaluate'];
  log: ModuleContext['log'];
}

export function createContext(p: ContextParams): ModuleContext {
  const run = async (cmd: Sh, opts: RunOptions = {}): Promise<ExecResult> => {
    const w: Wrapping = {
      become: opts.become === false ? undefined : p.wrapping.become,
      environment: opts.noEnv ? undefined : p.wrapping.environment,
      chdir: opts.noEnv ? undefined : p.wrapping.chdir,
    };
    const wrapped = wrap(cmd, w, p.transport.user);
    p.log(2, `exec: ${cmd}`);
    const stdin = wrapped.stdinPrefix
      ? Buffer.concat([Buffer.from(wrapped.stdinPrefix), Buffer.from(opts.stdin ?? '')])
      : opts.stdin;
    return p.transport.exec(wrapped.cmd, {
      stdin,
      timeoutMs: opts.timeoutMs ?? p.timeoutMs,
      signal: opts.signal ?? p.signal,
      loginShell: opts.loginShell,
    });
  };
  return {
    host: p.host,
    vars: p.vars,
    check: p.check,
    diff: p.diff,
    noLog: p.noLog,
    signal: p.signal,
    run,
    async runOk(cmd, opts) {
      const r = await run(cmd, opts);
      if (r.code !== 0) {
        const why = r.signal ? `ended by ${r.signal}` : `exited ${r.code}`;
        const err = r.stderr.trim().split('\n').slice(-3).join(' | ');
        throw new CommandError(`command ${why}${err ? `: ${err}` : ''}`, cmd, r.code, r.stdout, r.stderr);
      }
      return r;
    },
    facts: p.facts,
    async reconnect(timeoutSec) {
      if (!p.reconnect) throw new Error('this run cannot open a new connection to the host');
      p.transport = await p.reconnect(timeoutSec);
    },
    findLocal: p.findLocal,
    render: p.render,
    evaluate: p.evaluate,
    log: p.log,
  };
}
