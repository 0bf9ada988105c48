/**
 * Real `SecretCipher` implementations for tests under Node (Electron's safeStorage is not available
 * there): AES-256-GCM with a key held by the test, reporting either a real keychain backend or Linux
 * `basic_text`. They encrypt for real; they are not canned answers.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SecretCipher } from '../../electron/core/secret-store';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/** An AES-256-GCM cipher that reports `backend` (e.g. `gnome_libsecret` or `basic_text`). */
export function aesGcmCipher(backend: string, key: Buffer = randomBytes(32)): SecretCipher {
  return {
    isEncryptionAvailable: () => true,
    getSelectedStorageBackend: () => backend,
    encryptString(plain: string): Buffer {
      const iv = randomBytes(IV_BYTES);
      const c = createCipheriv('aes-256-gcm', key, iv);
      const body = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
      return Buffer.concat([iv, c.getAuthTag(), body]);
    },
    decryptString(blob: Buffer): string {
      const d = createDecipheriv('aes-256-gcm', key, blob.subarray(0, IV_BYTES));
      d.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([d.update(blob.subarray(IV_BYTES + TAG_BYTES)), d.final()]).toString('utf8');
    },
  };
}
