/**
 * harun verify: proves an LVS-DR + keepalived cluster works, in four steps (state, traffic,
 * failover, recovery), and reports pass / fail / not run per check with the figures.
 * Everything about the inventory is checked before the first connection.
 */
import { checkState, checkTraffic, add, type Ctx } from './checks.js';
import { clusterSpec, Hosts, hostValue, loadVerifyInventory } from './cluster.js';
import { checkFailover } from './failover.js';
import { checkFault, type Fault } from './faults.js';
import { exitCodeOf, type Report } from './report.js';

export interface VerifyOptions {
  inventory: string[];
  fault: string;
  requests: number;
  /** Seconds to wait for the VIP to move, service to come back, the VIP to return. */
  timeoutS: number;
  /** --client: the inventory host to send the client's requests from. */
  client?: string;
  log: (msg: string) => void;
}

export interface Prepared {
  sources: string[];
  run: () => Promise<{ report: Report; exitCode: number }>;
}

const DEFAULT_CONF = '/etc/keepalived/keepalived.conf';

/** Loads and checks the inventory and options; throws before anything connects. */
export function prepareVerify(o: VerifyOptions): Prepared {
  const { sources, inv, cli } = loadVerifyInventory(o.inventory);
  const spec = clusterSpec(inv, o.client);
  const fault: Fault = checkFault(o.fault, spec);
  const conf = hostValue(inv, spec.directors[0].name, 'keepalived_conf');
  const confPath = typeof conf === 'string' && conf.startsWith('/') ? conf : DEFAULT_CONF;
  const run = async () => {
    const t0 = Date.now();
    const hosts = new Hosts(cli);
    const ctx: Ctx = {
      spec,
      directors: spec.directors.map((h) => hosts.runner(h)),
      realservers: spec.realservers.map((h) => hosts.runner(h)),
      client: spec.client ? hosts.runner(spec.client) : undefined,
      requests: o.requests,
      timeoutMs: o.timeoutS * 1000,
      checks: [],
      figures: {},
      startedAt: t0,
      log: o.log,
    };
    const report: Report = { inventory: sources, vip: spec.vip, port: spec.port, fault, checks: ctx.checks, figures: ctx.figures, startedAt: new Date(t0).toISOString(), elapsedMs: 0 };
    try {
      o.log(`step 1: cluster state (${spec.directors.length} directors, ${spec.realservers.length} real servers)`);
      const state = await checkState(ctx, confPath);
      o.log('step 2: traffic through the VIP');
      const algo = state.holder?.conf.lbAlgo ?? (typeof hostValue(inv, spec.directors[0].name, 'lvs_algo') === 'string' ? String(hostValue(inv, spec.directors[0].name, 'lvs_algo')) : 'rr');
      const round = await checkTraffic(ctx, 2, state, state.holder?.runner.name ?? '?', algo, state.holder?.runner);
      ctx.figures.distributionBefore = round.answers;
      ctx.figures.scheduledBefore = round.scheduled;
      o.log(`step 3: failover (fault ${fault})`);
      try {
        const who = await checkFailover(ctx, state, fault, confPath);
        report.master = who.master;
        report.backup = who.backup;
      } catch (e) {
        // a host lost mid-way (or a command that cannot run) ends the steps, not the report
        add(ctx, 3, 'failover and recovery ran to the end', 'fail', (e as Error).message);
      }
    } finally {
      report.elapsedMs = Date.now() - t0;
      await hosts.close();
    }
    report.timeline = ctx.timeline;
    return { report, exitCode: exitCodeOf(report.checks) };
  };
  return { sources, run };
}
