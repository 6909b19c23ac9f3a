/** Where in a YAML/INI source something came from. line and col are 1-based. */
export interface SourcePos {
  file: string;
  line: number;
  col: number;
}

export function formatPos(p?: SourcePos): string {
  return p ? `${p.file}:${p.line}:${p.col}` : '';
}

/** Ansible's exit codes, which the CLI maps error classes to. */
export const EXIT = {
  ok: 0,
  error: 1,
  hostFailed: 2,
  unreachable: 3,
  parse: 4,
  options: 5,
  interrupted: 99,
} as const;

export class HarunError extends Error {
  readonly code: string;
  readonly source?: SourcePos;
  /** The offending source line, printed under the message with a caret. */
  readonly excerpt?: string;
  constructor(code: string, message: string, source?: SourcePos, excerpt?: string) {
    super(message);
    this.name = new.target.name;
    this.code = code;
    this.source = source;
    this.excerpt = excerpt;
  }
  get exitCode(): number {
    return EXIT.error;
  }
  /** "file:line:col: message" plus the source line and a caret when known. */
  describe(): string {
    const head = this.source ? `${formatPos(this.source)}: ${this.message}` : this.message;
    if (!this.excerpt || !this.source) return head;
    return `${head}\n  ${this.excerpt}\n  ${' '.repeat(Math.max(0, this.source.col - 1))}^`;
  }
}

/** Bad YAML, bad keyword, bad module argument, bad variable: nothing has run yet. */
export class ValidationError extends HarunError {
  override get exitCode(): number {
    return EXIT.parse;
  }
}

/** Bad command-line flag or combination. */
export class OptionsError extends HarunError {
  constructor(message: string) {
    super('options', message);
  }
  override get exitCode(): number {
    return EXIT.options;
  }
}

/** A host could not be reached, or its connection dropped. */
export class UnreachableError extends HarunError {
  constructor(message: string) {
    super('unreachable', message);
  }
  override get exitCode(): number {
    return EXIT.unreachable;
  }
}

/** A remote step failed: carries the command, exit code and stderr as evidence. */
export class CommandError extends HarunError {
  constructor(
    message: string,
    readonly cmd: string,
    readonly rc: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super('command', message);
  }
}
