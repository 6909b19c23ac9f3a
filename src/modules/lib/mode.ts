/**
 * File modes as Ansible takes them. YAML 1.1 reads `0644` as the number 420, which is already the
 * mode; a string is octal ('0644', '644') or symbolic ('u=rw,g=r,o=r', 'a+x'). Symbolic modes are
 * resolved here against the current mode so that the module can compare before it changes.
 */
export type ParsedMode = { kind: 'octal'; value: number } | { kind: 'symbolic'; text: string };

const SYMBOLIC = /^[ugoa]*([-+=]([ugo]|[rwxXst]*))+$/;

export function parseMode(mode: string | number): ParsedMode {
  if (typeof mode === 'number') {
    if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) throw new Error(`mode ${mode} is not a valid file mode`);
    return { kind: 'octal', value: mode };
  }
  const s = mode.trim();
  if (/^(0o)?[0-7]{1,5}$/.test(s)) {
    const value = parseInt(s.replace(/^0o/, ''), 8);
    if (value > 0o7777) throw new Error(`mode '${mode}' is not a valid file mode`);
    return { kind: 'octal', value };
  }
  if (s !== '' && s.split(',').every((c) => SYMBOLIC.test(c))) return { kind: 'symbolic', text: s };
  throw new Error(`mode '${mode}' is neither octal (0644) nor symbolic (u=rw,g=r,o=r)`);
}

/** '0644' / '1777': four octal digits, as Ansible reports modes. */
export function fmtMode(n: number): string {
  return (n & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Permission bits that the umask cannot give what is created (a file starts from 0666, a
 * directory from 0777): a chmod must set them. The rest come from a umask of ~mode, so that a new
 * file is never more open than its mode, not even before its chmod.
 */
export const NOT_BY_UMASK = { file: 0o7111, dir: 0o7000 };

const WHO: Record<string, number> = { u: 0o4700, g: 0o2070, o: 0o1007 };

/** The octal mode that `chmod <mode>` would leave on a file whose mode is current. */
export function resolveMode(mode: string | number | ParsedMode, current: number, isDir: boolean): number {
  const p = typeof mode === 'object' ? mode : parseMode(mode);
  if (p.kind === 'octal') return p.value;
  let m = current & 0o7777;
  for (const clause of p.text.split(',')) {
    const who = clause.match(/^[ugoa]*/)![0];
    // Ansible treats a missing "who" as "a" (it does not apply the umask).
    const mask = !who || who.includes('a') ? 0o7777 : [...who].reduce((acc, w) => acc | WHO[w], 0);
    for (const [, op, perms] of clause.slice(who.length).matchAll(/([-+=])([ugo]|[rwxXst]*)/g)) {
      let bits = 0;
      if (/^[ugo]$/.test(perms)) {
        // copy another class's bits (g=u)
        const shift = { u: 6, g: 3, o: 0 }[perms as 'u' | 'g' | 'o'];
        const v = (m >> shift) & 7;
        bits = (v << 6) | (v << 3) | v;
      } else {
        for (const c of perms) {
          if (c === 'r') bits |= 0o444;
          if (c === 'w') bits |= 0o222;
          if (c === 'x') bits |= 0o111;
          if (c === 'X' && (isDir || (m & 0o111) !== 0)) bits |= 0o111;
          if (c === 's') bits |= 0o6000;
          if (c === 't') bits |= 0o1000;
        }
      }
      bits &= mask;
      if (op === '+') m |= bits;
      else if (op === '-') m &= ~bits;
      else m = (m & ~mask) | bits;
    }
  }
  return m & 0o7777;
}
