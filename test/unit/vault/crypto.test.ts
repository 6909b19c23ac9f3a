import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decryptWith, encrypt, isVaultText, parseEnvelope, VaultFormatError } from '../../../src/vault/crypto.js';
import { openVault, setVaultSecrets, VaultError } from '../../../src/vault/keyring.js';
import { parseYaml } from '../../../src/config/yaml.js';
import { VaultText } from '../../../src/vault/value.js';
import { renderValue } from '../../../src/vars/template.js';
import { mask } from '../../../src/report/mask.js';

// Written by Debian's ansible-vault 2.14 (password "pw1"; the second with --vault-id prod@FILE)
const PLAIN = 'line one\nsecond: "x"\n';
const V11 = `$ANSIBLE_VAULT;1.1;AES256
35393536663261383937303665663337393237643063303334373566386332346436376464323339
3935663937366538306232643334383030666163646565300a393436646539643831643135333436
33656563383231313036346665316233363538666236363162363964336131633662643434616631
3334653530376361390a616263363663353238363465353561613134323766306335636163616137
61646433373863383665643064323036626632653266333561643063333131363737
`;
const V12 = `$ANSIBLE_VAULT;1.2;AES256;prod
61336663626333366137626364353161373966633663656638373638353833396238373132333230
3863383130376639666363653937353130353437336238650a663665303734646634303034623136
32386264323730343233393439643137386435343366633962623836653565626164303864383762
6430633862636663660a363539356133333562386266333033643461666239646266656638663439
62623762313737333963613936353663626166626161396134353939393466396266
`;
const pw = (s: string) => Buffer.from(s);

test('opens what ansible-vault wrote, formats 1.1 and 1.2 (with its vault id)', () => {
  assert.equal(decryptWith(parseEnvelope(V11), pw('pw1'))?.toString(), PLAIN);
  const e = parseEnvelope(V12);
  assert.equal(e.label, 'prod');
  assert.equal(decryptWith(e, pw('pw1'))?.toString(), PLAIN);
});

test('a wrong password and a changed byte both fail the HMAC check: nothing is decrypted', () => {
  assert.equal(decryptWith(parseEnvelope(V11), pw('pw2')), undefined);
  const lines = V11.split('\n');
  // change one digit of the ciphertext (the last payload line): an inner '0'-'9' is outer 30-39
  const at = lines[5].search(/3[0-9]/);
  lines[5] = lines[5].slice(0, at + 1) + ((Number(lines[5][at + 1]) + 1) % 10) + lines[5].slice(at + 2);
  assert.equal(decryptWith(parseEnvelope(lines.join('\n')), pw('pw1')), undefined);
});

test('encrypt writes the envelope ansible-vault writes: header, hex lines of 80, fresh salt each time', () => {
  const a = encrypt('hello', pw('k'));
  const b = encrypt('hello', pw('k'), 'dev');
  assert.match(a, /^\$ANSIBLE_VAULT;1\.1;AES256\n([0-9a-f]{80}\n)+[0-9a-f]{1,80}\n$/);
  assert.match(b, /^\$ANSIBLE_VAULT;1\.2;AES256;dev\n/);
  assert.notEqual(a, encrypt('hello', pw('k')));
  assert.equal(decryptWith(parseEnvelope(a), pw('k'))?.toString(), 'hello');
  // a plaintext of exactly one block gets a whole block of padding, as PKCS#7 asks
  assert.equal(decryptWith(parseEnvelope(encrypt('0123456789abcdef', pw('k'))), pw('k'))?.toString(), '0123456789abcdef');
});

test('bad envelopes are refused with what was expected', () => {
  assert.ok(isVaultText(V11) && !isVaultText('a: 1'));
  assert.throws(() => parseEnvelope('$ANSIBLE_VAULT;1.0;AES\nff'), VaultFormatError);
  assert.throws(() => parseEnvelope('$ANSIBLE_VAULT;1.1;AES256\nxyz'), /not hexadecimal/);
  assert.throws(() => parseEnvelope('$ANSIBLE_VAULT;1.2;AES256\nff'), /needs a vault id/);
});

test('the keyring tries the matching vault id first, then the others; errors name the place, never the plaintext', () => {
  setVaultSecrets([{ label: 'dev', password: pw('nope') }, { label: 'other', password: pw('pw1') }]);
  assert.equal(openVault(V12, 'f.yml').toString(), PLAIN);
  setVaultSecrets([{ label: 'dev', password: pw('nope') }]);
  assert.throws(() => openVault(V12, 'f.yml'), (e: Error) => e instanceof VaultError && /f\.yml.*vault id 'prod', which was not given/.test(e.message) && !e.message.includes('line one'));
  assert.throws(() => openVault(V11, 'g.yml'), /decryption failed on g\.yml: the vault password is wrong or the file was changed/);
  setVaultSecrets([]);
  assert.throws(() => openVault(V11, 'g.yml'), /g\.yml is encrypted with Ansible Vault and no vault password was given/);
});

test('YAML: !vault values open at load with a password, stay lazy without one; whole files open', () => {
  const inline = `pw: !vault |\n  ${V11.trimEnd().split('\n').join('\n  ')}\nplain: 1\n`;
  setVaultSecrets([]);
  const lazy = parseYaml(inline, 'lazy.yml') as Record<string, unknown>;
  assert.ok(lazy.pw instanceof VaultText, 'no password: the value stays encrypted');
  assert.equal(lazy.plain, 1);
  assert.throws(() => renderValue('{{ pw }}', lazy), /lazy\.yml:1:\d+ is encrypted with Ansible Vault and no vault password was given/);
  assert.deepEqual(JSON.parse(JSON.stringify(lazy.pw)), { __ansible_vault: V11 });
  setVaultSecrets([{ label: 'default', password: pw('pw1') }]);
  assert.equal(renderValue('{{ pw }}', lazy), PLAIN, 'a password given later opens it when used');
  const open = parseYaml(inline, 'open.yml') as Record<string, unknown>;
  assert.equal(open.pw, PLAIN);
  const whole = encrypt('a: secret-of-a-file\nb: [1, 2]\n', pw('pw1'));
  assert.deepEqual(parseYaml(whole, 'whole.yml'), { a: 'secret-of-a-file', b: [1, 2] });
  assert.equal(mask('x secret-of-a-file y'), 'x ******** y', 'what a vault held is registered for masking');
  setVaultSecrets([{ label: 'default', password: pw('wrong') }]);
  assert.throws(() => parseYaml(inline, 'bad.yml'), /decryption failed on bad\.yml:1:\d+/);
  setVaultSecrets([]);
});
