import { Command, Option } from 'commander';
import { loadConfig } from '../config/cfg.js';
import { OptionsError } from '../errors.js';
import { mask } from '../report/mask.js';
import type { VaultOptions } from '../vault/sources.js';
import { writeFileSync } from 'node:fs';
import { collect, fail, outputFile, positiveInt, setupVault, vaultOptions } from './common.js';
import { FAULTS } from '../verify/faults.js';
import { prepareVerify } from '../verify/index.js';
import { renderJson, renderPlain } from '../verify/report.js';

interface VerifyOpts extends VaultOptions {
  inventory: string[];
  fault: string;
  requests: number;
  output: 'plain' | 'json';
  timeout: number;
  client?: string;
  junit?: string;
  report?: string;
  during?: boolean;
}

/**
 * harun verify. Exit codes: 0 every check passed; 1 a check failed; 2 nothing failed but a
 * check could not run (the reason is in the report); 3 a host unreachable before the report;
 * 4 bad inventory (no directors, no lvs_vip); 5 bad options.
 */
export function registerVerify(program: Command): void {
  vaultOptions(program.command('verify'))
    .description('prove the LVS-DR cluster works: VIP and IPVS state, traffic through the VIP, failover of the MASTER, recovery')
    .option('-i, --inventory <source>', 'inventory file, directory or host list (repeatable; default from the project config)', collect, [])
    .addOption(new Option('--fault <kind>', 'fault injected on the MASTER: kill (SIGKILL keepalived), stop (service stop), isolate (drop its VRRP adverts), crash (hard-stop a lab host)').choices([...FAULTS]).default('kill'))
    .option('--requests <n>', 'requests sent through the VIP per traffic check (each a new connection)', positiveInt('--requests'), 20)
    .addOption(new Option('--output <kind>', 'report format on stdout (json: the stable schema of docs/verify-json.md)').choices(['plain', 'json']).default('plain'))
    .option('--junit <file>', 'also write the checks as JUnit XML for CI (a test case per check; the figures as properties)', outputFile('--junit'))
    .option('--report <file.html>', 'also write the failover as one self-contained HTML page (timeline, figures, checks)', outputFile('--report'))
    .option('--client <host>', 'the inventory host the requests, the probe and the long-lived connections go from (default: the first of group clients); a host with ansible_connection=local makes it this machine')
    .option('--timeout <seconds>', 'how long to wait for the VIP to move, service to come back and the VIP to return (with --during: for a steady service before the command)', positiveInt('--timeout'), 30)
    .option('--during', 'instead of the checks: probe the VIP from the client every 100 ms for the whole run of the command after --, and report failed requests, the longest gap and which real servers answered before, during and after it (exit 2 when a request failed)')
    .argument('[command...]', 'with --during: the command to watch, after -- (e.g. -- harun play rollout.yml)')
    .action(async (command: string[], o: VerifyOpts) => {
      try {
        await setupVault(o, loadConfig());
        // the report and its log lines are masked like a play's output: no vaulted value shows
        const log = o.output === 'plain' ? (m: string) => process.stderr.write(mask(`verify: ${m}\n`)) : () => {};
        if (o.during || command.length) {
          if (!o.during) throw new OptionsError(`verify: unexpected argument "${command[0]}" (to watch a command, give --during -- COMMAND)`);
          if (o.junit || o.report) throw new OptionsError('--during writes no --junit or --report: its report is the plain text or --output json');
          const { prepareDuring, renderDuringPlain, duringExitCode } = await import('../verify/during.js');
          const run = prepareDuring({ inventory: o.inventory, client: o.client, timeoutS: o.timeout, command, commandStdout: o.output === 'json' ? 'stderr' : 'inherit', log });
          const r = await run();
          process.stdout.write(mask(o.output === 'json' ? JSON.stringify({ ...r, exitCode: duringExitCode(r) }, null, 2) + '\n' : renderDuringPlain(r)));
          process.exitCode = duringExitCode(r);
          return;
        }
        const p = prepareVerify({ inventory: o.inventory, fault: o.fault, requests: o.requests, timeoutS: o.timeout, client: o.client, log });
        const { report, exitCode } = await p.run();
        process.stdout.write(mask(o.output === 'json' ? renderJson(report) : renderPlain(report)));
        if (o.junit) writeFileSync(o.junit, mask((await import('../verify/junit.js')).verifyJUnit(report)));
        if (o.report) writeFileSync(o.report, mask((await import('../verify/html.js')).verifyHtml(report)));
        process.exitCode = exitCode;
        // a crashed lab host can leave its SSH socket half-open; the report is out, do not wait on it
        setTimeout(() => process.exit(exitCode), 2000).unref();
      } catch (e) {
        process.exitCode = fail(e);
      }
    });
}
