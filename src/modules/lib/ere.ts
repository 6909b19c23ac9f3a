/**
 * Python `re` patterns as POSIX EREs for GNU grep -E: find's `contains` searches file contents
 * on the host, where no Python runs.
 */
import { pyRegex } from '../../vars/regex.js';

/**
 * Stands for a newline in the text grep searches: a file's newlines (\n, \r\n and a lone \r, as
 * Python's universal newlines read them) become NL; in line mode each line then ends in NL.
 */
export const NL = '\x01';

/**
 * A Python pattern as an ERE over that text, to be wrapped in one group: `^( )` for line mode
 * (re.match on each line), `( )` for read_whole_file (re.search on the file). Laziness cannot
 * change whether a match exists, so *? is *. `fast`: nothing in it can match a newline, so line
 * mode may grep the files as they are, \r standing for NL (the end of a CRLF line). Lookarounds,
 * atomic groups, possessive quantifiers, conditionals, scoped and verbose flags have no ERE twin
 * and are refused, as are anchors whose ERE form (which consumes NL) has more pattern after it.
 */
export function pyToEre(pattern: string): { re: string; icase: boolean; fast: boolean } {
  const no = (why: string): never => {
    throw new Error(`cannot translate '${pattern}' to a grep -E pattern: ${why}`);
  };
  let p = pattern;
  let icase = false;
  let dotall = false;
  let multi = false;
  for (let m; (m = /^\(\?([aiLmsux]+)\)/.exec(p)); p = p.slice(m[0].length)) {
    if (/[xL]/.test(m[1])) no('the verbose (?x) and locale (?L) flags are not supported');
    icase ||= m[1].includes('i');
    dotall ||= m[1].includes('s');
    multi ||= m[1].includes('m');
  }
  let fast = true;
  // escape: [members inside a set ('' if negated), the class alone, whether it matches a newline]
  const CLASS: Record<string, [string, string, boolean]> = {
    d: ['0-9', '[0-9]', false],
    w: ['[:alnum:]_', '[[:alnum:]_]', false],
    s: [`[:space:]${NL}`, `[[:space:]${NL}]`, true],
    D: ['', '[^0-9]', true],
    W: ['', '[^[:alnum:]_]', true],
    S: ['', `[^[:space:]${NL}]`, false],
  };
  const klass = (k: string) => ((fast &&= !CLASS[k][2]), CLASS[k][1]);
  let i = 0;
  let groups = 1; // ERE groups opened so far: the caller's wrapping group is the first
  const group = (body: string) => (groups++, `(${body})`);
  const lit = (c: string): string => {
    if (c === '\n') return (fast = false), NL;
    if (c === '\0' || c === NL) no('NUL and \\x01 (which stands for newlines here) cannot be searched for');
    return '.[()*+?{|^$\\'.includes(c) ? `\\${c}` : c;
  };
  /** A character escape after the backslash, as its character; undefined for an unknown letter. */
  const charEscape = (inSet: boolean): string | undefined => {
    const rest = p.slice(i);
    const simple: Record<string, string> = { t: '\t', r: '\r', f: '\f', v: '\v', a: '\x07', n: '\n' };
    let m: RegExpExecArray | null;
    if (rest[0] in simple) return (i++, simple[rest[0]]);
    if ((m = /^(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8}))/.exec(rest))) {
      i += m[0].length;
      return String.fromCodePoint(parseInt(m[1] ?? m[2] ?? m[3], 16));
    }
    if ((m = (inSet ? /^[0-7]{1,3}/ : /^(?:0[0-7]{0,2}|[0-7]{3})/).exec(rest))) {
      i += m[0].length;
      return String.fromCodePoint(parseInt(m[0], 8));
    }
    if (/[A-Za-z0-9]/.test(rest[0])) return undefined;
    return (i++, rest[0]);
  };
  const set = (): string => {
    const neg = p[i] === '^';
    if (neg) i++;
    const chars = new Set<string>();
    const items: string[] = [];
    let nl = false;
    let negClass: string | undefined;
    // one member: a character (which may start a range), or undefined for a class escape
    const member = (): string | undefined => {
      if (i >= p.length) no('unterminated character set');
      if (p[i] !== '\\') return p[i++];
      const k = p[++i];
      if (k in CLASS) {
        i++;
        if (CLASS[k][0]) items.push(CLASS[k][0]);
        else negClass = k;
        nl ||= k === 's';
        return undefined;
      }
      if (k === 'b') return (i++, '\b');
      return charEscape(true) ?? no(`bad escape \\${k}`);
    };
    for (let first = true; first || p[i] !== ']'; first = false) {
      const a = member();
      if (a === undefined) continue;
      if (p[i] === '-' && i + 1 < p.length && p[i + 1] !== ']') {
        i++;
        const b = member();
        if (b === undefined || /[\]\-[^\n\0\x01]/.test(a + b)) no('a range that starts or ends at a special character');
        items.push(`${a}-${b}`);
      } else if (a === '\n') nl = true;
      else chars.add(a === '\0' || a === NL ? lit(a) : a);
    }
    i++;
    if (negClass) {
      if (chars.size || items.length || neg || nl) no(`\\${negClass} inside a larger character set`);
      return klass(negClass);
    }
    fast &&= neg ? nl : !nl;
    if (nl) chars.add(NL);
    const cs = [...chars];
    // ERE sets: ] first, - last, ^ not first, [ where it cannot start [:class:]
    let body = (chars.has(']') ? ']' : '') + cs.filter((c) => !']^[-'.includes(c)).join('') + items.join('') + ['[', '^', '-'].filter((c) => chars.has(c)).join('');
    if (!neg && body === '^-') body = '-^';
    if (!neg && !items.length && cs.length === 1) return cs[0] === NL ? NL : lit(cs[0]);
    return `[${neg ? '^' : ''}${body}]`;
  };
  // per open group: whether nothing came before it in its alternative (for ^ in (?m))
  const open: boolean[] = [];
  let atStart = true;
  const pyGroups: number[] = [];
  const named = new Map<string, number>();
  const backref = (n: number | undefined) => (n === undefined || n > 9 ? no('a back-reference grep cannot number') : `\\${n}`);
  let out = '';
  while (i < p.length) {
    const c = p[i++];
    const rest = p.slice(i);
    let m: RegExpExecArray | null;
    if (c === '|') {
      out += '|';
      atStart = true;
      continue;
    } else if (c === '(') {
      if (rest.startsWith('?#')) {
        i = p.indexOf(')', i) + 1 || p.length;
        continue;
      }
      if (rest.startsWith('?P=')) {
        m = /^\?P=(\w+)\)/.exec(rest) ?? no('a bad (?P=name)');
        i += m[0].length;
        out += backref(named.get(m[1]));
      } else {
        if (!rest.startsWith('?')) pyGroups.push(groups + 1);
        else if ((m = /^\?P<(\w+)>/.exec(rest))) {
          pyGroups.push(groups + 1);
          named.set(m[1], groups + 1);
          i += m[0].length;
        } else if (rest.startsWith('?:')) i += 2;
        else if (/^\?<?[=!]/.test(rest)) no('lookahead and lookbehind assertions');
        else if (rest.startsWith('?>')) no('atomic groups');
        else if (rest.startsWith('?(')) no('conditional groups');
        else no('inline flags other than at the start');
        open.push(atStart && open.every(Boolean));
        atStart = true;
        groups++;
        out += '(';
        continue;
      }
    } else if (c === ')') {
      if (open.pop() === undefined) no('unbalanced parenthesis');
      out += ')';
    } else if (c === '^') {
      if (multi && !(atStart && open.every(Boolean))) no('^ after other text in (?m)');
      out += multi ? ((fast = false), group(`^|${NL}`)) : '^';
      continue;
    } else if (c === '$') {
      if (!/^\)*$/.test(rest) && !(open.length === 0 && rest[0] === '|')) no('$ before more of the pattern');
      out += group(multi ? `${NL}|$` : `${NL}?$`);
      continue;
    } else if (c === '.') out += dotall ? ((fast = false), '.') : `[^${NL}]`;
    else if (c === '[') out += set();
    else if (c !== '\\') out += lit(c);
    else if (rest[0] === undefined) no('a trailing backslash');
    else if (rest[0] in CLASS) out += klass(p[i++]);
    else if ((m = /^[1-9]\d?/.exec(rest)) && !/^[0-7]{3}/.test(rest)) {
      i += m[0].length;
      out += backref(pyGroups[Number(m[0]) - 1]);
    } else if ('AbBZ'.includes(rest[0])) {
      i++;
      fast &&= rest[0] !== 'Z';
      out += rest[0] === 'A' ? '^' : rest[0] === 'Z' ? '$' : `\\${rest[0]}`;
      continue;
    } else out += lit(charEscape(false) ?? no(`bad escape \\${rest[0]}`));
    atStart = false;
    // a quantifier, read as Python reads it: {m,n} only when well formed, else a literal brace
    m = /^(?:[*+?]|\{(\d*)(,(\d*))?\})/.exec(p.slice(i));
    if (m && m[0] !== '{}') {
      i += m[0].length;
      out += m[0][0] === '{' ? `{${m[1] || '0'}${m[2] ? `,${m[3]}` : ''}}` : m[0];
      if (p[i] === '+') no('possessive quantifiers');
      if (p[i] === '?') i++;
    }
  }
  if (open.length) no('missing )');
  pyRegex(pattern); // what else Python (and JavaScript) would find wrong with it
  return { re: out, icase, fast };
}
