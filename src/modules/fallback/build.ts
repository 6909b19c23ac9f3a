/**
 * Build a module's payload with Ansible's own builder (module_common.modify_module: the module,
 * the module_utils it imports, zipped into AnsiballZ's self-extracting wrapper), under the python
 * that runs ansible-playbook. Every module the run resolved is built in one python process, once
 * per run, not per host. The task's arguments are embedded per host where AnsiballZ embeds them
 * (its ANSIBALLZ_PARAMS literal), so a task costs one exec: `python3 -` reading the payload.
 */
import { execFile } from 'node:child_process';
import { HarunError } from '../../errors.js';
import { ansibleInstall } from './paths.js';

export const PARAMS_MARK = '@@HARUN_ANSIBALLZ_PARAMS@@';

const BUILDER = String.raw`
import json, sys
req = json.load(sys.stdin)
from ansible import constants as C
from ansible import __version__
from ansible.utils.collection_loader._collection_finder import _AnsibleCollectionFinder
_AnsibleCollectionFinder(paths=req['paths'], scan_sys_paths=True)._install()
from ansible.executor.module_common import modify_module
from ansible.module_utils.common.json import AnsibleJSONEncoder
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar
args = {'__harun__': 'marker'}
lit = repr(json.dumps(dict(ANSIBLE_MODULE_ARGS=args), cls=AnsibleJSONEncoder, vault_to_text=True))
out = {'version': __version__, 'syslog_facility': C.DEFAULT_SYSLOG_FACILITY,
       'selinux_special_fs': C.DEFAULT_SELINUX_SPECIAL_FS, 'string_conversion_action': C.STRING_CONVERSION_ACTION, 'modules': {}}
templar = Templar(loader=DataLoader())
for m in req['modules']:
    try:
        data, style, _ = modify_module(m['fqcn'].split('.')[-1], m['path'], args, templar,
            task_vars={'ansible_python_interpreter': '/usr/bin/python3'}, module_compression=C.DEFAULT_MODULE_COMPRESSION)
        text = data.decode('utf-8')
        if style != 'new' or text.count(lit) != 1:
            raise Exception('not a python module Ansible runs through AnsiballZ (style %s)' % style)
        out['modules'][m['fqcn']] = {'payload': text.replace(lit, '${PARAMS_MARK}')}
    except Exception as e:
        out['modules'][m['fqcn']] = {'error': '%s: %s' % (type(e).__name__, e)}
print(json.dumps(out))
`;

export interface Built {
  payload: string;
  /** What Ansible passes in every module's arguments (_ansible_version, ...). */
  consts: { version: string; syslog_facility: string; selinux_special_fs: string[]; string_conversion_action: string };
}

interface Wanted {
  fqcn: string;
  path: string;
}

const wanted = new Map<string, Wanted>();
const builds = new Map<string, Promise<Built>>();

/** Note a module the run may use: the next build makes it with the others in one process. */
export function wantPayload(fqcn: string, path: string): void {
  if (!builds.has(fqcn)) wanted.set(fqcn, { fqcn, path });
}

function runBuilder(mods: Wanted[]): Promise<any> {
  const install = ansibleInstall();
  return new Promise((res, rej) => {
    const child = execFile(install.python, ['-c', BUILDER], { maxBuffer: 512 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) return rej(new HarunError('module', `Ansible's payload builder failed (${install.python}): ${stderr.trim().split('\n').slice(-3).join(' | ') || err.message}`));
      try {
        res(JSON.parse(stdout));
      } catch {
        rej(new HarunError('module', `Ansible's payload builder printed no JSON: ${stdout.slice(0, 200)}`));
      }
    });
    child.stdin!.end(JSON.stringify({ paths: install.roots, modules: mods }));
  });
}

/** The payload of a module, built with every other pending one on first use. */
export function payloadOf(fqcn: string, path: string): Promise<Built> {
  wantPayload(fqcn, path);
  const have = builds.get(fqcn);
  if (have) return have;
  const batch = [...wanted.values()];
  wanted.clear();
  const all = runBuilder(batch);
  for (const m of batch) {
    const one = all.then((out) => {
      const r = out.modules[m.fqcn];
      if (!r || r.error) throw new HarunError('module', `cannot build Ansible module ${m.fqcn} (${m.path}): ${r?.error ?? 'no result'}`);
      const { modules: _, ...consts } = out;
      return { payload: r.payload as string, consts };
    });
    // a module of the batch that no task reaches must not crash the run with its rejection
    one.catch(() => {});
    builds.set(m.fqcn, one);
  }
  return builds.get(fqcn)!;
}
