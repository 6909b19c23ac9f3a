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

export function pyRegex(pattern: string, o: RegexOpts = {}): RegExp {
  let flags = 'u';
  let src = pattern;
  // Inline flags at the start: (?i), (?m), (?s), (?x) not supported.
  src = src.replace(/^\(\?([imsx]+)\)/, (_m, f: string) => {
    if (f.includes('i')) o = { ...o, ignorecase: true };
    if (f.includes('m')) o = { ...o, multiline: true };
    if (f.includes('s')) flags += 's';
    return '';
  });
  if (o.ignorecase) flags += 'i';
  if (o.multiline) flags += 'm';
  if (o.sticky) flags += 'y';
  if (o.global) flags += 'g';
  const key = `${flags}/${src}`;
  const hit = CACHE.get(key);
  if (hit) {
    hit.lastIndex = 0;
    return hit;
  }
  const js = src
    .replace(/\(\?P<(\w+)>/g, '(?<$1>')
    .replace(/\(\?P=(\w+)\)/g, '\\k<$1>')
    .replace(/\\A/g, '^')
    .replace(/\\Z/g, '$');
  let re: RegExp;
  try {
    re = new RegExp(js, flags);
  } catch {
    try {
      // The u flag rejects escapes Python allows (\-, \#); retry without it.
      re = new RegExp(js, flags.replace('u', ''));
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
