/**
 * git: a checkout of a repository at a version (branch, tag or SHA), as ansible.builtin.git
 * makes it. The whole task is one exec: a fixed sh program (GIT_SCRIPT) that follows the steps
 * of Ansible's main() with the same git commands (ls-remote, clone, fetch, checkout, reset) and
 * prints `@key value` records the module turns into Ansible's result.
 */
import { posix } from 'node:path';
import { z } from 'zod';
import { raw, sh } from '../shell/sh.js';
import { bool, int, str, strList, withAliases, lazySchema } from './lib/args.js';
import type { ModuleDef, ModuleResult } from './types.js';

const schema = lazySchema(() => withAliases(
  { name: 'repo' },
  z
    .object({
      repo: str(),
      dest: str().optional(),
      version: str().default('HEAD'),
      remote: str().default('origin'),
      refspec: str().optional(),
      reference: str().optional(),
      force: bool().default(false),
      depth: int().optional(),
      clone: bool().default(true),
      update: bool().default(true),
      verify_commit: bool().default(false),
      gpg_whitelist: strList().default([]),
      // no defaults: Ansible's mutually exclusive rules count only the arguments given
      accept_hostkey: bool().optional(),
      accept_newhostkey: bool().optional(),
      key_file: str().optional(),
      ssh_opts: str().optional(),
      executable: str().optional(),
      bare: bool().optional(),
      recursive: bool().default(true),
      single_branch: bool().default(false),
      track_submodules: bool().default(false),
      // Ansible's raw type: a YAML number (umask: 0022 read as octal 18) is refused as Ansible does
      umask: z.union([z.string(), z.number()]).optional().superRefine((u, c) => {
        if (typeof u === 'number') c.addIssue({ code: 'custom', message: 'umask must be defined as a quoted octal integer' });
        else if (u !== undefined && !/^[0-7]+$/.test(u)) c.addIssue({ code: 'custom', message: 'umask must be an octal integer' });
      }),
      archive: str().optional(),
      archive_prefix: str().optional(),
      separate_git_dir: str().optional(),
    })
    .strict()
    .superRefine((a, c) => {
      const bad = (path: string, message: string) => c.addIssue({ code: 'custom', path: [path], message });
      if (a.separate_git_dir !== undefined && a.bare !== undefined) bad('bare', 'parameters are mutually exclusive: separate_git_dir|bare');
      if (a.accept_hostkey !== undefined && a.accept_newhostkey !== undefined) bad('accept_newhostkey', 'parameters are mutually exclusive: accept_hostkey|accept_newhostkey');
      if (a.archive_prefix !== undefined && a.archive === undefined) bad('archive_prefix', "missing parameter(s) required by 'archive_prefix': archive");
    }),
));
type Args = z.infer<ReturnType<typeof schema>>;

/** The options for GIT_SSH_COMMAND, built as Ansible's main() and set_git_ssh_env() build them. */
export function sshOpts(a: Args): string {
  let o = a.ssh_opts;
  const strict = (v: string) => {
    if (o === undefined) o = `-o StrictHostKeyChecking=${v}`;
    else if (!o.includes('-o StrictHostKeyChecking=no') && !o.includes('-o StrictHostKeyChecking=accept-new')) o += ` -o StrictHostKeyChecking=${v}`;
  };
  if (a.accept_hostkey) strict('no');
  if (a.accept_newhostkey) strict('accept-new');
  // the target's GIT_SSH_OPTS (read by Ansible's module only) is left out
  let s = o ?? '';
  if (a.accept_hostkey && !s.includes('StrictHostKeyChecking=no')) s += ' -o StrictHostKeyChecking=no';
  if (!s.includes('BatchMode=yes')) s += ' -o BatchMode=yes';
  if (a.key_file) {
    if (!s.includes(`-i ${a.key_file}`)) s += ` -i ${a.key_file}`;
    if (!s.includes('IdentitiesOnly=yes')) s += ' -o IdentitiesOnly=yes';
  }
  return s.trim();
}

