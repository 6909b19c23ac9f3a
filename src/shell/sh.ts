declare const shellBrand: unique symbol;

/**
 * Text that is a shell command as it stands: made only by sh``, quote(), joinSh() and, for text
 * that is shell by definition (a task's own command, a script's code), asShell(). A plain string
 * is not one, so joining raw strings into a command and running it is a compile error.
 */
export type Sh = string & { readonly [shellBrand]: true };

/** A string that is shell text by definition (the command a task gives, a fixed script). */
export function asShell(text: string): Sh {
  return text as Sh;
}

/** Shell texts joined by a fixed separator written in the code (' && ', '; ', ' -o ', a newline). */
export function joinSh(parts: readonly Sh[], sep: string): Sh {
  return parts.join(sep) as Sh;
}

/** A command line from words, each quoted; false and undefined words are left out. */
export function words(...w: (string | false | undefined | string[])[]): Sh {
  return w.flat().filter((x): x is string => typeof x === 'string').map(quote).join(' ') as Sh;
}

/** POSIX sh single-quoting: safe for dash as well as bash. */
export function quote(value: unknown): Sh {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s as Sh;
  return `'${s.replace(/'/g, `'\\''`)}'` as Sh;
}

/** A piece of shell text that must not be quoted again (built by sh`` or raw()). */
export class ShellText {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function raw(text: string): ShellText {
  return new ShellText(text);
}

/**
 * Tagged template for remote commands: every interpolation is single-quoted, arrays become
 * several quoted words, ShellText passes through as is.
 *   sh`mkdir -p ${dir} && chmod ${mode} ${dir}`
 */
export function sh(strings: TemplateStringsArray, ...values: unknown[]): Sh {
  let out = strings[0];
  values.forEach((v, i) => {
    out += word(v) + strings[i + 1];
  });
  return out as Sh;
}

function word(v: unknown): string {
  if (v instanceof ShellText) return v.text;
  if (Array.isArray(v)) return v.map(word).join(' ');
  return quote(v);
}
