/**
 * apt_key: an OpenPGP key in apt's keyrings, as Ansible 2.14's module decides it, without
 * apt-key or gpg on the host (Debian 12 ships apt-key but no gpg, without which apt-key can
 * neither list nor add). The keyrings are read in one exec and parsed here: the key ids that
 * `apt-key adv --list-public-keys` would print (expired keys and unusable subkeys left out), the
 * id gpg finds first in the key given. A change is written as apt-key writes it: new keys go to
 * the `keyring` file or to /etc/apt/trusted.gpg (binary, or armored for .asc), a removed key
 * leaves every keyring that held it, and a keyring left empty is renamed to `<file>~`.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { joinSh, sh } from '../shell/sh.js';
import { bool, lazySchema, str } from './lib/args.js';
import { convergeFile, type RemoteFile } from './lib/file.js';
import { parseStat, statCmd, type StatInfo } from './lib/stat.js';
import { httpFetchSh } from './uri.js';
import type { ModuleContext, ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() =>
  z
    .object({
      id: str().optional(),
      url: str().optional(),
      data: str().optional(),
      file: str().optional(),
      keyring: str().optional(),
      validate_certs: bool().default(true),
      keyserver: str().optional(),
      state: z.enum(['absent', 'present'], { error: 'expected one of absent, present' }).default('present'),
    })
    .strict()
    .refine((a) => ['data', 'file', 'keyserver', 'url'].filter((k) => a[k as keyof typeof a] !== undefined).length <= 1, {
      message: 'parameters are mutually exclusive: data|file|keyserver|url',
    }),
);
type Args = z.infer<ReturnType<typeof schema>>;

// ---- OpenPGP, as far as key ids, expiry and keyring blocks go (RFC 4880 / 9580) ----

interface Key { keyid: string; unusable: boolean }
/** A transferable public key: the primary key, its subkeys, and its bytes in the keyring. */
export interface KeyBlock { fp: string; primary: Key; subkeys: Key[]; bytes: Buffer }

const hex = (b: Buffer) => b.toString('hex').toUpperCase();

/** The packets of a binary keyring: tag and body, and where each starts. */
function packets(buf: Buffer): { tag: number; body: Buffer; start: number }[] {
  const out = [];
  let i = 0;
  const need = (n: number) => {
    if (i + n > buf.length) throw new Error('truncated OpenPGP data');
  };
  while (i < buf.length) {
    const start = i;
    const b = buf[i++];
    if (!(b & 0x80)) throw new Error('no valid OpenPGP data found');
    // a length of n bytes, big-endian, at i
    const int = (n: number) => {
      need(n);
      i += n;
      return buf.readUIntBE(i - n, n);
    };
    let tag: number;
    let len: number;
    if (b & 0x40) {
      tag = b & 0x3f;
      const o = int(1);
      if (o < 192) len = o;
      else if (o < 224) len = ((o - 192) << 8) + int(1) + 192;
      else if (o === 255) len = int(4);
      else throw new Error('partial-length packet in a key');
    } else {
      tag = (b >> 2) & 0xf;
      const lt = b & 3;
      len = lt === 3 ? buf.length - i : int([1, 2, 4][lt]);
    }
    need(len);
    out.push({ tag, body: buf.subarray(i, i + len), start });
    i += len;
  }
  return out;
}

/** A key packet's fingerprint, key id, creation time and (v3) validity in days. */
function keyPacket(body: Buffer) {
  const v = body[0];
  const created = body.readUInt32BE(1);
  if (v === 4) {
    const fp = hex(createHash('sha1').update(Buffer.from([0x99, body.length >> 8, body.length & 255])).update(body).digest());
    return { fp, keyid: fp.slice(-16), created, days: 0 };
  }
  if (v === 5 || v === 6) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(body.length);
    const fp = hex(createHash('sha256').update(Buffer.from([v === 6 ? 0x9b : 0x9a])).update(len).update(body).digest());
    return { fp, keyid: fp.slice(0, 16), created, days: 0 };
  }
  if (v === 2 || v === 3) {
    // the key id is the low 64 bits of the RSA modulus
    const n = body.subarray(10, 10 + Math.ceil(body.readUInt16BE(8) / 8));
    return { fp: hex(n.subarray(-8)), keyid: hex(n.subarray(-8)), created, days: body.readUInt16BE(5) };
  }
  throw new Error(`unsupported key packet version ${v}`);
}

