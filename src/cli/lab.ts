import { Command, Option } from 'commander';
import { HarunError } from '../errors.js';
import { DEFAULT_REALSERVERS, MAX_REALSERVERS, realserverCount } from '../lab/common.js';
import { getProvider, labDown, labKill, labStart, labStatus, labUp, type ProviderName } from '../lab/index.js';

const DEFAULT_DIR = '.harun-lab';

/** Errors become a message and an exit code; the commands never throw into commander. */
async function guard(f: () => Promise<void>): Promise<void> {
  try {
    await f();
  } catch (e) {
    if (e instanceof HarunError) {
      process.stderr.write(`harun lab: ${e.describe()}\n`);
      process.exitCode = e.exitCode;
    } else throw e;
  }
}

export function registerLab(program: Command): void {
  const lab = program.command('lab').description('a throwaway copy of the LVS-DR topology (client, lb1, lb2, web1, web2) on this machine');
  const dirOpt = () => new Option('--dir <dir>', 'where the lab keeps its record, keys and inventory').default(DEFAULT_DIR);

  lab.command('up')
    .description('start the lab hosts (the seed\'s five; --realservers for more web servers) and write DIR/inventory.yml')
    .addOption(new Option('--provider <name>', 'docker, uml (own kernel with IPVS) or auto').choices(['docker', 'uml', 'auto']).default('auto'))
    .addOption(dirOpt())
    .addOption(new Option('--realservers <n>', `how many real servers (web1 ... webN, 1 to ${MAX_REALSERVERS})`).default(String(DEFAULT_REALSERVERS)))
    .action((opts: { provider: ProviderName; dir: string; realservers: string }) =>
      guard(async () => {
        const log = (m: string) => process.stderr.write(m + '\n');
        const realservers = realserverCount(opts.realservers);
        const provider = await getProvider(opts.provider, log);
        if (!(await provider.hasIpvs()))
          log('note: this kernel has no IPVS (ip_vs): VRRP failover can be proven in this lab, the IPVS data path cannot; --provider uml proves it');
        const t0 = Date.now();
        const state = await labUp(opts.dir, provider, log, realservers);
        process.stdout.write(`lab up (${state.provider}) in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
        for (const h of state.hosts) process.stdout.write(`  ${h.name.padEnd(7)} ${h.address.padEnd(12)} ssh ${h.sshHost}:${h.sshPort}\n`);
        process.stdout.write(`  VIP     ${state.vip}\ninventory: ${state.dir}/inventory.yml\n`);
      }),
    );

  lab.command('status')
    .description('hosts, addresses and whether they run')
    .addOption(dirOpt())
    .action((opts: { dir: string }) =>
      guard(async () => {
        const st = await labStatus(opts.dir);
        if (!st) {
          process.stdout.write(`no lab in ${opts.dir}\n`);
          process.exitCode = 1;
          return;
        }
        process.stdout.write(`${st.provider} lab in ${st.dir} (subnet ${st.subnet}, VIP ${st.vip})\n`);
        for (const h of st.hosts) process.stdout.write(`  ${h.name.padEnd(7)} ${h.address.padEnd(12)} ssh ${h.sshHost}:${h.sshPort}  ${h.state}\n`);
      }),
    );

  lab.command('down')
    .description('remove everything the lab made (safe to run twice)')
    .addOption(dirOpt())
    .action((opts: { dir: string }) =>
      guard(async () => {
        const had = await labDown(opts.dir);
        process.stdout.write(had ? `lab in ${opts.dir} is down\n` : `no lab in ${opts.dir}: nothing to do\n`);
      }),
    );

  lab.command('kill')
    .description('hard-stop one host (a crash of the whole machine)')
    .argument('<host>', 'client, lb1, lb2, web1 or web2')
    .addOption(dirOpt())
    .action((host: string, opts: { dir: string }) =>
      guard(async () => {
        await labKill(opts.dir, host);
        process.stdout.write(`${host} killed\n`);
      }),
    );

  lab.command('start')
    .description('boot a host stopped by lab kill again, on the disk it had, and wait for its sshd')
    .argument('<host>', 'client, lb1, lb2, web1 or web2')
    .addOption(dirOpt())
    .action((host: string, opts: { dir: string }) =>
      guard(async () => {
        const t0 = Date.now();
        await labStart(opts.dir, host);
        process.stdout.write(`${host} is up (sshd answered after ${((Date.now() - t0) / 1000).toFixed(1)} s)\n`);
      }),
    );
}
