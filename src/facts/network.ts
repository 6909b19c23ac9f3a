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
  // "2: eth0    inet 10.0.0.5/24 brd 10.0.0.255 scope global eth0:1\       valid_lft ..."
  for (const line of addrPart.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+(inet6?)\s+([^/\s]+)\/(\d+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[5].split('\\')[0];
    const link = links.get(m[1]) ?? { ifname: m[1], flags: [], mtu: 0, addr_info: [] };
    links.set(m[1], link);
    const words = rest.trim().split(/\s+/);
    link.addr_info.push({
      family: m[2],
      local: m[3],
      prefixlen: Number(m[4]),
      broadcast: /\bbrd (\S+)/.exec(rest)?.[1],
      scope: /\bscope (\S+)/.exec(rest)?.[1],
      label: m[2] === 'inet' ? words[words.length - 1] : undefined,
    });
  }
  return [...links.values()];
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

const toInt = (ip: string) => ip.split('.').reduce((a, o) => a * 256 + Number(o), 0);
const toIp = (n: number) => [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
const maskInt = (prefix: number) => (prefix === 0 ? 0 : (0xffffffff - (2 ** (32 - prefix) - 1)));

export function ipv4Details(a: AddrInfo): Record<string, string> {
  const mask = maskInt(a.prefixlen);
  const ip = toInt(a.local);
  const network = Number((BigInt(ip) & BigInt(mask)));
  const broadcast = a.broadcast ?? (a.prefixlen >= 31 ? '' : toIp(network + (0xffffffff - mask)));
  return { address: a.local, netmask: toIp(mask), network: toIp(network), broadcast, prefix: String(a.prefixlen) };
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
