/**
 * fetch: copy a file from the host to the controller, by default to dest/<host>/<src path>
 * (flat: yes writes dest itself). One round trip: sha1 and base64 content together.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { sh } from '../shell/sh.js';
import { bool, str, lazySchema } from './lib/args.js';
import type { ModuleDef } from './types.js';

const schema = lazySchema(() => z
  .object({
    src: str(),
    dest: str(),
    flat: bool().default(false),
    fail_on_missing: bool().default(true),
    validate_checksum: bool().default(true),
  })
  .strict());

export type FetchArgs = z.infer<ReturnType<typeof schema>>;

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest('hex');

function localSum(path: string): string | undefined {
  try {
    return sha1(readFileSync(path));
  } catch {
    return undefined;
  }
}

export const fetch: ModuleDef<FetchArgs> = {
  name: 'fetch',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a) {
    const dest = a.flat
      ? a.dest.endsWith('/') ? a.dest + basename(a.src) : a.dest
      : join(a.dest, ctx.host, a.src.replace(/^\/+/, ''));
    const r = await ctx.run(
      sh`p=${a.src}; if [ -d "$p" ]; then echo dir; elif [ ! -e "$p" ]; then echo missing; elif [ ! -r "$p" ]; then echo unreadable; else echo ok; sha1sum < "$p" | cut -d' ' -f1; base64 < "$p" || exit 1; fi`,
    );
    if (r.code !== 0) return { changed: false, failed: true, msg: `cannot read ${a.src}: ${r.stderr.trim()}`, file: a.src };
    const [state, remoteSum, ...b64] = r.stdout.split('\n');
    if (state !== 'ok') {
      const msg =
        state === 'dir' ? 'remote file is a directory, fetch cannot work on directories'
        : state === 'missing' ? 'the remote file does not exist, not transferring, ignored'
        : 'file is not readable, not transferring, ignored';
      // Ansible fails on a missing file only when fail_on_missing; a directory always fails
      const failed = state === 'dir' || a.fail_on_missing;
      return { changed: false, failed, msg: failed && state === 'missing' ? 'the remote file does not exist' : msg, file: a.src };
    }
    const data = Buffer.from(b64.join(''), 'base64');
    if (a.validate_checksum && sha1(data) !== remoteSum) return { changed: false, failed: true, msg: 'checksum mismatch after transfer', file: a.src };
    const res = { dest, remote_checksum: remoteSum, checksum: remoteSum, file: a.src };
    if (localSum(dest) === remoteSum) return { changed: false, ...res };
    if (!ctx.check) {
      mkdirSync(join(dest, '..'), { recursive: true });
      writeFileSync(dest, data);
    }
    return { changed: true, ...res };
  },
};
