/**
 * API keys: `seif_<prefix>_<secret>`. The prefix (12 base32 chars) identifies the key and is stored in clear;
 * the secret (32 random bytes, base64url) is stored only as an argon2id hash. A leaked database therefore
 * leaks no usable key, and a lookup is one indexed query by prefix plus one hash verification.
 */
import { randomBytes } from 'node:crypto';
import { hash, verify } from '@node-rs/argon2';

const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const KEY_PATTERN = /^seif_([a-z2-7]{12})_([A-Za-z0-9_-]{43})$/;

export interface ParsedApiKey {
  prefix: string;
  secret: string;
}

export interface NewApiKey extends ParsedApiKey {
  /** The full key to hand to the user once. */
  key: string;
  /** argon2id hash of the secret, to store. */
  hash: string;
}

export function parseApiKey(key: string): ParsedApiKey | undefined {
  const match = KEY_PATTERN.exec(key.trim());
  return match ? { prefix: match[1] as string, secret: match[2] as string } : undefined;
}

export async function generateApiKey(): Promise<NewApiKey> {
  const prefix = Array.from(randomBytes(12), (byte) => PREFIX_ALPHABET[byte % 32]).join('');
  const secret = randomBytes(32).toString('base64url');
  return { prefix, secret, key: `seif_${prefix}_${secret}`, hash: await hash(secret) };
}

export function verifySecret(storedHash: string, secret: string): Promise<boolean> {
  return verify(storedHash, secret).catch(() => false);
}
