/**
 * Where pool passwords live. The shell injects Electron's `safeStorage` (it has exactly the
 * `SecretCipher` shape); the CLI and the web harness run under plain Node and use `memoryOnlyCipher`.
 *
 * Policy (decided here, once):
 * - encryption unavailable (the CLI, the harness) → memory only, saying so (whatever the checkbox said);
 * - the user did not ask to remember the password → memory only;
 * - a real OS keychain backs safeStorage → sealed with it and stored (base64) in the config;
 * - Linux `basic_text` (no keyring: safeStorage only obfuscates with a fixed key) → memory only, with a
 *   reason the UI shows, unless the user explicitly opted in (`allowPlainTextStorage`) after a warning;
 * A password is never written anywhere in clear and never logged.
 */
import type { PasswordStorage, SecretBackend } from '../../shared/contract';
import { PortholeError } from '../../shared/errors';

/** Electron's `safeStorage` shape. */
export interface SecretCipher {
  isEncryptionAvailable(): boolean;
  /** Linux only in Electron: `basic_text`, `gnome_libsecret`, `kwallet`… */
  getSelectedStorageBackend?(): string;
  encryptString(plainText: string): Buffer;
  decryptString(encrypted: Buffer): string;
}

/** A cipher that cannot encrypt: passwords stay in memory (CLI, web harness). */
export const memoryOnlyCipher: SecretCipher = {
  isEncryptionAvailable: () => false,
  encryptString: () => {
    throw new PortholeError('INTERNAL', 'No secret storage is available in this process.');
  },
  decryptString: () => {
    throw new PortholeError('INTERNAL', 'No secret storage is available in this process.');
  },
};

/** Reason shown when the OS has no keyring (Linux basic_text). */
export const BASIC_TEXT_REASON =
  'No system keyring (Secret Service or KWallet) is available, so the password could only be stored obfuscated, not encrypted. ' +
  'Porthole keeps it in memory until you quit. Allow plain-text storage in the pool settings to store it anyway.';
/** Reason shown when this process has no secret storage at all. */
export const UNAVAILABLE_REASON = 'This process has no secure storage: the password is kept in memory until it exits.';
/** Reason shown when the user chose not to remember the password. */
export const NOT_REMEMBERED_REASON = 'Not remembered (your choice): kept in memory until Porthole quits.';

/** Decision for one password. */
export interface StorageDecision {
  storage: Extract<PasswordStorage, 'saved' | 'memory'>;
  /** Why it is not saved (shown to the user), when memory. */
  reason?: string;
}

/** Wraps a cipher with the storage policy above. */
export class SecretStore {
  private readonly cipher: SecretCipher;

  constructor(cipher: SecretCipher) {
    this.cipher = cipher;
  }

  /** How safe storage is on this machine. */
  backend(): SecretBackend {
    if (!this.cipher.isEncryptionAvailable()) return 'unavailable';
    return this.cipher.getSelectedStorageBackend?.() === 'basic_text' ? 'basic_text' : 'os';
  }

  /** Whether a password may be stored, given the user's choices. */
  decide(remember: boolean, allowPlainTextStorage: boolean): StorageDecision {
    const backend = this.backend();
    // Where nothing can be stored, that is the reason, whatever the (disabled) checkbox says.
    if (backend === 'unavailable') return { storage: 'memory', reason: UNAVAILABLE_REASON };
    if (!remember) return { storage: 'memory', reason: NOT_REMEMBERED_REASON };
    switch (backend) {
      case 'os':
        return { storage: 'saved' };
      case 'basic_text':
        return allowPlainTextStorage ? { storage: 'saved' } : { storage: 'memory', reason: BASIC_TEXT_REASON };
    }
  }

  /** Encrypts a password into a base64 blob for the config. */
  seal(password: string): string {
    return this.cipher.encryptString(password).toString('base64');
  }

  /** Decrypts a blob from the config; undefined when it cannot (another machine/user, no cipher). */
  open(blob: string): string | undefined {
    if (!this.cipher.isEncryptionAvailable()) return undefined;
    try {
      return this.cipher.decryptString(Buffer.from(blob, 'base64'));
    } catch {
      return undefined;
    }
  }
}