/*
 * The program. Inputs are the shell variables set before it; g runs git with its output kept in
 * $w/o and $w/e; die ends the run with `@fail CODE ARG`, the command, its rc and its stdout (its
 * stderr goes to stderr), and the module words the message as Ansible does for that CODE. The
 * functions are Ansible's of the same purpose: headbranch = get_head_branch, remotehead =
 * get_remote_head, fetchall = fetch, switch = switch_version, subs = submodules_fetch/update.
 * `ls-remote URL -h PATTERN` is Ansible's own word order (git takes -h as a pattern there).
 */
const GIT_SCRIPT = `
w=$(mktemp -d) || exit 1; trap 'rm -rf "$w"' EXIT; : >"$w/o"; : >"$w/e"; last=
g() { last="$gitx $*"; "$gitx" "$@" >"$w/o" 2>"$w/e"; }
die() { c=\${3:-$?}; cat "$w/e" >&2; printf '@fail %s %s\\n@cmd %s\\n@rc %s\\n' "$1" "$2" "$last" "$c"; cat "$w/o"; exit 0; }
gk() { g "$@" || die rc; }
[ -z "$um" ] || umask "$um" || exit 1
LANG=C; LC_ALL=C; LC_MESSAGES=C; LC_CTYPE=C; export LANG LC_ALL LC_MESSAGES LC_CTYPE
command -v "$gitx" >/dev/null 2>&1 || die nogit "$PATH" 0
GIT_SSH_COMMAND="\${GIT_SSH:-\${GIT_SSH_COMMAND:-ssh}} $sshopts"; export GIT_SSH_COMMAND
case $repo in "~/"*) repo="$HOME/\${repo#??}";; esac
case $repo in /*) repo="file://$repo";; esac
case $dest in "~") dest=$HOME;; "~/"*) dest="$HOME/\${dest#??}";; esac
case $dest in ""|/*) ;; *) dest="$PWD/$dest";; esac
headbranch() {
  hb=$("$gitx" symbolic-ref -q HEAD 2>/dev/null) || hb=$("$gitx" symbolic-ref -q "refs/remotes/$remote/HEAD" 2>/dev/null) || hb=
  hb=\${hb#refs/heads/}; hb=\${hb#refs/remotes/"$remote"/}
}
isbranch() { gk ls-remote "$1" -h "refs/heads/$version"; grep -qF -- "$version" "$w/o"; }
istag() { gk ls-remote "$1" -t "refs/tags/$version"; grep -qF -- "$version" "$w/o"; }
localbranch() { "$gitx" show-ref --verify -q "refs/heads/$version"; }
remotehead() {
  tag=
  if [ "$version" = HEAD ]; then
    if [ "$2" = 1 ]; then gk ls-remote "$1" -h HEAD; else headbranch; gk ls-remote "$1" -h "refs/heads/$hb"; fi
  elif isbranch "$1"; then gk ls-remote "$1" -h "refs/heads/$version"
  elif istag "$1"; then tag=1; gk ls-remote "$1" -t "refs/tags/$version*"
  else rh=$version; return 0; fi
  [ -s "$w/o" ] || die norev "" 0
  # a tag: the peeled commit of an annotated tag, else the line that ends with the name
  rh=$(v=$version t=$tag awk 'function ends(s, x) { return length(s) >= length(x) && substr(s, length(s) - length(x) + 1) == x }
    NR == 1 { first = $1 } ENVIRON["t"] == "" { exit }
    ends($0, ENVIRON["v"] "^{}") { out = $1; exit } ends($0, ENVIRON["v"]) { out = $1 }
    END { print (out == "" ? first : out) }' "$w/o")
}
verify() {
  [ "$vc" = 1 ] || return 0
  gk for-each-ref refs/tags/ --format '%(objecttype):%(refname:short)'
  if grep -qxF -- "tag:$version" "$w/o"; then s=verify-tag; else s=verify-commit; fi
  if [ -z "$wl" ]; then g "$s" "$version" || die verify; return 0; fi
  g "$s" "$version" --raw || die verify
  fp=$(awk '$2 == "VALIDSIG" { print (NF == 11 ? "" : $3); exit }' "$w/e")
  case " $wl " in *" $fp "*) [ -n "$fp" ] || die whitelist None 0;; *) die whitelist "\${fp:-None}" 0;; esac
}
fetchall() {
  r1= r2= r3= dp= tags=
  if [ -n "$depth" ]; then
    headbranch
    if [ -n "$refspec" ]; then r1=$refspec
    elif [ "$version" = HEAD ]; then r1=$hb
    elif isbranch "$repo"; then
      [ "$hb" = "$version" ] || r1="+refs/heads/$version:refs/heads/$version"; r2="+refs/heads/$version:refs/remotes/$remote/$version"
    elif istag "$repo"; then r1="+refs/tags/$version:refs/tags/$version"; fi
    [ -z "$r1$r2" ] || dp=1
  fi
  if [ -z "$dp" ]; then
    if [ "$bare" = 1 ]; then r1='+refs/heads/*:refs/heads/*'; r2='+refs/tags/*:refs/tags/*'; else tags=--tags; fi
    r3=$refspec
  fi
  set -- fetch
  [ -z "$dp" ] || set -- "$@" --depth "$depth"
  [ -z "$tags" ] || set -- "$@" --tags
  [ "$force" = 0 ] || set -- "$@" --force
  set -- "$@" "$remote"
  for r in "$r1" "$r2" "$r3"; do [ -z "$r" ] || set -- "$@" "$r"; done
  g "$@" || die fetch
}
switch() {
  if [ "$version" = HEAD ]; then
    headbranch
    g checkout --force "$hb" || die cobranch "$hb"
    g reset --hard "$remote/$hb" -- || die cobranch "$hb"
  elif isbranch "$remote"; then
    if [ -n "$depth" ] && ! localbranch; then
      g fetch "--depth=$depth" "$remote" "+refs/heads/$version:refs/heads/$version" "+refs/heads/$version:refs/remotes/$remote/$version" || die fetchbranch
    fi
    if ! localbranch; then g checkout --track -b "$version" "$remote/$version" || die co
    else g checkout --force "$version" || die cobranch "$version"; g reset --hard "$remote/$version" || die co; fi
  else g checkout --force "$version" || die co; fi
  verify
}
subs() {
  [ "$recursive" = 1 ] && [ "$bare" = 0 ] && [ -e .gitmodules ] || return 0
  su=0
  sed -n '/^[[:space:]]*path/{s/^[^=]*=[[:space:]]*//;s/[[:space:]]*$//;p;}' .gitmodules >"$w/p"
  while IFS= read -r p; do [ -e "$p/.git" ] || su=1; done <"$w/p"
  if [ $su = 0 ]; then
    g submodule foreach "$gitx" rev-parse HEAD || die subhash; cp "$w/o" "$w/b"
    gk submodule foreach "$gitx" fetch
    if [ "$track" = 1 ]; then g submodule foreach "$gitx" rev-parse "$remote/master" || die subhash; cmp -s "$w/o" "$w/b" || su=1
    else gk submodule status; ! grep -q '^[^ ]' "$w/o" || su=1; fi
  fi
  [ $su = 1 ] || return 0
  echo @sub
  gk submodule sync
  set -- submodule update --init --recursive
  [ "$track" = 0 ] || set -- "$@" --remote
  [ "$force" = 0 ] || set -- "$@" --force
  g "$@" || die subupdate
}
archive() {
  [ -n "$archive" ] || return 0
  [ "$check" = 0 ] || { echo '@archive new'; return 0; }
  case $archive in *.zip) af=zip;; *.gz) af=tar.gz;; *.tar) af=tar;; *.tgz) af=tgz;; *) die archext "" 0;; esac
  t=$archive; [ ! -e "$archive" ] || t="$w/new.$af"
  set -- archive --format "$af" --output "$t"
  [ "$hasprefix" = 0 ] || set -- "$@" --prefix "$aprefix"
  g "$@" "$version" || die archive
  # Ansible's create_archive: an unchanged archive makes the whole task unchanged
  if [ "$t" = "$archive" ]; then echo '@archive new'
  elif cmp -s -- "$t" "$archive"; then echo '@archive same'
  else mv -- "$t" "$archive" || die archmove; echo '@archive new'; fi
}
if [ "$bare" = 1 ]; then rp=$dest; else rp=$dest/.git; fi
if [ -n "$dest" ] && [ -f "$rp" ]; then
  gd=$(sed -n '1s/^gitdir: //p' "$rp")
  case $gd in "") die badgitdir "" 0;; /*) rp=$gd;; *) rp=$dest/$gd;; esac
  [ -d "$rp" ] || die badgitdir "" 0
fi
if [ -n "$sgd" ]; then
  sgd=$(realpath -m -- "$sgd")
  if [ -n "$dest" ] && [ -e "$rp" ] && [ "$sgd" != "$rp" ]; then
    echo @moved
    if [ "$check" = 0 ]; then
      [ ! -e "$sgd" ] || die sgdexists "$sgd" 0
      mv -- "$rp" "$sgd" && printf 'gitdir: %s' "$sgd" >"$dest/.git" || die sgdmove "" 1
      echo "@gitdir $rp"; echo "@gitdirnow $sgd"; rp=$sgd
    fi
  fi
fi
if { [ -n "$dest" ] && [ ! -e "$rp/config" ]; } || { [ -z "$dest" ] && [ "$clone" = 0 ]; }; then
  echo @new
  if [ "$check" = 1 ] || [ "$clone" = 0 ]; then remotehead "$repo" 1; echo "@after $rh"; exit 0; fi
  pd=$(dirname -- "$dest"); mkdir -p -- "$pd" 2>/dev/null; cd "$pd" 2>/dev/null
  bt=0; if isbranch "$repo" || istag "$repo"; then bt=1; fi
  set -- clone
  if [ "$bare" = 1 ]; then set -- "$@" --bare; else set -- "$@" --origin "$remote"; fi
  if [ -n "$depth" ]; then
    if [ "$version" = HEAD ] || [ -n "$refspec" ]; then set -- "$@" --depth "$depth"
    elif [ $bt = 1 ]; then set -- "$@" --depth "$depth" --branch "$version"
    else echo @warndepth; fi
  fi
  [ -z "$reference" ] || set -- "$@" --reference "$reference"
  if [ "$single" = 1 ]; then set -- "$@" --single-branch; [ $bt = 0 ] || set -- "$@" --branch "$version"; fi
  [ -z "$sgd" ] || set -- "$@" "--separate-git-dir=$sgd"
  gk "$@" "$repo" "$dest"
  cd "$dest" || exit 1
  if [ "$bare" = 1 ] && [ "$remote" != origin ]; then gk remote add "$remote" "$repo"; fi
  if [ -n "$refspec" ]; then
    if [ -n "$depth" ]; then gk fetch --depth "$depth" "$remote" "$refspec"; else gk fetch "$remote" "$refspec"; fi
  fi
  verify
  before=
elif [ "$update" = 0 ]; then
  cd "$dest" || exit 1
  g rev-parse HEAD; echo "@before $(cat "$w/o")"; echo @noupdate
  archive; exit 0
else
  cd "$dest" || exit 1
  mods=0
  if [ "$bare" = 0 ]; then g status --porcelain; ! grep -qv '^??' "$w/o" || mods=1; fi
  g rev-parse HEAD; before=$(cat "$w/o"); echo "@before $before"
  if [ $mods = 1 ]; then
    [ "$force" = 1 ] || die localmods "" 0
    if [ "$check" = 0 ]; then gk reset --hard HEAD; echo @mods; fi
  fi
  if g ls-remote --get-url "$remote"; then ru=$(cat "$w/o"); else ru=; fi
  uc=0; ud=0
  if [ "$ru" != "$repo" ] && [ "$(realpath -m -- "$ru" 2>/dev/null)" != "$(realpath -m -- "$repo")" ]; then ud=1; fi
  if [ "$check" = 1 ]; then
    [ -z "$ru" ] || uc=$ud
    echo "@url $uc"; remotehead "$remote" 0; echo "@after $rh"; exit 0
  fi
  if [ $ud = 1 ]; then g remote set-url "$remote" "$repo" || die seturl; [ -z "$ru" ] || uc=1; fi
  echo "@url $uc"
  fetchall
fi
[ "$bare" = 1 ] || switch
subs
g rev-parse HEAD; after=$(cat "$w/o"); echo "@after $after"
archive
if [ "$diff" = 1 ] && [ -n "$before" ] && [ "$before" != "$after" ]; then
  g diff "$before" "$after"; c=$?; cat "$w/e" >&2; echo "@diff $c"; cat "$w/o"
fi
`;

