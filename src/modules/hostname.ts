/**
 * hostname: the host's permanent (/etc/hostname, hostnamectl's static name) and current (the
 * kernel's) name, as ansible-core 2.14's module sets them, in one exec round trip whether or not
 * something changes: the script reads, decides and writes on the host.
 *
 * Strategies (Ansible's `use`):
 * - systemd, debian: hostnamectl (2.14 maps `debian` to its Systemd strategy): the static and
 *   pretty names first, then the transient one, read again after the static one changed (hostnamed
 *   updates the kernel's name itself).
 * - generic: `hostname NAME`, then /etc/hostname (Ansible's base order: current, then permanent;
 *   a kernel that refuses the running name leaves the file alone). Ansible 2.14's generic
 *   strategy raises NotImplementedError (ansible/ansible#85069); harun does what its name promises.
 * - chosen when `use` is not given, as Ansible chooses: systemd when systemctl is there and the
 *   host was booted with systemd; else by /etc/os-release's ID: Debian and its derivatives get
 *   Ansible's FileStrategy, which writes /etc/hostname only (the running name is read from that
 *   file and left alone until the next boot).
 * Ansible's other strategies (alpine, redhat, openrc, sles, freebsd, openbsd, solaris, macos) are
 * refused with a message that says so.
 */
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { lazySchema, str } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const NATIVE = ['systemd', 'debian', 'generic'] as const;
const OTHERS = ['alpine', 'freebsd', 'macos', 'macosx', 'darwin', 'openbsd', 'openrc', 'redhat', 'sles', 'solaris'];
const CHOICES: string[] = [...NATIVE, ...OTHERS];

const schema = lazySchema(() => z
  .object({
    name: str().refine((s) => s.trim() !== '', 'a host name must not be empty'),
    use: z
      .string({ error: `expected one of ${CHOICES.join(', ')}` })
      .superRefine((u, c) => {
        if (!CHOICES.includes(u)) c.addIssue({ code: 'custom', message: `expected one of ${CHOICES.join(', ')}` });
        else if (OTHERS.includes(u)) {
          c.addIssue({ code: 'custom', message: `Ansible's ${u} strategy is not implemented by harun's native hostname module (it implements ${NATIVE.join(', ')})` });
        }
      })
      .optional(),
  })
  .strict());
type Args = z.infer<ReturnType<typeof schema>>;

// Debian and the distributions that Ansible 2.14 also gives its FileStrategy, by os-release ID
const FILE_IDS = 'debian|ubuntu|kali|parrot|linuxmint|linaro|devuan|raspbian|uos|deepin|neon|void|pop|kylin|cumulus-linux';
// the strategy Ansible would pick for the other IDs, for the refusal's message
const OTHER_IDS: Record<string, string> = {
  alpine: 'alpine', gentoo: 'openrc', sles: 'sles', rhel: 'redhat', centos: 'redhat', anolis: 'redhat', cloudlinux: 'redhat',
  alinux: 'redhat', scientific: 'redhat', ol: 'redhat', oracle: 'redhat', virtuozzo: 'redhat', amzn: 'redhat',
  altlinux: 'redhat', eurolinux: 'redhat', freebsd: 'freebsd', netbsd: 'freebsd', openbsd: 'openbsd',
};

/**
 * The host side. Exit codes: 0 done (stdout: strategy, changed, current and permanent name as
 * read first, fqdn; NUL-separated); 10 no strategy for this host (stdout: os-release ID);
 * 11 a required program is missing (stdout: its name, then PATH); 12 a command failed (stdout:
 * rc, then its output; its stderr follows the last marker on stderr); 13 name too long for
 * hostnamectl; 14/15 /etc/hostname could not be written/read (stderr after the marker says why).
 * /etc/hostname is written in place, as Ansible does: docker bind-mounts it, a rename would fail.
 */
