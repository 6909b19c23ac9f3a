import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execSync, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync, symlinkSync } from 'node:fs';
import { archiveFormat, extractSh, unarchive } from '../../../../src/modules/unarchive.js';
import { parseArgs } from '../../../../src/modules/lib/args.js';
import { runModule, tempDir } from './helpers.js';

test('formats and extraction commands', () => {
  assert.equal(archiveFormat('a.tgz'), 'tar.gz');
  assert.equal(archiveFormat('/x/a.TAR.XZ'), 'tar.xz');
  assert.equal(archiveFormat('a.zip'), 'zip');
  assert.throws(() => archiveFormat('a.rar'), /cannot tell the archive format/);
  assert.equal(extractSh('tar.gz', { extra_opts: ['--strip-components=1'], exclude: ['*.md'] }), 'tar -xzf "$a" -C "$x" \'--exclude=*.md\' --strip-components=1');
  assert.equal(extractSh('zip', { extra_opts: [], exclude: [] }), 'unzip -q -o "$a" -d "$x"');
  assert.throws(() => parseArgs('unarchive', unarchive.schema, { src: 'a.tgz' }), /argument dest/);
});

test('on this host: controller tar.gz through stdin, remote tar.xz and zip; changed once; check mode; creates', async () => {
  const { dir, cleanup } = tempDir();
  try {
    const srcDir = `${dir}/src/app`;
    mkdirSync(`${srcDir}/sub`, { recursive: true });
    writeFileSync(`${srcDir}/a.txt`, 'A\n');
    writeFileSync(`${srcDir}/sub/b.txt`, 'B\n');
    symlinkSync('a.txt', `${srcDir}/link`);
    execSync(`tar -czf ${dir}/app.tar.gz -C ${dir}/src app && tar -cJf ${dir}/app.tar.xz -C ${dir}/src app`);
    execSync(`cd ${dir}/src && zip -q -r ${dir}/app.zip app/a.txt app/sub`);
    for (const [name, extra] of [['app.tar.gz', {}], ['app.tar.xz', { remote_src: true }], ['app.zip', { remote_src: true }]] as const) {
      const dest = `${dir}/out-${name}`;
      mkdirSync(dest);
      const args = { src: `${dir}/${name}`, dest, ...extra };
      const chk = await runModule(unarchive, args, { check: true });
      assert.equal(chk.changed, true, `${name}: ${chk.msg}`);
      assert.equal(existsSync(`${dest}/app`), false, `${name}: check mode extracted`);
      const r1 = await runModule(unarchive, { ...args, list_files: true });
      assert.equal(r1.changed, true, `${name}: ${r1.msg}`);
      assert.ok((r1.files as string[]).includes('app/sub/b.txt'));
      assert.equal(readFileSync(`${dest}/app/sub/b.txt`, 'utf8'), 'B\n');
      if (name !== 'app.zip') assert.equal(readlinkSync(`${dest}/app/link`), 'a.txt');
      assert.equal((await runModule(unarchive, args)).changed, false, `${name}: second run`);
      writeFileSync(`${dest}/app/a.txt`, 'edited\n');
      assert.equal((await runModule(unarchive, args)).changed, true);
      assert.equal(readFileSync(`${dest}/app/a.txt`, 'utf8'), 'A\n');
    }
    const creates = await runModule(unarchive, { src: `${dir}/app.tar.gz`, dest: `${dir}/out-app.tar.gz`, creates: `${dir}/out-app.tar.gz/app` });
    assert.equal(creates.changed, false);
    assert.match(String(creates.msg), /skipped/);
    const noDest = await runModule(unarchive, { src: `${dir}/app.tar.gz`, dest: `${dir}/none` });
    assert.match(String(noDest.msg), /not a directory/);
  } finally {
    cleanup();
  }
});

test('on this host: a program that is running is replaced (a new file), not refused as "Text file busy"', async () => {
  const { dir, cleanup } = tempDir();
  const busy = `${dir}/dest/busy`;
  let child: ReturnType<typeof spawn> | undefined;
  try {
    mkdirSync(`${dir}/src`, { recursive: true });
    mkdirSync(`${dir}/dest`);
    copyFileSync('/bin/sleep', busy);
    child = spawn(busy, ['30']);
    await new Promise((res) => setTimeout(res, 200));
    writeFileSync(`${dir}/src/busy`, '#!/bin/sh\necho upgraded\n');
    execSync(`tar -czf ${dir}/up.tar.gz -C ${dir}/src busy`);
    const r = await runModule(unarchive, { src: `${dir}/up.tar.gz`, dest: `${dir}/dest` });
    assert.equal(r.failed, undefined, String(r.msg));
    assert.equal(r.changed, true);
    assert.equal(readFileSync(busy, 'utf8'), '#!/bin/sh\necho upgraded\n');
    assert.match(readlinkSync(`/proc/${child.pid}/exe`), / \(deleted\)$/, 'the running program keeps its old file');
  } finally {
    child?.kill();
    cleanup();
  }
});