/** A signature's type, issuer and hashed creation and key-expiry times. */
function signature(body: Buffer) {
  const v = body[0];
  if (v === 3) return { type: body[2], created: body.readUInt32BE(3), issuer: hex(body.subarray(7, 15)), expiry: 0 };
  if (v !== 4 && v !== 5 && v !== 6) return undefined;
  const s = { type: body[1], created: 0, issuer: '', expiry: 0 };
  const wide = v === 6 ? 4 : 2;
  let p = 4;
  for (const hashed of [true, false]) {
    const areaLen = wide === 4 ? body.readUInt32BE(p) : body.readUInt16BE(p);
    const end = p + wide + areaLen;
    for (p += wide; p < end; ) {
      const o = body[p];
      const [len, hdr] = o < 192 ? [o, 1] : o < 255 ? [((o - 192) << 8) + body[p + 1] + 192, 2] : [body.readUInt32BE(p + 1), 5];
      const t = body[p + hdr] & 0x7f;
      const d = body.subarray(p + hdr + 1, p + hdr + len);
      if (hashed && t === 2) s.created = d.readUInt32BE(0);
      if (hashed && t === 9) s.expiry = d.readUInt32BE(0);
      if (t === 16) s.issuer = hex(d);
      if (t === 33) s.issuer = hex(d.subarray(1));
      p += hdr + len;
    }
  }
  return s;
}

/** Binary packets from a keyring file or key: armored blocks are decoded (apt-key's dearmor). */
export function dearmor(buf: Buffer): Buffer {
  const text = buf.toString('latin1');
  if (!text.includes('-----BEGIN PGP')) return buf;
  const parts: Buffer[] = [];
  for (const m of text.matchAll(/-----BEGIN PGP [^-]*-----\r?\n([\s\S]*?)-----END PGP [^-]*-----/g)) {
    const lines = m[1].split(/\r?\n/);
    const blank = lines.findIndex((l) => l.trim() === '');
    const body = (blank >= 0 ? lines.slice(blank + 1) : lines.filter((l) => !l.includes(': '))).filter((l) => !l.startsWith('='));
    parts.push(Buffer.from(body.join(''), 'base64'));
  }
  return Buffer.concat(parts);
}

/** The keys of a keyring or key file, each with what gpg's listing shows of it. */
export function parseKeyring(buf: Buffer, now = Date.now() / 1000): KeyBlock[] {
  const data = dearmor(buf);
  const blocks: KeyBlock[] = [];
  let info: ReturnType<typeof keyPacket> | undefined;
  let sub: (ReturnType<typeof keyPacket> & { revoked: boolean; sig?: { created: number; expiry: number } }) | undefined;
  let psig: { created: number; expiry: number } | undefined;
  let start = 0;
  let subs: NonNullable<typeof sub>[] = [];
  const expired = (k: { created: number; days: number }, sig?: { expiry: number }) =>
    (k.days > 0 && k.created + k.days * 86400 <= now) || (!!sig?.expiry && k.created + sig.expiry <= now);
  const close = (end: number) => {
    if (!info) return;
    blocks.push({
      fp: info.fp,
      primary: { keyid: info.keyid, unusable: expired(info, psig) },
      // gpg lists no expired or revoked subkey (show-unusable-subkeys is off)
      subkeys: subs.map((s) => ({ keyid: s.keyid, unusable: s.revoked || expired(s, s.sig) })),
      bytes: data.subarray(start, end),
    });
  };
  const pk = packets(data);
  for (const p of pk) {
    if (p.tag === 6) {
      close(p.start);
      info = keyPacket(p.body);
      start = p.start;
      sub = psig = undefined;
      subs = [];
    } else if (p.tag === 14 && info) {
      subs.push((sub = { ...keyPacket(p.body), revoked: false }));
    } else if (p.tag === 2 && info) {
      const s = signature(p.body);
      // only the primary key's own signatures count; the latest one decides
      if (!s || (s.issuer && !info.fp.endsWith(s.issuer))) continue;
      if (!sub && ((s.type >= 0x10 && s.type <= 0x13) || s.type === 0x1f) && (!psig || s.created >= psig.created)) psig = s;
      if (sub && s.type === 0x18 && (!sub.sig || s.created >= sub.sig.created)) sub.sig = s;
      if (sub && s.type === 0x28) sub.revoked = true;
    }
  }
  close(data.length);
  return blocks;
}

