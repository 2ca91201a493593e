/**
 * The secrets vault: AES-256-GCM with a random 96-bit IV per value and a 128-bit tag.
 *
 * A sealed value is `lsv1:<key id>:<base64url(iv ‖ ciphertext ‖ tag)>`. The key id is a short
 * fingerprint of the key (not the key), so a relay holding several keys (during a rotation) knows
 * which one opens a value, and a relay with the wrong key says so instead of reporting garbage.
 * Each value is bound to where it is stored (additional authenticated data such as
 * `destination:<site>:<slug>:access_token`), so a ciphertext copied into another row fails to open.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'lsv1:';
const SEALED = /^lsv1:([0-9a-f]{8}):([A-Za-z0-9_-]+)$/;

export type VaultErrorCode = 'unknown_key' | 'tampered' | 'malformed' | 'bad_key';

/** A secret that cannot be opened, or key material that is not a key. Never carries key or plaintext. */
export class VaultError extends Error {
  constructor(
    readonly code: VaultErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'VaultError';
  }
}

/** Short, non-secret fingerprint of a key: the first 8 hex digits of a domain-separated SHA-256. */
export function keyId(key: Buffer): string {
  return createHash('sha256').update('layersync-vault-key-id\0').update(key).digest('hex').slice(0, 8);
}

/**
 * Parses key material: 64 hex characters, or base64/base64url of exactly 32 bytes.
 * @param source names where the key came from, for the error message (never the key itself).
 */
export function parseKey(text: string, source: string): Buffer {
  const s = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(s)) return Buffer.from(s, 'hex');
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(s)) {
    const buf = Buffer.from(s.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (buf.length === KEY_BYTES) return buf;
  }
  throw new VaultError(
    'bad_key',
    `${source} must hold a 32-byte key as 64 hex characters or base64 (generate one with: openssl rand -base64 32)`,
  );
}

export interface VaultKey {
  id: string;
  key: Buffer;
  /** Where it came from, for messages: "LAYERSYNC_VAULT_KEY", "key file /var/lib/…". */
  source: string;
}

export class Vault {
  private readonly byId = new Map<string, VaultKey>();
  /** Opened values by sealed text and context: opening runs on every signed request. */
  private readonly cache = new Map<string, string>();

  /**
   * @param current the key new values are sealed with.
   * @param previous keys that may still open older values (rotation); never used to seal.
   */
  constructor(
    readonly current: VaultKey,
    previous: readonly VaultKey[] = [],
  ) {
    for (const k of [current, ...previous]) {
      if (k.key.length !== KEY_BYTES) throw new VaultError('bad_key', `${k.source} is not a 32-byte key`);
      if (!this.byId.has(k.id)) this.byId.set(k.id, k);
    }
  }

  static fromKey(key: Buffer, source: string, previous: readonly Buffer[] = []): Vault {
    return new Vault(
      { id: keyId(key), key, source },
      previous.map((k, i) => ({ id: keyId(k), key: k, source: `previous key #${i + 1}` })),
    );
  }

  get keyId(): string {
    return this.current.id;
  }

  isSealed(value: unknown): value is string {
    return typeof value === 'string' && value.startsWith(PREFIX);
  }

  /** Sealed with the current key (a value sealed with an older key should be sealed again). */
  isCurrent(value: string): boolean {
    return SEALED.exec(value)?.[1] === this.current.id;
  }

  /** Encrypts `plain`, binding it to `context` (where it is stored). */
  seal(plain: string, context: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ct = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return `${PREFIX}${this.current.id}:${Buffer.concat([iv, ct, tag]).toString('base64url')}`;
  }

  /**
   * Decrypts a sealed value. A value without the vault prefix is returned as it is: rows written
   * before the vault existed are plaintext until the start-up migration seals them.
   * @throws VaultError naming the problem (unknown key, tampered, malformed), never the value.
   */
  open(stored: string, context: string): string {
    if (!stored.startsWith(PREFIX)) return stored;
    const cacheKey = `${context}\0${stored}`;
    const hit = this.cache.get(cacheKey);
    if (hit !== undefined) return hit;
    const m = SEALED.exec(stored);
    if (!m) throw new VaultError('malformed', `the stored secret for ${context} is not a valid sealed value; set it again`);
    const key = this.byId.get(m[1]!);
    if (!key) {
      throw new VaultError(
        'unknown_key',
        `the secret for ${context} was encrypted with vault key ${m[1]}, but this relay has key ${this.current.id} (${this.current.source})` +
          `${this.byId.size > 1 ? ` and ${[...this.byId.keys()].filter((k) => k !== this.current.id).join(', ')}` : ''}. ` +
          'Start the relay with the key that was used (LAYERSYNC_VAULT_KEY or LAYERSYNC_VAULT_KEY_FILE), or list it in ' +
          'LAYERSYNC_VAULT_PREVIOUS_KEYS while rotating to a new key',
      );
    }
    const raw = Buffer.from(m[2]!, 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES) {
      throw new VaultError('malformed', `the stored secret for ${context} is truncated; set it again`);
    }
    const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
    let plain: string;
    try {
      plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new VaultError(
        'tampered',
        `the secret for ${context} failed authentication with vault key ${key.id}: the stored value was modified, corrupted or ` +
          'copied from another row; set it again',
      );
    }
    if (this.cache.size >= 1000) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(cacheKey, plain);
    return plain;
  }
}

/** How secrets are shown anywhere outside the vault: `••••abcd` (the last four characters of a long value). */
export const MASK = '••••';
export function maskSecret(value: unknown): string {
  if (typeof value !== 'string' || value.length < 12) return MASK;
  return MASK + value.slice(-4);
}
export function isMasked(value: unknown): boolean {
  return typeof value === 'string' && value.startsWith(MASK);
}
