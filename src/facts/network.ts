/** Pure parsers for `ip addr` / `ip route` output (JSON, or the one-line text of old iproute2). */

interface AddrInfo {
  family: string;
  local: string;
  prefixlen: number;
  broadcast?: string;
  scope?: string;
  label?: string;
}
export interface IpLink {
  ifname: string;
  flags: string[];
  mtu: number;
  operstate?: string;
  link_type?: string;
  address?: string;
  addr_info: AddrInfo[];
}

/** The ip_addr section: `ip -j addr` JSON, or '#text' + `ip -o addr` + '#link' + `ip -o link`. */
export function parseIpAddr(text: string): IpLink[] {
  const t = text.trim();
  if (!t) return [];
  if (!t.startsWith('#text')) return JSON.parse(t) as IpLink[];
  const [addrPart, linkPart = ''] = t.slice('#text'.length).split('\n#link');
  const links = new Map<string, IpLink>();
  // "2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc ... state UP ...\    link/ether 52:54:00:aa:bb:cc brd ..."
  for (const line of linkPart.split('\n')) {
    const m = /^\d+:\s+([^:@\s]+)(?:@\S+)?:\s+<([^>]*)>(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[3];
    links.set(m[1], {
      ifname: m[1],
      flags: m[2] ? m[2].split(',') : [],
      mtu: Number(/\bmtu (\d+)/.exec(rest)?.[1] ?? 0),
      operstate: /\bstate (\S+)/.exec(rest)?.[1],
      link_type: /link\/(\S+)/.exec(rest)?.[1],
      address: /link\/\S+ ([0-9a-f:]{17})/.exec(rest)?.[1],
      addr_info: [],
    });
  }
  for (const a of parseAddrLines(addrPart)) {
    const link = links.get(a.dev) ?? { ifname: a.dev, flags: [], mtu: 0, addr_info: [] };
    links.set(a.dev, link);
    link.addr_info.push({ family: a.family, local: a.address, prefixlen: a.prefix, broadcast: a.broadcast, scope: a.scope, label: a.family === 'inet' ? a.label : undefined });
  }
  return [...links.values()];
}

/** One address of `ip -o addr show`. */
export interface AddrLine {
  dev: string;
  family: 'inet' | 'inet6';
  address: string;
  prefix: number;
  /** The address label (`lo:0`); the device name when the address has none. */
  label: string;
  broadcast?: string;
  scope?: string;
}

const ADDR_FLAGS = /^(secondary|dynamic|noprefixroute|deprecated|tentative|temporary|mngtmpaddr)$/;

/**
 * `ip -o addr show`: one line per address, `\` where the unfolded output would break, e.g.
 * "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global secondary eth0:1\       valid_lft ...".
 */
export function parseAddrLines(text: string): AddrLine[] {
  const out: AddrLine[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+(\S+?)(?:@\S+)?\s+(inet6?)\s+([0-9a-fA-F.:]+)\/(\d+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const words = m[5].split('\\')[0].trim().split(/\s+/);
    const after = (k: string) => (words.includes(k) ? words[words.indexOf(k) + 1] : undefined);
    // inet lines end with the label after `scope X` and its flags
    const scope = words.indexOf('scope');
    const tail = scope >= 0 ? words.slice(scope + 2).filter((w) => !ADDR_FLAGS.test(w)) : [];
    const a: AddrLine = { dev: m[1], family: m[2] as AddrLine['family'], address: m[3], prefix: Number(m[4]), label: m[2] === 'inet' && tail.length ? tail[tail.length - 1] : m[1] };
    if (after('brd')) a.broadcast = after('brd');
    if (after('scope')) a.scope = after('scope');
    out.push(a);
  }
  return out;
}

/** The ip_route section: the default route's gateway and device. */
export function parseDefaultRoute(text: string): { gateway?: string; dev?: string } {
  const t = text.trim();
  if (!t) return {};
  if (t.startsWith('#text')) {
    const line = t.split('\n').find((l) => l.startsWith('default')) ?? '';
    return { gateway: /\bvia (\S+)/.exec(line)?.[1], dev: /\bdev (\S+)/.exec(line)?.[1] };
  }
  const routes = JSON.parse(t) as { gateway?: string; dev?: string }[];
  return routes[0] ? { gateway: routes[0].gateway, dev: routes[0].dev } : {};
}

/** A dotted IPv4 address as a number, and back. */
export const ipv4ToInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
export const intToIpv4 = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const maskInt = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)));

