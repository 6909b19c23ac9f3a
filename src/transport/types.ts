import type { Sh } from '../shell/sh.js';
export interface ExecOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
  /**
   * Run under the login user's own shell, on a session of its own (the raw module, as Ansible's
   * raw does); other commands may run in the SSH transport's resident /bin/sh.
   */
  loginShell?: boolean;
}

export interface ExecResult {
  /** Exit status; null when the command was killed by a signal or timed out. */
  code: number | null;
  stdout: string;
  stderr: string;
  /** The same stdout as raw bytes, for binary payloads (fetch, slurp). */
  stdoutBuf?: Buffer;
  /** Set when the command ended by a signal or by timeoutMs. */
  signal?: string;
}

/**
 * How harun reaches a host. Commands are complete POSIX sh strings: become, environment
 * and cwd wrapping is done before (in shell/), never inside a transport.
 */
export interface Transport {
  readonly host: string;
  /** The user commands run as before become (the login user); unset when not known. */
  readonly user?: string;
  /** Open the connection; throws UnreachableError. Called once per host per run. */
  connect(): Promise<void>;
  exec(cmd: Sh, opts?: ExecOptions): Promise<ExecResult>;
  close(): Promise<void>;
  /** SSH sessions opened so far: the resident shell's and the exec channels (the benchmark reports it). */
  readonly channels: number;
  /** Commands run so far, each one round trip (through the resident shell or a session of its own). */
  readonly execs: number;
}
