import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { destinations } from '../../src/destinations/registry.js';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { isMasked, keyId, maskSecret, parseKey, Vault, VaultError } from '../../src/vault/cipher.js';
import { defaultKeyFile, resolveVault } from '../../src/vault/keyring.js';
import { openVaultedStore } from '../../src/vault/open.js';
import { SECRET, SITE, tempDir, testConfig } from '../helpers.js';

const TOKEN = 'EAAB-plaintext-meta-token-which-must-never-hit-disk';
const PIXEL = '1234567890123456';
const key = () => randomBytes(32);

describe('vault cipher', () => {
  const vault = Vault.fromKey(key(), 'test key');

  it('round-trips, with a fresh IV per value and a key id prefix', () => {
    const a = vault.seal(TOKEN, 'destination:s:meta:access_token');
    const b = vault.seal(TOKEN, 'destination:s:meta:access_token');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^lsv1:${vault.keyId}:[A-Za-z0-9_-]+$`));
    expect(a).not.toContain(TOKEN);
    expect(vault.open(a, 'destination:s:meta:access_token')).toBe(TOKEN);
    expect(vault.open(b, 'destination:s:meta:access_token')).toBe(TOKEN);
    expect(vault.open('', 'x')).toBe('');
    expect(vault.open(vault.seal('', 'x'), 'x')).toBe('');
    expect(vault.open(vault.seal('ünïcødé ✓', 'x'), 'x')).toBe('ünïcødé ✓');
    // Legacy plaintext passes through until the migration seals it.
    expect(vault.open('plain', 'x')).toBe('plain');
    expect(vault.isSealed(a)).toBe(true);
    expect(vault.isCurrent(a)).toBe(true);
  });

  it('detects tampering: a flipped bit, a truncated value, or a value moved to another row', () => {
    const sealed = vault.seal(TOKEN, 'site:a:secret');
    const raw = Buffer.from(sealed.split(':')[2]!, 'base64url');
    for (const i of [0, 12, raw.length - 1]) {
      const bad = Buffer.from(raw);
      bad[i]! ^= 1;
      const tampered = `lsv1:${vault.keyId}:${bad.toString('base64url')}`;
      expect(() => vault.open(tampered, 'site:a:secret')).toThrow(VaultError);
      try {
        vault.open(tampered, 'site:a:secret');
      } catch (err) {
        expect((err as VaultError).code).toBe('tampered');
        expect((err as Error).message).toMatch(/^the secret for site:a:secret failed authentication with vault key [0-9a-f]{8}: the stored value was modified/);
        expect((err as Error).message).not.toContain(TOKEN);
      }
    }
    expect(() => vault.open(sealed, 'site:b:secret')).toThrow(/failed authentication/);
    expect(() => vault.open(`lsv1:${vault.keyId}:AAAA`, 'x')).toThrow(/truncated/);
    expect(() => vault.open('lsv1:nothex!:abc', 'x')).toThrow(/not a valid sealed value/);
  });

  it('names the key ids and what to do when the key is wrong', () => {
    const sealed = vault.seal(TOKEN, 'x');
    const other = Vault.fromKey(key(), 'LAYERSYNC_VAULT_KEY');
    let message = '';
    try {
      other.open(sealed, 'x');
    } catch (err) {
      expect(err).toBeInstanceOf(VaultError);
      expect((err as VaultError).code).toBe('unknown_key');
      message = (err as Error).message;
    }
    expect(message).toBe(
      `the secret for x was encrypted with vault key ${vault.keyId}, but this relay has key ${other.keyId} (LAYERSYNC_VAULT_KEY). ` +
        'Start the relay with the key that was used (LAYERSYNC_VAULT_KEY or LAYERSYNC_VAULT_KEY_FILE), or list it in LAYERSYNC_VAULT_PREVIOUS_KEYS while rotating to a new key',
    );
  });

  it('opens values of a previous key during a rotation, and seals only with the current one', () => {
    const oldKey = key();
    const old = Vault.fromKey(oldKey, 'old');
    const sealed = old.seal(TOKEN, 'x');
    const rotated = Vault.fromKey(key(), 'new', [oldKey]);
    expect(rotated.open(sealed, 'x')).toBe(TOKEN);
    expect(rotated.isCurrent(sealed)).toBe(false);
    expect(rotated.isCurrent(rotated.seal(TOKEN, 'x'))).toBe(true);
  });

  it('parses keys as hex or base64, and never echoes a bad one', () => {
    const k = key();
    expect(parseKey(k.toString('hex'), 'K')).toEqual(k);
    expect(parseKey(k.toString('base64'), 'K')).toEqual(k);
    expect(parseKey(`${k.toString('base64url')}\n`, 'K')).toEqual(k);
    expect(keyId(k)).toMatch(/^[0-9a-f]{8}$/);
    expect(() => parseKey('too-short-key-material', 'LAYERSYNC_VAULT_KEY')).toThrow(
      'LAYERSYNC_VAULT_KEY must hold a 32-byte key as 64 hex characters or base64 (generate one with: openssl rand -base64 32)',
    );
    expect(maskSecret(TOKEN)).toBe('••••disk');
    expect(maskSecret('short')).toBe('••••');
    expect(isMasked(maskSecret(TOKEN))).toBe(true);
  });

  it('config validates vault variables without echoing their values', () => {
    const k = key().toString('base64');
    expect(loadConfig({ LAYERSYNC_VAULT_KEY: k }).vaultKey).toBe(k);
    expect(loadConfig({ LAYERSYNC_VAULT_PREVIOUS_KEYS: `${key().toString('hex')}, ${k}` }).vaultPreviousKeys).toHaveLength(2);
    expect(loadConfig({ LAYERSYNC_VAULT_KEY_FILE: 'keys/vault.key' }).vaultKeyFile).toBe(path.resolve('keys/vault.key'));
    try {
      loadConfig({ LAYERSYNC_VAULT_KEY: 'my-secret-but-wrong-key', LAYERSYNC_VAULT_PREVIOUS_KEYS: 'also-wrong' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).problems).toEqual([
        'LAYERSYNC_VAULT_KEY must be 32 bytes as 64 hex characters or base64 (generate one with: openssl rand -base64 32), got a value of 23 characters',
        'LAYERSYNC_VAULT_PREVIOUS_KEYS must be a comma-separated list of keys, each 32 bytes as 64 hex characters or base64 (generate one with: openssl rand -base64 32), got a value of 10 characters',
      ]);
      expect((err as Error).message).not.toContain('my-secret-but-wrong-key');
    }
    expect(() => loadConfig({ LAYERSYNC_VAULT_KEY: k, LAYERSYNC_VAULT_KEY_FILE: '/k' })).toThrow(/set only one/);
  });
});

describe('vault key sources', () => {
  let t: ReturnType<typeof tempDir>;
  let db: string;
  beforeEach(() => {
    t = tempDir();
    db = path.join(t.dir, 'data', 'relay.sqlite');
  });
  afterEach(() => t.cleanup());

  it('generates a 0600 key file next to a new database and logs where, never the key', () => {
    const logs: string[] = [];
    const { store, vault } = openVaultedStore({
      dbPath: db,
      vault: {},
      registry: destinations,
      log: { info: (o, m) => logs.push(JSON.stringify(o) + m), warn: (o, m) => logs.push(JSON.stringify(o) + m) },
    });
    void store.close();
    const file = defaultKeyFile(db);
    expect(vault).toMatchObject({ source: 'generated', keyFile: file });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const keyText = readFileSync(file, 'utf8').trim();
    expect(parseKey(keyText, 'file')).toHaveLength(32);
    expect(logs.join('\n')).toContain(file);
    expect(logs.join('\n')).not.toContain(keyText);
    // The next start reuses it.
    expect(resolveVault({}, { dbPath: db, hasSealedSecrets: () => true })).toMatchObject({ source: 'file', keyFile: file });
  });

  it('uses LAYERSYNC_VAULT_KEY or LAYERSYNC_VAULT_KEY_FILE, warns about a readable key file, refuses a missing one', () => {
    const k = key();
    expect(resolveVault({ vaultKey: k.toString('hex') }, { dbPath: db, hasSealedSecrets: () => false })).toMatchObject({ source: 'env' });
    expect(existsSync(defaultKeyFile(db))).toBe(false);
    const file = path.join(t.dir, 'vault.key');
    writeFileSync(file, k.toString('base64'), { mode: 0o644 });
    const r = resolveVault({ vaultKeyFile: file }, { dbPath: db, hasSealedSecrets: () => false });
    expect(r.vault.keyId).toBe(keyId(k));
    expect(r.warnings).toEqual([`the vault key file ${file} is readable by other users (mode 644); run: chmod 600 ${file}`]);
    expect(() => resolveVault({ vaultKeyFile: path.join(t.dir, 'missing.key') }, { dbPath: db, hasSealedSecrets: () => false })).toThrow(
      /LAYERSYNC_VAULT_KEY_FILE names .*missing\.key, which does not exist/,
    );
  });

  it('refuses to generate a new key for a database whose secrets are sealed with a lost one', async () => {
    const { store } = openVaultedStore({ dbPath: db, vault: {}, registry: destinations, log: { info: () => undefined, warn: () => undefined } });
    await store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    await store.close();
    const { rmSync } = await import('node:fs');
    rmSync(defaultKeyFile(db));
    expect(() => openVaultedStore({ dbPath: db, vault: {}, registry: destinations, log: { info: () => undefined, warn: () => undefined } })).toThrow(
      `${db} holds encrypted secrets, but its vault key file ${defaultKeyFile(db)} is missing. Restore the key file from your backup, or set LAYERSYNC_VAULT_KEY / LAYERSYNC_VAULT_KEY_FILE to the key that was used`,
    );
  });
});

describe('secrets at rest', () => {
  let t: ReturnType<typeof tempDir>;
  let db: string;
  const quiet = { info: () => undefined, warn: () => undefined };
  beforeEach(() => {
    t = tempDir();
    db = path.join(t.dir, 'relay.sqlite');
  });
  afterEach(() => t.cleanup());

  /** Every byte SQLite keeps for this database. */
  const fileBytes = () => Buffer.concat(['', '-wal', '-shm', '-journal'].map((s) => (existsSync(db + s) ? readFileSync(db + s) : Buffer.alloc(0))));

  it('the database file never contains a plaintext token or site secret written through the admin API', async () => {
    const adminToken = 'admin-token-0123456789abcdef';
    const app = await buildApp({ config: testConfig({ dbPath: db, adminToken }), registry: destinations, startWorker: false });
    const auth = { authorization: `Bearer ${adminToken}` };
    const site = await app.inject({ method: 'POST', url: '/v1/admin/sites', headers: auth, payload: { site_id: SITE } });
    const siteSecret = site.json().secret as string;
    const res = await app.inject({
      method: 'POST',
      url: '/v1/admin/destinations',
      headers: auth,
      payload: { site_id: SITE, slug: 'meta', settings: { pixel_id: PIXEL, access_token: TOKEN } },
    });
    expect(res.statusCode).toBe(201);
    // Written to the WAL; checked before and after the checkpoint that closing does.
    expect(fileBytes().includes(Buffer.from(TOKEN))).toBe(false);
    expect(fileBytes().includes(Buffer.from(siteSecret))).toBe(false);
    expect(fileBytes().includes(Buffer.from(PIXEL))).toBe(true); // not secret: stored as is
    await app.close();
    expect(fileBytes().includes(Buffer.from(TOKEN))).toBe(false);
    expect(fileBytes().includes(Buffer.from(siteSecret))).toBe(false);

    const raw = new Database(db, { readonly: true });
    const row = raw.prepare('SELECT settings FROM destinations').get() as { settings: string };
    const secretRow = raw.prepare('SELECT secret FROM sites').get() as { secret: string };
    raw.close();
    expect(JSON.parse(row.settings)).toMatchObject({ pixel_id: PIXEL, access_token: expect.stringMatching(/^lsv1:[0-9a-f]{8}:/) });
    expect(secretRow.secret).toMatch(/^lsv1:/);

    // Reopened with the key file: the relay reads its secrets back.
    const { store } = openVaultedStore({ dbPath: db, vault: {}, registry: destinations, log: quiet });
    expect((await store.listDestinations())[0]!.settings).toMatchObject({ access_token: TOKEN });
    expect(await store.getSite(SITE)).toMatchObject({ secrets: [siteSecret] });
    await store.close();
  });

  it('migrates plaintext rows written before the vault, keeping parked state, and leaves no plaintext in the file', async () => {
    const plain = openSqliteStore(db);
    await plain.upsertSite({ siteId: SITE, secrets: [SECRET, 'p'.repeat(64)] }, 1000);
    const d = await plain.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { pixel_id: PIXEL, access_token: TOKEN } }, 1000);
    await plain.parkDestination(d.id, 'Meta refused the token', 2000);
    await plain.close();
    expect(fileBytes().includes(Buffer.from(TOKEN))).toBe(true);

    const logs: string[] = [];
    const { store } = openVaultedStore({ dbPath: db, vault: {}, registry: destinations, log: { info: (o, m) => logs.push(`${m} ${JSON.stringify(o)}`), warn: () => undefined } });
    expect(logs.join('\n')).toMatch(/sealed stored secrets with the current vault key \{"sites":1,"destinations":1/);
    expect(await store.getDestination(d.id)).toMatchObject({ settings: { access_token: TOKEN }, parkedAt: 2000, parkedReason: 'Meta refused the token', updatedAt: 2000 });
    expect(await store.getSite(SITE)).toMatchObject({ secrets: [SECRET, 'p'.repeat(64)], updatedAt: 1000 });
    await store.close();
    const bytes = fileBytes();
    expect(bytes.includes(Buffer.from(TOKEN))).toBe(false);
    expect(bytes.includes(Buffer.from(SECRET))).toBe(false);
    expect(bytes.includes(Buffer.from('p'.repeat(64)))).toBe(false);

    // Idempotent: nothing left to seal.
    const again: string[] = [];
    const reopened = openVaultedStore({ dbPath: db, vault: {}, registry: destinations, log: { info: (_o, m) => again.push(m), warn: () => undefined } });
    expect(again).toEqual([]);
    await reopened.store.close();
  });

  it('rotates keys: the new key re-seals what the previous one sealed; the old key alone then fails clearly', async () => {
    const oldKey = key().toString('base64');
    const newKey = key().toString('hex');
    const first = openVaultedStore({ dbPath: db, vault: { vaultKey: oldKey }, registry: destinations, log: quiet });
    await first.store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    await first.store.upsertDestination({ siteId: SITE, slug: 'meta', enabled: true, mode: 'live', settings: { pixel_id: PIXEL, access_token: TOKEN } });
    await first.store.close();

    expect(() => openVaultedStore({ dbPath: db, vault: { vaultKey: newKey }, registry: destinations, log: quiet })).toThrow(/LAYERSYNC_VAULT_PREVIOUS_KEYS/);

    const rotating = openVaultedStore({ dbPath: db, vault: { vaultKey: newKey, vaultPreviousKeys: [oldKey] }, registry: destinations, log: quiet });
    expect((await rotating.store.listDestinations())[0]!.settings).toMatchObject({ access_token: TOKEN });
    await rotating.store.close();

    const after = openVaultedStore({ dbPath: db, vault: { vaultKey: newKey }, registry: destinations, log: quiet });
    expect(await after.store.getSite(SITE)).toMatchObject({ secrets: [SECRET] });
    await after.store.close();

    let message = '';
    try {
      openVaultedStore({ dbPath: db, vault: { vaultKey: oldKey }, registry: destinations, log: quiet });
    } catch (err) {
      expect(err).toBeInstanceOf(VaultError);
      message = (err as Error).message;
    }
    expect(message).toMatch(/^the secret for site:test-site:secret was encrypted with vault key [0-9a-f]{8}, but this relay has key [0-9a-f]{8} \(LAYERSYNC_VAULT_KEY\)/);
  });

  it('the relay refuses to start with the wrong key, naming the problem', async () => {
    const first = openVaultedStore({ dbPath: db, vault: { vaultKey: key().toString('hex') }, registry: destinations, log: quiet });
    await first.store.upsertSite({ siteId: SITE, secrets: [SECRET] });
    await first.store.close();
    await expect(
      buildApp({ config: testConfig({ dbPath: db, vaultKey: key().toString('hex') }), registry: destinations, startWorker: false }),
    ).rejects.toThrow(/was encrypted with vault key [0-9a-f]{8}, but this relay has key/);
  });
});
