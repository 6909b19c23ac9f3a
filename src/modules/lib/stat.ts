/**
 * One stat line per path, the same on GNU coreutils and busybox: raw mode in hex (type and
 * permission bits), uid, gid, size, mtime, then owner and group names (which may be UNKNOWN).
 */
import { raw, type ShellText } from '../../shell/sh.js';
import { fmtMode } from './mode.js';

export interface StatInfo {
  type: 'file' | 'directory' | 'link' | 'fifo' | 'socket' | 'chr' | 'blk' | 'unknown';
  /** Permission bits including setuid/setgid/sticky. */
  perm: number;
  mode: string;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  owner: string;
  group: string;
}

/** `stat` of the path in shell variable $varName, one line; -L follows links. */
export function statCmd(varName: string, follow: boolean): ShellText {
  return raw(`stat ${follow ? '-L ' : ''}-c '%f %u %g %s %Y %U %G' -- "$${varName}"`);
}

const TYPES: Record<number, StatInfo['type']> = {
  0o100000: 'file',
  0o040000: 'directory',
  0o120000: 'link',
  0o010000: 'fifo',
  0o140000: 'socket',
  0o020000: 'chr',
  0o060000: 'blk',
};

export function parseStat(line: string): StatInfo {
  const [hex, uid, gid, size, mtime, owner, ...group] = line.trim().split(' ');
  const raw = parseInt(hex, 16);
  if (isNaN(raw)) throw new Error(`unexpected stat output: ${line}`);
  const perm = raw & 0o7777;
  return {
    type: TYPES[raw & 0o170000] ?? 'unknown',
    perm,
    mode: fmtMode(perm),
    uid: Number(uid),
    gid: Number(gid),
    size: Number(size),
    mtime: Number(mtime),
    owner,
    group: group.join(' '),
  };
}

/** Whether owner/group as given (name or number) matches what stat reported. */
export function sameId(want: string | undefined, name: string, id: number): boolean {
  if (want === undefined) return true;
  return /^\d+$/.test(want) ? Number(want) === id : want === name;
}