const SCRIPT = raw(`PATH=$PATH:/sbin:/usr/sbin:/usr/local/sbin
m() { printf '\\n@@harun@@\\n' >&2; }
x() { m; o=$("$@"; r=$?; echo .; exit $r); r=$?; o=\${o%.}; [ $r = 0 ] || { printf '%s\\n%s' "$r" "$o"; exit 12; }; }
trim() { t=\${o#"\${o%%[![:space:]]*}"}; t=\${t%"\${t##*[![:space:]]}"}; }
need() { command -v "$1" >/dev/null 2>&1 || { printf '%s\\n%s' "$1" "$PATH"; exit 11; }; }
readf() { o=; if [ -f /etc/hostname ]; then m; o=$(cat /etc/hostname && echo .) || exit 15; o=\${o%.}; fi; trim; }
writef() { m; printf '%s\\n' "$n" > /etc/hostname || exit 14; }
if [ -z "$u" ]; then
  if command -v systemctl >/dev/null 2>&1 && { [ -e /run/systemd/system/ ] || [ -e /dev/.run/systemd/ ] || [ -e /dev/.systemd/ ]; }; then u=systemd
  else
    f=/etc/os-release; [ -r $f ] || f=/usr/lib/os-release
    id=$( [ -r $f ] && . $f >/dev/null 2>&1; echo "$ID")
    case $id in ${FILE_IDS}) u=file;; *) printf '%s' "$id"; exit 10;; esac
  fi
fi
ch=0
case $u in
systemd|debian)
  need hostnamectl
  x hostnamectl --transient status; trim; c=$t
  x hostnamectl --static status; trim; p=$t
  c2=$c
  if [ "$p" != "$n" ]; then
    ch=1
    if [ $k = 0 ]; then
      [ $long = 0 ] || exit 13
      x hostnamectl --pretty --static set-hostname "$n"
      x hostnamectl --transient status; trim; c2=$t
    fi
  fi
  if [ "$c2" != "$n" ]; then
    ch=1
    if [ $k = 0 ]; then [ $long = 0 ] || exit 13; x hostnamectl --transient set-hostname "$n"; fi
  fi ;;
file)
  readf; p=$t; c=$t
  if [ "$p" != "$n" ]; then ch=1; [ $k = 1 ] || writef; fi ;;
generic)
  need hostname
  readf; p=$t
  x hostname; trim; c=$t
  if [ "$c" != "$n" ]; then ch=1; [ $k = 1 ] || x hostname "$n"; fi
  if [ "$p" != "$n" ]; then ch=1; [ $k = 1 ] || writef; fi ;;
esac
# Python's socket.getfqdn(), as Ansible's module reports it: the running name's first address, looked
# up in reverse; the first of that name and its aliases with a dot, else the name; else the running name
set -f; fq=$(uname -n)
if command -v getent >/dev/null 2>&1; then
  if a=$(getent ahosts "$fq" 2>/dev/null) && set -- $a && [ -n "$1" ] && a=$(getent hosts "$1" 2>/dev/null) && set -- $a && [ -n "$2" ]; then
    shift; fq=$1; for w; do case $w in *.*) fq=$w; break;; esac; done
  fi
else
  a=$(hostname -f 2>/dev/null) && [ -n "$a" ] && fq=$a
fi
printf '%s\\000' "$u" "$ch" "$c" "$p" "$fq"`);

/** What the script left on stderr for the last command it ran (everything after the last marker). */
const lastErr = (stderr: string) => stderr.split('\n@@harun@@\n').pop() ?? '';

/** The failure as Ansible's module words it, from the script's exit code. */
function failure(code: number | null, out: string, stderr: string, a: Args): string {
  const err = lastErr(stderr);
  switch (code) {
    case 10: {
      const id = out.trim();
      const strat = OTHER_IDS[id];
      return strat
        ? `hostname: Ansible would use its ${strat} strategy on this host (os-release ID ${id}), which harun's native module does not implement; ` +
            `use: generic sets /etc/hostname and the running name`
        : `hostname module cannot be used on platform Linux (${id ? id[0].toUpperCase() + id.slice(1) : 'OtherLinux'})`;
    }
    case 11: {
      const [prog, path] = out.split('\n');
      return `Failed to find required executable "${prog}" in paths: ${path}`;
    }
    case 12: {
      const nl = out.indexOf('\n');
      const msg = `Command failed rc=${out.slice(0, nl)}, out=${out.slice(nl + 1)}, err=${err}`;
      // sethostname(2) needs CAP_SYS_ADMIN in the host's UTS namespace (a container often lacks it)
      return /must be root|Operation not permitted/.test(err) ? `${msg.trimEnd()} (the kernel refused to change the running host name)` : msg;
    }
    case 13:
      return 'name cannot be longer than 64 characters on systemd servers, try a shorter name';
    case 14:
      return `failed to update hostname: ${err.trim()}`;
    case 15:
      return `failed to read hostname: ${err.trim()}`;
    default:
      return `hostname: the script failed (exit ${code}) setting ${a.name}: ${stderr.trim()}`;
  }
}

export const hostname: ModuleDef<Args> = {
  name: 'hostname',
  get schema() {
    return schema();
  },
  checkMode: true,
  hostFacts: true,
  async run(ctx, a): Promise<ModuleResult> {
    const n = a.name;
    const long = [...n].length > 64 ? 1 : 0;
    const r = await ctx.run(sh`n=${n}; u=${a.use ?? ''}; k=${ctx.check ? 1 : 0}; long=${long}
${SCRIPT}`);
    if (r.code !== 0) return { changed: false, failed: true, msg: failure(r.code, r.stdout, r.stderr, a) };
    const [strategy, ch, current, permanent, fqdn] = r.stdout.split('\0');
    const changed = ch === '1';
    ctx.log(2, `hostname: strategy ${strategy}, current ${current}, permanent ${permanent}`);
    // Ansible's name_before: the current name when it differs, else the permanent one
    const before = n !== current ? current : permanent;
    const facts = {
      ansible_hostname: n.split('.')[0],
      ansible_nodename: n,
      ansible_fqdn: fqdn,
      ansible_domain: fqdn.split('.').slice(1).join('.'),
    };
    const res: ModuleResult = { changed, name: n, facts, ansible_facts: facts };
    // Ansible's module returns its diff whenever it changed something; the engine shows it under --diff
    if (changed) res.diff = [{ path: '', before: `hostname = ${before}\n`, after: `hostname = ${n}\n` }];
    return res;
  },
};
