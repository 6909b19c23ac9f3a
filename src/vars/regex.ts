import { TemplateError } from './py.js';

/** Python `re` patterns and replacement strings, translated to JavaScript's dialect. */

export interface RegexOpts {
  ignorecase?: boolean;
  multiline?: boolean;
  /** Anchor at the start like re.match (regex `y` flag). */
  sticky?: boolean;
  global?: boolean;
}

/** Text matched literally inside a JavaScript regular expression. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const CACHE = new Map<string, RegExp>();

/**
 * A Python `re` pattern as a JavaScript RegExp: (?P<name>..) and (?P=name), \A and \Z (the start
 * and end of the whole text, also in multiline mode), leading inline flags (?aiLmsu); verbose mode
 * (?x) has no JavaScript twin. `o` gives the flags as options or as JavaScript's letters.
 */
export function pyRegex(pattern: string, o: RegexOpts | string = {}): RegExp {
  const f = new Set(typeof o === 'string' ? o : [o.ignorecase && 'i', o.multiline && 'm', o.sticky && 'y', o.global && 'g'].filter((x): x is string => !!x));
  let src = pattern;
  const lead = /^\(\?([aiLmsux]+)\)/.exec(src);
  if (lead) {
    if (lead[1].includes('x')) throw new TemplateError(`invalid regular expression '${pattern}': verbose mode (?x) is not supported`);
    for (const c of lead[1]) if ('ims'.includes(c)) f.add(c);
    src = src.slice(lead[0].length);
  }
  const flags = [...f].sort().join('');
  const key = `${flags}/${src}`;
  const hit = CACHE.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  const js = src
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/(^|[^\\])((?:\\\\)*)\\A/g, '$1$2(?<![\\s\\S])')
    .replace(/(^|[^\\])((?:\\\\)*)\\Z/g, '$1$2(?![\\s\\S])');
  let re: RegExp;
  try {
    re = new RegExp(js, flags + 'u');
  } catch {
    try {
      // The u flag rejects escapes Python allows (\-, \#); retry without it.
      re = new RegExp(js, flags);
    } catch (e) {
      throw new TemplateError(`invalid regular expression '${pattern}': ${(e as Error).message}`);
    }
  }
  if (CACHE.size > 500) CACHE.clear();
  CACHE.set(key, re);
  return re;
}

/** Python replacement syntax (\1, \g<1>, \g<name>) to JavaScript's ($1, $<name>). */
export function pyReplacement(repl: string): string {
  return repl
    .replace(/\$/g, '$$$$')
    .replace(/\\g<(\d+)>/g, '$$$1')
    .replace(/\\g<(\w+)>/g, '$$<$1>')
    .replace(/\\(\d+)/g, '$$$1')
    .replace(/\\n/g, '\n')
    .replace(/\\t/g, '\t')
    .replace(/\\\\/g, '\\');
}
