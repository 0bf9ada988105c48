/**
 * Picks the page's backend: the Electron preload's `window.porthole` when present, else the web
 * harness client over `ws://<host>/api?token=<t>` (token from `?token=` or `#token=`). Everything else
 * in the renderer calls `api()` and only knows the contract in `shared/contract.ts`.
 */
import type { PortholeApi } from '../../../shared/contract';
import { REQUEST_CHANNELS } from '../../../shared/contract';
import type { ErrorCode } from '../../../shared/errors';
import { isErrorCode } from '../../../shared/errors';
import type { HarnessClient } from './harness-client';
import { createHarnessClient } from './harness-client';
import { harnessSocketUrl, readToken } from './location-params';

declare global {
  interface Window {
    /** Exposed by the Electron preload; absent in a plain browser. */
    porthole?: PortholeApi;
  }
}

let chosen: PortholeApi | undefined;
let harness: HarnessClient | undefined;

/** The backend API (created on first use). Throws when neither the preload nor a token is there. */
export function api(): PortholeApi {
  if (chosen !== undefined) return chosen;
  if (window.porthole !== undefined) {
    chosen = window.porthole;
    return chosen;
  }
  const token = readToken(window.location);
  if (token === undefined) throw new Error('No backend: open the address printed by `porthole web` (it carries the token).');
  harness = createHarnessClient({ url: harnessSocketUrl(window.location.host, token) });
  chosen = harness;
  return chosen;
}

/** The harness client when the page runs in a browser (for the connection banner), else undefined. */
export function harnessClient(): HarnessClient | undefined {
  api();
  return harness;
}

/** True when the contract has a request channel by that name (for optional, newer channels). */
export function hasChannel(channel: string): boolean {
  return (REQUEST_CHANNELS as readonly string[]).includes(channel);
}

/**
 * Calls a channel that may not exist in this build's contract yet (checked with `hasChannel`).
 * Returns undefined without calling when it does not exist.
 */
export function invokeOptional(channel: string, arg: unknown): Promise<unknown> | undefined {
  if (!hasChannel(channel)) return undefined;
  // Checked at run time above; the contract type cannot know which channels this build has.
  const client = api() as unknown as { invoke(channel: string, arg: unknown): Promise<unknown> };
  return client.invoke(channel, arg);
}

/** The stable code of an error thrown by `invoke`, if it has one. */
export function errorCode(error: unknown): ErrorCode | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error && isErrorCode(error.code)) return error.code;
  return undefined;
}

/** A human message for any thrown value. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'string') return error;
  return 'Something went wrong.';
}