/** Ansible's message for a failure the program reported as CODE (arg, stdout, stderr: the step's). */
function failMsg(code: string, arg: string, a: Args, dest: string, out: string, err: string): string {
  switch (code) {
    case 'rc': return err.trimEnd();
    case 'nogit': return a.executable ? `[Errno 2] No such file or directory: b'${a.executable}'` : `Failed to find required executable "git" in paths: ${arg}`;
    case 'norev': return `Could not determine remote revision for ${a.version}`;
    case 'localmods': return `Local modifications exist in the destination: ${dest} (force=no).`;
    case 'seturl': return `Failed to set a new url ${a.repo} for ${a.remote}: ${out} ${err}`;
    case 'fetch': return `Failed to download remote objects and refs: ${out} ${err}`;
    case 'fetchbranch': return `Failed to fetch branch from remote: ${a.version}`;
    case 'cobranch': return `Failed to checkout branch ${arg}`;
    case 'co': return `Failed to checkout ${a.version}`;
    case 'subhash': return 'Unable to determine hashes of submodules';
    case 'subupdate': return `Failed to init/update submodules: ${out}${err}`;
    case 'verify': return `Failed to verify GPG signature of commit/tag "${a.version}"`;
    case 'whitelist': return `The gpg_whitelist does not include the public key "${arg}" for this commit`;
    case 'archext': return `Unable to get file extension from archive file name : ${a.archive}`;
    case 'archive': return 'Failed to perform archive operation';
    case 'archmove': return `Failed to move the new archive to ${a.archive}`;
    case 'badgitdir': return 'Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path';
    case 'sgdexists': return `Separate-git-dir path ${arg} already exists.`;
    case 'sgdmove': return `Unable to move git dir. ${err.trim()}`;
    default: return `git failed (${code}): ${err.trim()}`;
  }
}

