import type { Sh } from '../shell/sh.js';
export interface ExecOptions {
  /** Bytes written to the command's standard input, then closed. */
  stdin?: string | Buffer;
  timeoutMs?: number;
  signal?: AbortSignal;
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
  /** Number of exec channels opened so far (the benchmark reports it). */
  readonly channels: number;
}