export function ipv4Details(a: AddrInfo): Record<string, string> {
  const mask = maskInt(a.prefixlen);
  const ip = ipv4ToInt(a.local);
  const network = Number((BigInt(ip) & BigInt(mask)));
  const broadcast = a.broadcast ?? (a.prefixlen >= 31 ? '' : intToIpv4(network + (0xffffffff - mask)));
  return { address: a.local, netmask: intToIpv4(mask), network: intToIpv4(network), broadcast, prefix: String(a.prefixlen) };
}

/** Ansible fact key of an interface: '-' and ':' become '_' (ansible_eth0_1 for eth0:1). */
export const ifaceKey = (name: string) => name.replace(/[-:.]/g, '_');

/** Interface facts in Ansible's shapes from parsed links and the default route. */
export function networkFacts(links: IpLink[], route: { gateway?: string; dev?: string }): Record<string, unknown> {
  const facts: Record<string, unknown> = {};
  const interfaces: string[] = [];
  const all4: string[] = [];
  const all6: string[] = [];
  for (const l of links) {
    interfaces.push(l.ifname);
    const v4 = l.addr_info.filter((a) => a.family === 'inet');
    const v6 = l.addr_info.filter((a) => a.family === 'inet6');
    const type = l.link_type === 'loopback' ? 'loopback' : l.link_type === 'ether' ? 'ether' : l.link_type ?? 'unknown';
    const entry: Record<string, unknown> = {
      device: l.ifname,
      active: l.flags.includes('UP'),
      mtu: l.mtu,
      type,
      promisc: l.flags.includes('PROMISC'),
      ipv6: v6.map((a) => ({ address: a.local, prefix: String(a.prefixlen), scope: a.scope ?? '' })),
    };
    if (l.address && type !== 'loopback') entry.macaddress = l.address;
    if (v4.length) {
      entry.ipv4 = ipv4Details(v4[0]);
      if (v4.length > 1) entry.ipv4_secondaries = v4.slice(1).map(ipv4Details);
    }
    facts[ifaceKey(l.ifname)] = entry;
    for (const a of v4) {
      if (!a.local.startsWith('127.')) all4.push(a.local);
      // an address labelled eth0:1 is also an alias interface in Ansible's facts
      if (a.label && a.label !== l.ifname && !facts[ifaceKey(a.label)]) {
        facts[ifaceKey(a.label)] = { device: a.label, active: entry.active, mtu: l.mtu, type, ipv4: ipv4Details(a), macaddress: entry.macaddress };
      }
    }
    for (const a of v6) if (a.local !== '::1') all6.push(a.local);
  }
  facts.interfaces = interfaces;
  facts.all_ipv4_addresses = all4;
  facts.all_ipv6_addresses = all6;
  const dev = links.find((l) => l.ifname === route.dev);
  const v4 = dev?.addr_info.find((a) => a.family === 'inet');
  facts.default_ipv4 =
    dev && v4
      ? {
          ...ipv4Details(v4),
          interface: dev.ifname,
          alias: v4.label ?? dev.ifname,
          gateway: route.gateway ?? '',
          macaddress: dev.address ?? '',
          mtu: dev.mtu,
          type: (facts[ifaceKey(dev.ifname)] as { type: string }).type,
        }
      : {};
  return facts;
}