/** The key ids apt-key's listing gives Ansible's parse_output_for_keys, in keyring order. */
export const listedIds = (blocks: KeyBlock[]) =>
  blocks.flatMap((b) => [b.primary, ...b.subkeys]).filter((k) => !k.unusable).map((k) => k.keyid);

/** ASCII armor, as gpg --armor --export writes it (with its CRC-24). */
export function armor(data: Buffer): string {
  let crc = 0xb704ce;
  for (const byte of data) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  const c = Buffer.from([(crc >> 16) & 255, (crc >> 8) & 255, crc & 255]).toString('base64');
  const b64 = data.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n${b64.join('\n')}\n=${c}\n-----END PGP PUBLIC KEY BLOCK-----\n`;
}

// ---- the module ----

/** Ansible's parse_key_id: hex, 8, 16 or more digits; the short id, the long id (fp) and the id. */
export function parseKeyId(id: string | undefined) {
  if (id === undefined || !/^(0x)?[0-9a-f]+$/i.test(id)) return undefined;
  const k = id.toUpperCase().replace(/^0X/, '');
  if (k.length < 16 && k.length !== 8) return undefined;
  return { short_id: k.slice(-8), fp: k.length > 16 ? k.slice(-16) : k, key_id: k };
}

interface Rec { tag: string; path: string; stat?: StatInfo; data: Buffer }

/**
 * One exec: the keyring new keys go to (T: `keyring`, else apt's Dir::Etc::Trusted), the
 * trusted.gpg.d files apt-key lists when no keyring is given (L), the key file (F) and a key
 * downloaded from url (U). Each: a `tag path` line, then `absent` or a stat line and the bytes.
 */
async function probe(ctx: ModuleContext, a: Args, download: boolean): Promise<Rec[]> {
  const req = { url: a.url ?? '', timeout: 10, validateCerts: a.validate_certs, followRedirects: true };
  const r = await ctx.run(joinSh([
    sh`rec() { printf '%s %s\\n' "$1" "$2"; if [ -f "$2" ]; then s=$(${statCmd('2', true)}) || exit 3; printf '%s\\n' "$s"; cat -- "$2" || exit 3; else echo absent; fi; }; `,
    sh`TF=/etc/apt/trusted.gpg; TP=/etc/apt/trusted.gpg.d/; if command -v apt-config >/dev/null 2>&1; then `,
    sh`eval "$(apt-config shell TF Apt::GPGV::TrustedKeyring)"; eval "$(apt-config shell TF Dir::Etc::Trusted/f TP Dir::Etc::TrustedParts/d)"; fi; `,
    a.keyring !== undefined
      ? sh`rec T ${a.keyring}; `
      : sh`rec T "$TF"; for f in "$TP"*.gpg "$TP"*.asc; do [ -s "$f" ] || continue; case $f in *'\n'*) continue;; esac; rec L "$f"; done; `,
    a.file !== undefined ? sh`rec F ${a.file}; ` : sh``,
    download
      ? joinSh([
          sh`t=$(mktemp) && h=$(mktemp) || exit 1; trap 'rm -f "$t" "$h"' EXIT; `,
          httpFetchSh(req, 't', 'h'),
          sh`if [ "$rc" = 0 ] && [ "\${code:-0}" -lt 400 ]; then rec U "$t"; else printf 'U %s %s\\n' "$rc" "\${code:-0}"; echo absent; fi`,
        ], '')
      : sh`:`,
  ], ''));
  if (r.code !== 0) throw new Error(`cannot read the apt keyrings: ${r.stderr.trim() || `exit ${r.code}`}`);
  const buf = r.stdoutBuf ?? Buffer.from(r.stdout);
  const recs: Rec[] = [];
  let at = 0;
  const line = () => {
    const nl = buf.indexOf(10, at);
    const s = buf.subarray(at, nl).toString('utf8');
    at = nl + 1;
    return s;
  };
  while (at < buf.length) {
    const head = line();
    if (head.startsWith('status=')) continue;
    const [tag, ...path] = head.split(' ');
    const st = line();
    if (st === 'absent') {
      recs.push({ tag, path: path.join(' '), data: Buffer.alloc(0) });
      continue;
    }
    const stat = parseStat(st);
    recs.push({ tag, path: path.join(' '), stat, data: buf.subarray(at, at + stat.size) });
    at += stat.size;
  }
  return recs;
}

/** Ansible's message for a failed download; the U record's path holds the exit code and HTTP status. */
function downloadError(a: Args, rec: Rec | undefined): string {
  const [rc, code] = (rec?.path ?? '').split(' ');
  return `Failed to download key at ${a.url}: ${rc === '0' ? `HTTP Error ${code}` : `the download failed (exit ${rc})`}`;
}

const remote = (rec: Rec): RemoteFile =>
  rec.stat
    ? { exists: true, content: '', read: false, mode: rec.stat.mode, owner: rec.stat.owner, group: rec.stat.group, checksum: createHash('sha1').update(rec.data).digest('hex'), stat: rec.stat, parentExists: true }
    : { exists: false, content: '', read: true, parentExists: true };

/** A keyring's new bytes: binary, or armored where the file is .asc or was armored. */
const keyringBytes = (rec: Rec, blocks: Buffer[]) => {
  const data = Buffer.concat(blocks);
  return rec.path.endsWith('.asc') || rec.data.includes('-----BEGIN PGP') ? Buffer.from(armor(data)) : data;
};

export const apt_key: ModuleDef<Args> = {
  name: 'apt_key',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    const fail = (msg: string, extra: Record<string, unknown> = {}): ModuleResult => ({ changed: false, failed: true, msg, ...extra });
    if (a.id === undefined && a.keyserver !== undefined) return fail('Missing key_id, required with keyserver.');
    const recs = await probe(ctx, a, a.url !== undefined && a.id === undefined);
    const target = recs.find((x) => x.tag === 'T')!;
    let material: Buffer | undefined = a.data !== undefined ? Buffer.from(a.data) : undefined;
    const from = recs.find((x) => x.tag === 'F' || x.tag === 'U');
    if (from?.tag === 'U' && !from.stat) return fail(downloadError(a, from));
    if (from) material = from.stat ? from.data : undefined;
    // the key's own blocks; undefined where they cannot be read (gpg fails on them)
    const parse = (m: Buffer | undefined) => {
      try {
        return m ? parseKeyring(m) : undefined;
      } catch {
        return undefined;
      }
    };
    let keys = parse(material);
    // without id, the first key gpg finds in the key given is the id (Ansible's get_key_id_from_file)
    if (a.id === undefined && (material !== undefined || a.file !== undefined) && !keys) return fail(`Unable to extract key from '${a.file ?? 'inline data'}'`);
    const r: ModuleResult = { changed: false, id: a.id ?? keys?.[0]?.primary.keyid ?? null };
    const ids = parseKeyId(r.id as string | undefined);
    if (!ids) return fail('Invalid key_id', r);
    Object.assign(r, ids);
    const short = ids.key_id.length === 8;

    // apt-key's listing: the keyring given, else trusted.gpg (when not empty) and trusted.gpg.d
    const listed = a.keyring !== undefined ? [target] : [target, ...recs.filter((x) => x.tag === 'L').sort((x, y) => (x.path < y.path ? -1 : 1))];
    const rings = new Map<Rec, KeyBlock[]>();
    for (const rec of listed) {
      // apt-key skips a .gpg file that does not start as a keyring
      if (!rec.stat || !rec.data.length || (a.keyring === undefined && rec.path.endsWith('.gpg') && ![0x99, 0x98, 0xc6].includes(rec.data[0]))) continue;
      try {
        rings.set(rec, parseKeyring(rec.data));
      } catch (e) {
        return fail(`Unable to list public keys: ${rec.path}: ${(e as Error).message}`, r);
      }
    }
    const list = (m: Map<Rec, KeyBlock[]>) => listed.flatMap((rec) => listedIds(m.get(rec) ?? [])).map((k) => (short ? k.slice(-8) : k));
    const has = (l: string[]) => l.includes(short ? ids.short_id : ids.fp);
    r.before = list(rings);

    if (a.state === 'present') {
      if (has(r.before as string[])) return r;
      r.changed = true;
      if (ctx.check) return r;
      if (a.keyserver !== undefined) return fail(`harun's apt_key does not fetch keys from a key server (keyserver ${a.keyserver}): give the key as data, file or url`, r);
      if (a.url !== undefined && !material) {
        const d = (await probe(ctx, { ...a, keyring: a.keyring ?? target.path, file: undefined }, true)).find((x) => x.tag === 'U');
        if (!d?.stat) return fail(downloadError(a, d), r);
        keys = parse(d.data);
      } else if (!material && a.file === undefined) return fail('No key to add ... how did i get here?!?!', r);
      if (!keys) return fail(a.file !== undefined ? `Unable to add a key from file ${a.file}` : 'Unable to add a key from binary data', r);
      // apt-key add imports every key given: the ones the keyring lacks are appended to it
      if (target.data.length && !rings.has(target)) return fail(`Unable to add a key: ${target.path} is not a keyring apt-key can use`, r);
      const old = rings.get(target) ?? [];
      const fresh = keys.filter((k) => !old.some((o) => o.fp === k.fp));
      if (fresh.length) {
        const w = await convergeFile(ctx, { dest: target.path, content: keyringBytes(target, [...old.map((o) => o.bytes), ...fresh.map((k) => k.bytes)]), mode: target.stat ? undefined : 0o644, current: remote(target) });
        if (w.failed) return fail(`Unable to add a key from ${a.file ? `file ${a.file}` : 'binary data'}: ${w.msg}`, r);
      }
      const after = new Map(rings);
      after.set(target, [...old, ...fresh]);
      r.after = list(after);
      if (!has(r.after as string[])) return fail('apt-key did not return an error, but failed to add the key (check that the id is correct and *not* a subkey)', r);
      return r;
    }

    if (!has(r.before as string[])) return r;
    r.changed = true;
    if (ctx.check) return r;
    // apt-key del <short id>: every keyring whose key's fingerprint ends with it loses that key
    const after = new Map(rings);
    const gone: string[] = [];
    for (const [rec, blocks] of rings) {
      const keep = blocks.filter((b) => !b.fp.endsWith(ids.short_id));
      if (keep.length === blocks.length) continue;
      after.set(rec, keep);
      if (new Set(blocks.map((b) => b.fp)).size === 1) {
        gone.push(rec.path);
        continue;
      }
      const w = await convergeFile(ctx, { dest: rec.path, content: keyringBytes(rec, keep.map((b) => b.bytes)), current: remote(rec) });
      if (w.failed) return fail(`Unable to remove a key with id ${ids.short_id}: ${w.msg}`, r);
    }
    // a keyring that held only this key is moved aside, as apt-key does ("behave like gpg")
    if (gone.length) await ctx.runOk(joinSh(gone.map((p) => sh`mv -f -- ${p} ${`${p}~`}`), '; '));
    r.after = list(after);
    if (has(r.after as string[])) return fail('apt-key did not return an error, but the key was not removed (check that the id is correct and *not* a subkey)', r);
    return r;
  },
};
