/**
 * Where the vault key comes from, in order: LAYERSYNC_VAULT_KEY (the key itself),
 * LAYERSYNC_VAULT_KEY_FILE (a file holding it), else — the embedded default — a key file next to
 * the database (`<db>.vault-key`), generated with 0600 permissions on first start. Keys listed in
 * LAYERSYNC_VAULT_PREVIOUS_KEYS open older values during a rotation; the start-up migration
 * re-seals everything with the current key, after which they can be removed.
 *
 * The key is never logged: only the key id (a fingerprint) and the file's path are.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import path from 'node:path';
import { KEY_BYTES, Vault, VaultError, keyId, parseKey } from './cipher.js';

export interface VaultKeyConfig {
  /** LAYERSYNC_VAULT_KEY */
  vaultKey?: string;
  /** LAYERSYNC_VAULT_KEY_FILE */
  vaultKeyFile?: string;
  /** LAYERSYNC_VAULT_PREVIOUS_KEYS */
  vaultPreviousKeys?: string[];
}

export interface ResolvedVault {
  vault: Vault;
  source: 'env' | 'file' | 'generated' | 'ephemeral';
  /** The key file used or generated (not for env and ephemeral keys). */
  keyFile?: string;
  /** Warnings for the operator (e.g. a key file readable by others). */
  warnings: string[];
}

/** The embedded default's key file for a database file. */
export function defaultKeyFile(dbPath: string): string {
  return `${dbPath}.vault-key`;
}

export interface ResolveOptions {
  dbPath: string;
  /**
   * Whether the database already holds sealed secrets. A missing default key file is then an
   * error, not a reason to generate a new key that could never open them.
   */
  hasSealedSecrets: () => boolean;
}

export function resolveVault(cfg: VaultKeyConfig, opts: ResolveOptions): ResolvedVault {
  const previous = (cfg.vaultPreviousKeys ?? []).map((k, i) => parseKey(k, `LAYERSYNC_VAULT_PREVIOUS_KEYS entry #${i + 1}`));
  const warnings: string[] = [];
  const build = (key: Buffer, source: string) => Vault.fromKey(key, source, previous);

  if (cfg.vaultKey !== undefined && cfg.vaultKeyFile !== undefined) {
    throw new VaultError('bad_key', 'set only one of LAYERSYNC_VAULT_KEY and LAYERSYNC_VAULT_KEY_FILE');
  }
  if (cfg.vaultKey !== undefined) {
    return { vault: build(parseKey(cfg.vaultKey, 'LAYERSYNC_VAULT_KEY'), 'LAYERSYNC_VAULT_KEY'), source: 'env', warnings };
  }
  if (cfg.vaultKeyFile !== undefined) {
    const file = cfg.vaultKeyFile;
    if (!existsSync(file)) {
      throw new VaultError(
        'bad_key',
        `LAYERSYNC_VAULT_KEY_FILE names ${file}, which does not exist; create it with: ` +
          `(umask 077; openssl rand -base64 32 > ${file})`,
      );
    }
    warnings.push(...permissionWarnings(file));
    return { vault: build(readKeyFile(file, 'LAYERSYNC_VAULT_KEY_FILE'), `key file ${file}`), source: 'file', keyFile: file, warnings };
  }
  if (opts.dbPath === ':memory:') {
    // Nothing outlives the process, so neither does the key.
    return { vault: build(randomBytes(KEY_BYTES), 'an in-memory key'), source: 'ephemeral', warnings };
  }

  const file = defaultKeyFile(opts.dbPath);
  if (existsSync(file)) {
    warnings.push(...permissionWarnings(file));
    return { vault: build(readKeyFile(file, `the vault key file ${file}`), `key file ${file}`), source: 'file', keyFile: file, warnings };
  }
  if (opts.hasSealedSecrets()) {
    throw new VaultError(
      'unknown_key',
      `${opts.dbPath} holds encrypted secrets, but its vault key file ${file} is missing. Restore the key file from your ` +
        'backup, or set LAYERSYNC_VAULT_KEY / LAYERSYNC_VAULT_KEY_FILE to the key that was used',
    );
  }
  const key = randomBytes(KEY_BYTES);
  if (writeKeyFileExclusive(file, key)) {
    return { vault: build(key, `key file ${file}`), source: 'generated', keyFile: file, warnings };
  }
  // Another process (the CLI, a second relay) generated it first: use theirs.
  return { vault: build(readKeyFile(file, `the vault key file ${file}`), `key file ${file}`), source: 'file', keyFile: file, warnings };
}

function readKeyFile(file: string, source: string): Buffer {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new VaultError('bad_key', `cannot read ${source}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}; check its permissions`);
  }
  return parseKey(text, source);
}

/** Creates the file with 0600 permissions, failing (false) when it already exists. */
function writeKeyFileExclusive(file: string, key: Buffer): boolean {
  mkdirSync(path.dirname(file), { recursive: true });
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${key.toString('base64')}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return true;
}

function permissionWarnings(file: string): string[] {
  if (process.platform === 'win32') return [];
  const mode = statSync(file).mode & 0o777;
  return mode & 0o077
    ? [`the vault key file ${file} is readable by other users (mode ${mode.toString(8)}); run: chmod 600 ${file}`]
    : [];
}

export { keyId };
