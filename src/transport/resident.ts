import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import { quote } from '../shell/sh.js';

/**
 * Send a signal over SSH to the process of a session (OpenSSH >= 7.9 honours it); false when it
 * cannot be sent. ssh2's own signal() refuses once stdin is ended, so the request goes directly.
 */
export function signalChannel(ch: unknown, name: 'TERM' | 'KILL'): boolean {
  try {
    const c = ch as any;
    if (c?.outgoing?.state !== 'open' && c?.outgoing?.state !== 'eof') return false;
    c._client._protocol.signal(c.outgoing.id, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * The largest input given to a command through the resident shell (as a here-document, which the
 * shell holds in memory); larger input goes on a session's own stdin.
 */
export const HERE_DOC_MAX = 1 << 20;

/** The ssh2 channel shape the resident shell uses. */
export interface ResidentChannel extends Duplex {
  stderr: NodeJS.ReadableStream;
  close(): void;
}

export interface ResidentResult {
  code: number;
  stdoutBuf: Buffer;
  stderr: string;
}

/** One output stream of the shell: its bytes since the last command ended, and where a marker sits. */
class Stream {
  parts: Buffer[] = [];
  len = 0;
  /** Where the current command's marker starts, once seen. */
  at?: number;

  /** Take a chunk; look for `mark` where it could newly be (the chunk and the bytes just before). */
  push(d: Buffer, mark?: Buffer): void {
    const before = this.len;
    this.parts.push(d);
    this.len += d.length;
    if (mark) this.find(mark, before);
  }

  find(mark: Buffer, from: number): void {
    if (this.at !== undefined) return;
    const start = Math.max(0, from - mark.length);
    const i = this.slice(start).indexOf(mark);
    if (i >= 0) this.at = start + i;
  }

  /** The bytes from `start` on (joining only the chunks that hold them). */
  slice(start: number): Buffer {
    let skip = 0;
    let k = 0;
    while (k < this.parts.length && skip + this.parts[k].length <= start) skip += this.parts[k++].length;
    return Buffer.concat(this.parts.slice(k)).subarray(start - skip);
  }

  /** Everything, with what follows `end` kept for the next command. */
  take(end: number, keepFrom: number): Buffer {
    const all = Buffer.concat(this.parts, this.len);
    const rest = all.subarray(keepFrom);
    this.parts = rest.length ? [Buffer.from(rest)] : [];
    this.len = rest.length;
    this.at = undefined;
    return all.subarray(0, end);
  }
}

/**
 * One /bin/sh per host kept open on a session channel for the whole run: each command is a line
 * written to its standard input, `sh -c 'COMMAND' </dev/null`, followed by a marker with the exit
 * status on stdout and a marker on stderr. The command runs in its own process exactly as an exec
 * channel would run it (its own sh, no terminal, stdin empty, nothing it sets survives it), but
 * without a new SSH session, sshd's session set-up and a login shell's start for every command:
 * on a host where a process costs much (a UML lab host) that is most of a task's time.
 *
 * The markers carry a random nonce per shell and a sequence number per command, so no output of a
 * command can end it early. A command's input is a here-document after its line (see takes()).
 * One command at a time; callers use an exec channel meanwhile.
 */
export class ResidentShell {
  private readonly nonce = randomBytes(12).toString('hex');
  private seq = 0;
  /** The line that ends a here-document: the nonce makes it one no input holds by chance. */
  private readonly hereEnd = `HARUN_${this.nonce}`;
  private out = new Stream();
  private err = new Stream();
  private current?: {
    marks: { out: Buffer; err: Buffer };
    resolve: (r: ResidentResult) => void;
    reject: (e: Error) => void;
  };
  /** Set once the channel closed or failed: no more commands. */
  ended?: string;

  /** A command is running (its markers have not all come). */
  get busy(): boolean {
    return this.current !== undefined;
  }

  constructor(private readonly ch: ResidentChannel) {
    // a TERM (interrupt()) ends the running command, as a signal to an exec channel ends its
    // command, and the shell still reports the command's end
    ch.write(`trap 'kill -KILL $j 2>/dev/null' TERM\n`);
    ch.on('data', (d: Buffer) => {
      this.out.push(d, this.current?.marks.out);
      this.settle();
    });
    ch.stderr.on('data', (d: Buffer) => {
      this.err.push(d, this.current?.marks.err);
      this.settle();
    });
    ch.on('error', () => {});
    ch.on('close', () => this.end('the resident shell ended'));
  }

  /**
   * Whether `stdin` can be given to a command here: as a here-document, which holds text that
   * ends in a newline (or nothing), without NUL bytes or a line that is the delimiter, up to
   * HERE_DOC_MAX. Other input needs a session of its own.
   */
  takes(stdin: string | Buffer | undefined): boolean {
    if (stdin === undefined || stdin.length === 0) return true;
    const b = typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
    if (b.length > HERE_DOC_MAX || b[b.length - 1] !== 10 || b.includes(0)) return false;
    return !b.includes(`\n${this.hereEnd}\n`) && !b.subarray(0, this.hereEnd.length + 1).equals(Buffer.from(`${this.hereEnd}\n`));
  }

  /**
   * Run one command; rejects only when the shell ended before the command's markers came. Without
   * a command only the markers are written: the shell answers by itself, no process started.
   * stdin must be one that takes() accepts.
   */
  run(cmd?: string, stdin?: string | Buffer): Promise<ResidentResult> {
    if (this.ended) return Promise.reject(new Error(this.ended));
    if (!this.takes(stdin)) return Promise.reject(new Error('this input cannot be given through the resident shell'));
    const id = `${this.nonce}.${++this.seq}`;
    const body = stdin === undefined || stdin.length === 0 ? undefined : typeof stdin === 'string' ? Buffer.from(stdin) : stdin;
    return new Promise<ResidentResult>((resolve, reject) => {
      this.current = { marks: { out: Buffer.from(`\n${id}:`), err: Buffer.from(`\n${id}\n`) }, resolve, reject };
      // output left over from before (a login script's) is searched too
      this.out.find(this.current.marks.out, 0);
      this.err.find(this.current.marks.err, 0);
      // in the background and waited for: a trapped signal interrupts `wait` (POSIX), not a foreground command
      const input = body ? `<<'${this.hereEnd}'` : '</dev/null';
      const line = cmd === undefined ? 'true' : `sh -c ${quote(cmd)} ${input} & j=$!; wait $j`;
      this.ch.write(`${line}; printf '\\n%s:%d\\n' ${id} "$?"; printf '\\n%s\\n' ${id} >&2\n`);
      // the here-document's lines follow the line that opened it, quoted: nothing in them expands
      if (body) this.ch.write(Buffer.concat([body, Buffer.from(`${this.hereEnd}\n`)]));
    });
  }

  /** End the running command (a timeout or an interrupt); its markers still come. */
  interrupt(): void {
    signalChannel(this.ch, 'TERM');
  }

  /** Kill the shell itself (a server that ignores signals, or the command would not end). */
  kill(why: string): void {
    signalChannel(this.ch, 'KILL');
    try {
      this.ch.close();
    } catch {
      /* already gone */
    }
    this.end(why);
  }

  private end(why: string): void {
    if (this.ended) return;
    this.ended = why;
    const cur = this.current;
    this.current = undefined;
    cur?.reject(new Error(why));
  }

  private settle(): void {
    const cur = this.current;
    if (!cur || this.out.at === undefined || this.err.at === undefined) return;
    // the exit status follows the stdout marker up to a newline, which may not have come yet
    const tail = this.out.slice(this.out.at + cur.marks.out.length);
    const nl = tail.indexOf(10);
    if (nl < 0) return;
    const code = Number(tail.subarray(0, nl).toString());
    const outEnd = this.out.at;
    const stdoutBuf = Buffer.from(this.out.take(outEnd, outEnd + cur.marks.out.length + nl + 1));
    const errEnd = this.err.at;
    const stderr = this.err.take(errEnd, errEnd + cur.marks.err.length).toString('utf8');
    this.current = undefined;
    cur.resolve({ code, stdoutBuf, stderr });
  }
}
