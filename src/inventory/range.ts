/**
 * Host names with ranges (`web[01:10]`, `db[a:c]`, `n[1:9:2]`) and an optional `:port`, as
 * Ansible's parse_address + expand_hostname_range read them. Errors are thrown as RangeError
 * with a plain message; the parsers turn them into positioned ValidationErrors.
 */

const LETTERS = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Split `name:port` / `[v6]:port`; a bare IPv6 address or a name without a numeric port has none. */
export function splitPort(spec: string): { name: string; port?: number } {
  const bracketed = /^\[(.+)\]:([0-9]+)$/.exec(spec);
  if (bracketed) return { name: bracketed[1], port: Number(bracketed[2]) };
  // ranges contain colons too, so only a colon outside [...] separates the port
  const hostport = /^((?:[^:[\]]|\[[^\]]*\])*):([0-9]+)$/.exec(spec);
  if (hostport) return { name: hostport[1], port: Number(hostport[2]) };
  return { name: spec };
}

/** Expand every `[begin:end(:step)]` in name; a name without `[` is returned as is. */
export function expandRange(name: string): string[] {
  const open = name.indexOf('[');
  if (open < 0) return [name];
  const close = name.indexOf(']', open);
  if (close < 0) throw new RangeError(`unclosed '[' in host range '${name}'`);
  const head = name.slice(0, open);
  const tail = name.slice(close + 1);
  const bounds = name.slice(open + 1, close).split(':');
  if (bounds.length !== 2 && bounds.length !== 3) {
    throw new RangeError(`host range must be [begin:end] or [begin:end:step], got '[${bounds.join(':')}]'`);
  }
  const beg = bounds[0] || '0';
  const end = bounds[1];
  if (!end) throw new RangeError(`host range '[${bounds.join(':')}]' must specify an end value`);
  const stepText = bounds[2] ?? '1';
  if (!/^[0-9]+$/.test(stepText) || Number(stepText) === 0) {
    throw new RangeError(`host range step must be a positive integer, got '${stepText}'`);
  }
  const step = Number(stepText);
  let seq: string[] = [];
  const ib = beg.length === 1 ? LETTERS.indexOf(beg) : -1;
  const ie = end.length === 1 ? LETTERS.indexOf(end) : -1;
  if (ib >= 0 && ie >= 0) {
    if (ib > ie) throw new RangeError(`host range must have begin <= end, got '[${beg}:${end}]'`);
    for (let i = ib; i <= ie; i += step) seq.push(LETTERS[i]);
  } else {
    if (!/^[0-9]+$/.test(beg) || !/^[0-9]+$/.test(end)) {
      throw new RangeError(`host range bounds must both be numbers or both single letters, got '[${beg}:${end}]'`);
    }
    // a leading zero asks for fixed-width numbers (web[01:10] -> web01..web10)
    const width = beg.length > 1 && beg[0] === '0' ? beg.length : 0;
    if (width && width !== end.length) {
      throw new RangeError(`host range must specify equal-length begin and end formats, got '[${beg}:${end}]'`);
    }
    const b = Number(beg);
    const e = Number(end);
    if (b > e) throw new RangeError(`host range must have begin <= end, got '[${beg}:${end}]'`);
    if ((e - b) / step > 100000) throw new RangeError(`host range '[${beg}:${end}]' is too large`);
    seq = [];
    for (let i = b; i <= e; i += step) seq.push(width ? String(i).padStart(width, '0') : String(i));
  }
  return seq.flatMap((s) => expandRange(head + s + tail));
}

/** A host spec (`web[1:3]:2222`) to its names and port. */
export function expandHostSpec(spec: string): { names: string[]; port?: number } {
  const { name, port } = splitPort(spec);
  if (spec.trim().endsWith(':') && port === undefined) {
    throw new RangeError(`invalid host '${spec}': a trailing ':' is reserved for a port number`);
  }
  const names = expandRange(name);
  if (names.some((n) => n.trim() === '---')) {
    throw new RangeError(`invalid host '${spec}': '---' is normally a sign this is a YAML file`);
  }
  return { names, port };
}
