import type { Sh } from '../shell/sh.js';
import type { ExecResult } from '../transport/types.js';
import { networkFacts, parseDefaultRoute, parseIpAddr } from './network.js';
import { FACTS_SCRIPT, splitSections } from './script.js';
import * as p from './system.js';
import { parseLsb, parseMounts, parsePython, parseSelinux } from './extra.js';

export { FACTS_SCRIPT } from './script.js';

/**
 * Every fact from one command's output, without the ansible_ prefix. Pure: the tests feed it
 * recorded outputs. A section that fails to parse is left out rather than failing the host.
 */
export function parseFacts(out: string): Record<string, any> {
  const s = splitSections(out);
  const facts: Record<string, any> = {};
  const add = (f: () => Record<string, unknown>) => {
    try {
      Object.assign(facts, f());
    } catch {
      /* a host without that probe keeps the other facts */
    }
  };
  add(() => p.parseUname(s.uname ?? ''));
  add(() => ({ hostname: (s.hostname ?? '').trim().split('.')[0] || facts.nodename }));
  add(() => ({ fqdn: (s.fqdn ?? '').trim() || facts.hostname }));
  add(() => ({ domain: String(facts.fqdn).split('.').slice(1).join('.') }));
  add(() => p.parseDistribution(s.os_release ?? '', s.redhat_release ?? ''));
  add(() => networkFacts(parseIpAddr(s.ip_addr ?? ''), parseDefaultRoute(s.ip_route ?? '')));
  add(() => p.parseMeminfo(s.meminfo ?? ''));
  add(() => p.parseNproc(s.nproc ?? ''));
  add(() => p.parsePkgMgr(s.pkg_mgr ?? ''));
  add(() => p.parseServiceMgr(s.service_mgr ?? ''));
  add(() => p.parseUser(s.user ?? ''));
  add(() => p.parseDate(s.date ?? ''));
  add(() => ({ env: p.parseEnv(s.env ?? '') }));
  add(() => parseLsb(s.lsb ?? ''));
  add(() => parseMounts(s.mounts ?? ''));
  add(() => parseSelinux(s.selinux ?? ''));
  add(() => parsePython(s.python ?? ''));
  return facts;
}

/** Gather the facts of one host with a single remote command (one round trip). */
export async function gatherFacts(run: (cmd: Sh) => Promise<ExecResult>): Promise<Record<string, any>> {
  const r = await run(FACTS_SCRIPT);
  return parseFacts(r.stdout);
}
