/**
 * roles/keepalived/files/pack-artifact.sh on this machine (no SSH): it packs what `make install`
 * puts on a host so that unpacking at / never replaces a usrmerge symlink (/lib -> usr/lib), and
 * lists the packages owning the libraries the installed programs link against.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../e2e/helpers.js';

const SCRIPT = join(ROOT, 'roles', 'keepalived', 'files', 'pack-artifact.sh');

test('pack-artifact.sh: make install tree, usrmerge folded, runtime packages listed', (t) => {
  if (spawnSync('sh', ['-c', 'command -v make && command -v dpkg'], { encoding: 'utf8' }).status !== 0) return t.skip('needs make and dpkg');
  const dir = mkdtempSync(join(tmpdir(), 'harun-pack-'));
  try {
    const src = join(dir, 'src');
    execFileSync('mkdir', ['-p', src]);
    // a dynamically linked program of this system stands for the build's binary
    copyFileSync('/bin/ls', join(src, 'prog'));
    writeFileSync(join(src, 'Makefile'), [
      'install:',
      '\tmkdir -p $(DESTDIR)/usr/sbin $(DESTDIR)/lib/systemd/system $(DESTDIR)/etc/prog',
      '\tinstall -m 0755 prog $(DESTDIR)/usr/sbin/prog',
      '\techo unit > $(DESTDIR)/lib/systemd/system/prog.service',
      '\techo conf > $(DESTDIR)/etc/prog/prog.conf.sample',
      '',
    ].join('\n'));
    const out = join(dir, 'build', 'artifact.tar.gz');
    execFileSync('mkdir', ['-p', join(dir, 'build')]);
    const r = spawnSync('sh', [SCRIPT, src, out], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const pkgs = r.stdout.trim().split('\n');
    const expected = execFileSync('sh', ['-c', `ldd /bin/ls | awk '$3 ~ /^\\// {print $3}' | xargs -n1 readlink -f | xargs -n1 dpkg -S 2>/dev/null | cut -d: -f1 | sort -u`], { encoding: 'utf8' }).trim().split('\n');
    assert.ok(pkgs.includes('libc6'), r.stdout);
    for (const p of expected.filter(Boolean)) assert.ok(pkgs.includes(p), `${p} missing from ${r.stdout}`);

    const listing = execFileSync('tar', ['tzf', out], { encoding: 'utf8' }).split('\n');
    assert.ok(listing.includes('./usr/sbin/prog'), listing.join(' '));
    assert.ok(listing.includes('./etc/prog/prog.conf.sample'));
    if (lstatSync('/lib').isSymbolicLink()) {
      assert.ok(listing.includes('./usr/lib/systemd/system/prog.service'), listing.join(' '));
      assert.ok(!listing.some((l) => l.startsWith('./lib/')), 'a lib/ directory would replace the /lib symlink');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