export const git: ModuleDef<Args> = {
  name: 'git',
  get schema() {
    return schema();
  },
  checkMode: true,
  async run(ctx, a): Promise<ModuleResult> {
    if (!a.dest && a.clone) return { changed: false, failed: true, msg: 'the destination directory must be specified unless clone=no' };
    // os.path.abspath for an absolute dest (a relative or ~ one is resolved on the host)
    const dest = a.dest?.startsWith('/') ? posix.normalize(a.dest).replace(/(.)\/$/, '$1') : a.dest ?? '';
    const bare = a.bare ?? false;
    const b = (v: boolean) => (v ? '1' : '0');
    const r = await ctx.run(sh`repo=${a.repo} dest=${dest} version=${a.version} remote=${a.remote} refspec=${a.refspec ?? ''} \
depth=${a.depth ? String(a.depth) : ''} bare=${b(bare)} force=${b(a.force)} clone=${b(a.clone)} update=${b(a.update)} \
recursive=${b(a.recursive)} track=${b(a.track_submodules)} single=${b(a.single_branch)} reference=${a.reference ?? ''} \
sgd=${a.separate_git_dir ?? ''} archive=${a.archive ?? ''} hasprefix=${b(a.archive_prefix !== undefined)} aprefix=${a.archive_prefix ?? ''} \
vc=${b(a.verify_commit)} wl=${a.gpg_whitelist.map((f) => f.trim()).filter(Boolean).join(' ')} check=${b(ctx.check)} diff=${b(ctx.diff)} \
gitx=${a.executable ?? 'git'} sshopts=${sshOpts(a)} um=${typeof a.umask === 'string' ? a.umask : ''}
${raw(GIT_SCRIPT)}`);
    if (r.code !== 0) return { changed: false, failed: true, rc: r.code, stderr: r.stderr, msg: r.stderr.trim() || `git: the command ended with ${r.code ?? r.signal}` };

    // the records, up to a failure or the diff (their own output follows those to the end)
    const res: ModuleResult = { changed: false, before: null };
    const warnings: string[] = [];
    let rest = r.stdout;
    let fail: { code: string; arg: string; cmd: string; rc: number } | undefined;
    let diffText: string | undefined;
    let diffRc = 0;
    let archive: string | undefined;
    let isNew = false;
    let noUpdate = false;
    let modsReset = false;
    let changed = false;
    while (rest) {
      const nl = rest.indexOf('\n');
      const line = nl < 0 ? rest : rest.slice(0, nl);
      rest = nl < 0 ? '' : rest.slice(nl + 1);
      const [key, ...v] = line.split(' ');
      const val = v.join(' ');
      if (key === '@fail') {
        const m = /^@cmd (.*)\n@rc (\d+)\n/.exec(rest);
        fail = { code: v[0], arg: v.slice(1).join(' '), cmd: m?.[1] ?? '', rc: Number(m?.[2] ?? 1) };
        rest = m ? rest.slice(m[0].length) : rest;
        break;
      }
      if (key === '@diff') {
        [diffText, diffRc] = [rest, Number(val)];
        break;
      }
      if (key === '@before') res.before = val;
      else if (key === '@after') res.after = val;
      else if (key === '@new') isNew = true;
      else if (key === '@mods') modsReset = true;
      else if (key === '@url') res.remote_url_changed = val === '1';
      else if (key === '@sub') res.submodules_changed = true;
      else if (key === '@moved') changed = true;
      else if (key === '@gitdir') res.git_dir_before = val;
      else if (key === '@gitdirnow') res.git_dir_now = val;
      else if (key === '@archive') archive = val;
      else if (key === '@noupdate') [noUpdate, res.after] = [true, res.before];
      else if (key === '@warndepth') warnings.push('Ignoring depth argument. Shallow clones are only available for HEAD, branches, tags or in combination with refspec.');
    }
    if (warnings.length) res.warnings = warnings;
    if (fail) {
      const base: ModuleResult = fail.code === 'localmods' ? { ...res, changed: false } : { changed: false };
      const out: ModuleResult = { ...base, failed: true, msg: failMsg(fail.code, fail.arg, a, dest, rest, r.stderr) };
      if (!['localmods', 'nogit', 'badgitdir', 'sgdexists', 'archext'].includes(fail.code)) Object.assign(out, { cmd: fail.cmd, rc: fail.rc, stdout: rest, stderr: r.stderr });
      if (fail.code === 'archext') out.details = "Please specify archive as filename with extension. File extension can be one of ['tar', 'tar.gz', 'zip', 'tgz']";
      if (fail.code === 'archive') out.details = `Git archive command failed to create archive ${a.archive} using ${dest} directory.Error: ${r.stderr}`;
      return out;
    }
    if (isNew) {
      // a clone, or (check mode, clone=no) what one would check out
      res.changed = true;
      if (ctx.diff) res.diff = [{ path: dest, before: '', after: '', prepared: `>> Newly checked out ${res.after}` }];
    } else if (noUpdate) {
      res.changed = changed; // update=no: the repository as it is
    } else if (ctx.check) {
      res.changed = res.before !== res.after || res.remote_url_changed === true;
    } else {
      res.changed = changed || res.before !== res.after || modsReset || res.submodules_changed === true || res.remote_url_changed === true;
      if (modsReset) res.msg = `Local modifications exist in the destination: ${dest}`;
      if (ctx.diff && diffText !== undefined) {
        const [x, y] = [res.before, res.after];
        const prepared = diffRc !== 0
          ? `>> Failed to get proper diff between ${x} and ${y}${r.stderr ? `:\n>> ${r.stderr}` : ''}`
          : diffText || `>> No visual differences between ${x} and ${y}`;
        res.diff = [{ path: dest, before: '', after: '', prepared }];
      }
    }
    if (archive === 'new') res.changed = true;
    else if (archive === 'same') res.changed = false;
    return res;
  },
};
