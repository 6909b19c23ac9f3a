/** POSIX sh single-quoting: safe for dash as well as bash. */
export function quote(value: unknown): string {
  const s = String(value);
  if (s !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
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
export function sh(strings: TemplateStringsArray, ...values: unknown[]): string {
  let out = strings[0];
  values.forEach((v, i) => {
    out += word(v) + strings[i + 1];
  });
  return out;
}

function word(v: unknown): string {
  if (v instanceof ShellText) return v.text;
  if (Array.isArray(v)) return v.map(word).join(' ');
  return quote(v);
}
