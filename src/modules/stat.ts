/** stat: facts about a path in result.stat, as Ansible reports them. Read-only, one round trip. */
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { bool, str, withAliases, lazySchema } from './lib/args.js';
import { fmtMode } from './lib/mode.js';
import type { ModuleDef } from './types.js';

const ALGOS = ['md5', 'sha1', 'sha224', 'sha256', 'sha384', 'sha512'] as const;

const schema = lazySchema(() => withAliases(
  { dest: 'path', name: 'path', checksum: 'checksum_algorithm', checksum_algo: 'checksum_algorithm', mime: 'get_mime', mime_type: 'get_mime', 'mime-type': 'get_mime', attr: 'get_attributes', attributes: 'get_attributes' },
  z
    .object({
      path: str(),
      follow: bool().default(false),
      get_checksum: bool().default(true),
      checksum_algorithm: z.enum(ALGOS, { error: `expected one of ${ALGOS.join(', ')}` }).default('sha1'),
      get_mime: bool().default(true),
      get_attributes: bool().default(true),
      get_md5: bool().default(false),
    })
    .strict(),
));

export type StatArgs = z.infer<ReturnType<typeof schema>>;

const FMT = '%f %u %g %s %X %Y %Z %i %d %h %b %B %U %G';

export const stat: ModuleDef<StatArgs> = {
  name: 'stat',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    const L = a.follow ? '-L ' : '';
    const sum = a.get_checksum ? `${a.checksum_algorithm}sum < "$p" | cut -d' ' -f1` : 'echo';
    // beyond the quoted path, fixed text: checksum_algorithm is one of the schema's choices
    const cmd = sh`p=${a.path}; ${raw(
        `if [ -e "$p" ] || [ -L "$p" ]; then stat ${L}-c '${FMT}' -- "$p" || exit 1; ` +
          `if [ -L "$p" ]; then readlink -- "$p"; readlink -f -- "$p" || echo; else echo; echo; fi; ` +
          `f=; [ -r "$p" ] && f=r; [ -w "$p" ] && f="\${f}w"; [ -x "$p" ] && f="\${f}x"; echo "$f"; ` +
          `if [ -f "$p" ] && [ -r "$p" ]; then ${sum}; else echo; fi; else echo absent; fi`,
    )}`;
    const r = await ctx.run(cmd);
    if (r.code !== 0) return { changed: false, failed: true, msg: `cannot stat ${a.path}: ${r.stderr.trim()}` };
    const lines = r.stdout.replace(/\n$/, '').split('\n');
    if (lines[0] === 'absent') return { changed: false, stat: { exists: false } };
    const [hex, uid, gid, size, atime, mtime, ctime, inode, dev, nlink, blocks, bsize, pw, ...gr] = lines[0].split(' ');
    const rawMode = parseInt(hex, 16);
    const type = rawMode & 0o170000;
    const perm = rawMode & 0o7777;
    const bit = (b: number) => (perm & b) !== 0;
    const st: Record<string, unknown> = {
      exists: true,
      path: a.path,
      mode: fmtMode(perm),
      isdir: type === 0o040000,
      isreg: type === 0o100000,
      islnk: type === 0o120000,
      ischr: type === 0o020000,
      isblk: type === 0o060000,
      isfifo: type === 0o010000,
      issock: type === 0o140000,
      uid: Number(uid),
      gid: Number(gid),
      size: Number(size),
      inode: Number(inode),
      dev: Number(dev),
      nlink: Number(nlink),
      atime: Number(atime),
      mtime: Number(mtime),
      ctime: Number(ctime),
      blocks: Number(blocks),
      block_size: Number(bsize),
      pw_name: pw,
      gr_name: gr.join(' '),
      rusr: bit(0o400), wusr: bit(0o200), xusr: bit(0o100),
      rgrp: bit(0o040), wgrp: bit(0o020), xgrp: bit(0o010),
      roth: bit(0o004), woth: bit(0o002), xoth: bit(0o001),
      isuid: bit(0o4000), isgid: bit(0o2000),
      readable: lines[3].includes('r'),
      writeable: lines[3].includes('w'),
      executable: lines[3].includes('x'),
    };
    if (lines[1]) {
      st.lnk_target = lines[1];
      st.lnk_source = lines[2];
    }
    if (a.get_checksum && lines[4]) st.checksum = lines[4];
    return { changed: false, stat: st };
  },
};
