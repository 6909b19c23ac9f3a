/**
 * Ansible host patterns (inventory/manager.py): `a:b` or `a,b` union, `&x` intersection, `!x`
 * exclusion, names, groups, fnmatch globs, `~regex` (anchored at the start, like re.match),
 * subscripts `web[0]`, `web[1:3]`. Plain patterns are applied first, then `&`, then `!`, and
 * the result keeps the order of evaluation without duplicates, as Ansible's does.
 */
import { OptionsError } from '../errors.js';

export interface PatternSource {
  hostNames(): string[];
  groupNames(): string[];
  /** Hosts of a group including its descendants. */
  groupHosts(group: string): string[];
  /** A name from LOCALHOST not in the inventory: the implicit localhost. */
  implicitHost(name: string): string | undefined;
}

export function splitPatterns(pattern: string | string[]): string[] {
  if (Array.isArray(pattern)) return pattern.flatMap(splitPatterns);
  let parts: string[];
  if (pattern.includes(',')) parts = pattern.split(',');
  else if (isSingleAddress(pattern)) parts = [pattern];
  else parts = pattern.match(/(?:[^\s:[\]]|\[[^\]]*\])+/g) ?? [];
  return parts.map((p) => p.trim()).filter(Boolean);
}

/** IPv6 addresses and `host:port` are one pattern, not a colon-separated list. */
function isSingleAddress(p: string): boolean {
  if (/^\[[^\]]+\](:[0-9]+)?$/.test(p)) return true;
  if (/^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/.test(p)) return true;
  return /^[0-9a-fA-F]*:[0-9a-fA-F:.]*:[0-9a-fA-F.]*$/.test(p) && (p.match(/:/g) ?? []).length >= 2;
}

function orderPatterns(patterns: string[]): string[] {
  const regular = patterns.filter((p) => p[0] !== '!' && p[0] !== '&');
  const and = patterns.filter((p) => p[0] === '&');
  const not = patterns.filter((p) => p[0] === '!');
  return [...(regular.length ? regular : ['all']), ...and, ...not];
}

/** fnmatch.translate: `*`, `?`, `[seq]`, `[!seq]`, matching the whole name. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i];
    if (c === '*') re += '.*';
    else if (c === '?') re += '.';
    else if (c === '[') {
      let j = i + 1;
      if (glob[j] === '!') j++;
      if (glob[j] === ']') j++;
      while (j < glob.length && glob[j] !== ']') j++;
      if (j >= glob.length) re += '\\[';
      else {
        let body = glob.slice(i + 1, j).replace(/\\/g, '\\\\').replace(/]/g, '\\]');
        if (body[0] === '!') body = '^' + body.slice(1);
        else if (body[0] === '^') body = '\\' + body;
        re += `[${body}]`;
        i = j;
      }
    } else re += c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  }
  return new RegExp(`^(?:${re})$`, 's');
}

function matcher(pattern: string): (name: string) => boolean {
  let re: RegExp;
  if (pattern[0] !== '~') re = globToRegExp(pattern);
  else {
    try {
      // Python's re.match: anchored at the start, not at the end
      re = new RegExp(`^(?:${pattern.slice(1)})`);
    } catch (e) {
      const why = (e as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
      throw new OptionsError(`invalid host pattern '${pattern}': not a valid regular expression (${why})`);
    }
  }
  return (n) => re.test(n);
}

const SUBSCRIPT = /^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$/;

function splitSubscript(p: string): { expr: string; sub?: [number, number | undefined] } {
  if (p[0] === '~') return { expr: p };
  const m = SUBSCRIPT.exec(p);
  if (!m) return { expr: p };
  if (m[2] !== undefined) return { expr: m[1], sub: [Number(m[2]), undefined] };
  return { expr: m[1], sub: [Number(m[3]), m[5] ? Number(m[5]) : -1] };
}

function enumerate(src: PatternSource, pattern: string): string[] {
  const match = matcher(pattern);
  const groups = src.groupNames().filter(match);
  const out = groups.flatMap((g) => src.groupHosts(g));
  if (!groups.length || pattern[0] === '~' || /[.?*[]/.test(pattern)) out.push(...src.hostNames().filter(match));
  if (!out.length) {
    const implicit = src.implicitHost(pattern);
    if (implicit) out.push(implicit);
  }
  return out;
}

function matchOne(src: PatternSource, pattern: string): string[] {
  const { expr, sub } = splitSubscript(pattern);
  const hosts = [...new Set(enumerate(src, expr))];
  if (!sub) return hosts;
  const [start, end] = sub;
  if (end === undefined) {
    const h = hosts.at(start);
    if (h === undefined) throw new OptionsError(`no hosts matched the subscripted pattern '${pattern}'`);
    return [h];
  }
  return hosts.slice(start, (end === -1 ? hosts.length - 1 : end) + 1);
}

/** The hosts a pattern selects; [] when nothing matches (the caller decides whether to warn). */
export function selectHosts(src: PatternSource, pattern: string | string[]): string[] {
  const known = new Set(src.hostNames());
  let hosts = new Set<string>();
  for (const p of orderPatterns(splitPatterns(pattern))) {
    if (known.has(p)) {
      hosts.add(p);
      continue;
    }
    const that = new Set(matchOne(src, p[0] === '!' || p[0] === '&' ? p.slice(1) : p));
    if (p[0] === '!') hosts = new Set([...hosts].filter((h) => !that.has(h)));
    else if (p[0] === '&') hosts = new Set([...hosts].filter((h) => that.has(h)));
    else for (const h of that) hosts.add(h);
  }
  return [...hosts];
}
