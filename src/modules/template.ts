/** template: render a Jinja2 file on the controller, then converge it like copy content. */
import { hostname } from 'node:os';
import { basename } from 'node:path';
import { z } from 'zod';
import { HarunError } from '../errors.js';
import { bool, lazySchema, modeArg, str } from './lib/args.js';
import { convergeFile } from './lib/file.js';
import { registerSecret } from '../report/mask.js';
import { readControllerFile } from '../vault/files.js';
import { ansibleManaged } from '../vars/managed.js';
import type { ModuleDef } from './types.js';
import { extraAttrArgs, withExtraAttrs } from './lib/extra-attrs.js';

const schema = lazySchema(() => z
  .object({
    src: str(),
    dest: str(),
    mode: modeArg().optional(),
    owner: str().optional(),
    group: str().optional(),
    backup: bool().default(false),
    validate: str().optional(),
    force: bool().default(true),
    follow: bool().default(false),
    newline_sequence: z.enum(['\n', '\r', '\r\n'], { error: "expected one of '\\n', '\\r', '\\r\\n'" }).default('\n'),
    trim_blocks: bool().default(true),
    lstrip_blocks: bool().default(false),
    output_encoding: z.literal('utf-8', { error: 'harun writes templates as utf-8 only' }).optional(),
    unsafe_writes: bool().default(false),
    ...extraAttrArgs(),
  })
  .strict());

export type TemplateArgs = z.infer<ReturnType<typeof schema>>;

const templateNative: ModuleDef<TemplateArgs> = {
  name: 'template',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    const path = ctx.findLocal('templates', a.src);
    let text: string;
    let vaulted: boolean;
    try {
      const f = readControllerFile(path);
      text = f.data.toString('utf8');
      vaulted = f.vaulted;
    } catch (e) {
      if (e instanceof HarunError) throw e;
      return { changed: false, failed: true, msg: `Could not find or access '${a.src}'` };
    }
    let rendered: string;
    try {
      rendered = ctx.render(text, {
        template_path: path,
        template_fullpath: path,
        template_destpath: a.dest,
        template_host: hostname(),
        template_uid: process.env.USER ?? String(process.getuid?.() ?? ''),
        template_run_date: new Date().toISOString(),
        ansible_managed: ansibleManaged(path, hostname(), process.env.USER ?? String(process.getuid?.() ?? '')),
      });
    } catch (e) {
      return { changed: false, failed: true, msg: `AnsibleError: template error while templating ${a.src}: ${(e as Error).message}` };
    }
    // a vaulted template's output is as secret as its source
    if (vaulted) registerSecret(rendered);
    if (a.newline_sequence !== '\n') rendered = rendered.replace(/\r?\n/g, a.newline_sequence);
    const r = await convergeFile(ctx, {
      dest: a.dest.endsWith('/') ? a.dest + basename(a.src) : a.dest,
      content: rendered,
      mode: a.mode,
      owner: a.owner,
      group: a.group,
      backup: a.backup,
      validate: a.validate,
      force: a.force,
      intoDir: a.dest.endsWith('/') ? undefined : basename(a.src),
    });
    return { ...r, src: path };
  },
};

/** template, with SELinux context and chattr attributes applied by Ansible's file module when given. */
export const template = withExtraAttrs(templateNative, (a, r) => String(r.dest ?? a.dest));
