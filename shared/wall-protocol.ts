/**
 * The wire format of the console wall's WebSocket (bridge path `/overview/<token>`), shared by the
 * backend (electron/core/bridge/thumbnail-wall.ts) and the page (renderer/src/lib/overview-wall.ts).
 *
 * Page → backend, text: `{"type":"watch","vms":["<poolId>/<vmUuid>", …]}` — the VMs whose tiles are
 * on screen now; each message replaces the last. Backend → page, text: a `WallStatus` for a VM whose
 * picture cannot be had (in use, not running, error). Backend → page, binary: one thumbnail, or the
 * rows of it that changed —
 *   u8 1 (frame) · u8 key length · key (UTF-8) · u16 width · u16 height · u16 screen width ·
 *   u16 screen height · u16 top row · width×rows×4 bytes RGBA (rows from `top` down).
 * A message with every row (top 0) is a whole picture; one with fewer rows replaces those rows of the
 * last picture the backend sent for that VM on this socket, which has the same sizes (the backend
 * sends a whole picture first, after a status, and whenever a size changes). A picture equal to the
 * last one sent is not sent at all. Integers are big-endian. Pure code: no Node or DOM APIs beyond
 * typed arrays.
 */
import { isId, isUuid } from './validate';

/** Most VMs one watch message may name. */
export const MAX_WALL_VMS = 512;
/** First byte of a binary thumbnail message. */
export const FRAME_TAG = 1;
/** Bytes of the fixed part of a frame header after the key. */
const FRAME_FIXED_BYTES = 10;

/** Why a tile has no fresh picture. */
export type WallStatusKind = 'in-use' | 'not-running' | 'offline' | 'error';

/** A text message from the backend about one tile. */
export interface WallStatus {
  type: 'status';
  key: string;
  status: WallStatusKind;
  message: string;
  /** For `in-use`: who holds the console, as xapi named them. */
  users?: string;
}

/** A decoded thumbnail message: a whole picture, or some of its rows (see the header). */
export interface WallFrame {
  key: string;
  /** The picture's size (not only of the rows sent), px. */
  width: number;
  height: number;
  screenWidth: number;
  screenHeight: number;
  /** First row sent. */
  top: number;
  /** RGBA of rows `top` … `top + rgba.length / (width × 4) - 1`. */
  rgba: Uint8Array;
}

/** True when `frame` carries the whole picture, not some of its rows. */
export function isWholeFrame(frame: WallFrame): boolean {
  return frame.top === 0 && frame.rgba.length === frame.width * frame.height * 4;
}

/** `${poolId}/${vmUuid}`: a tile's key on the wire. */
export function wallKey(poolId: string, vmUuid: string): string {
  return `${poolId}/${vmUuid}`;
}

/** Splits a tile key; undefined when it is not `<pool id>/<VM uuid>`. */
export function parseWallKey(key: unknown): { poolId: string; vmUuid: string } | undefined {
  if (typeof key !== 'string') return undefined;
  const slash = key.lastIndexOf('/');
  const poolId = key.slice(0, slash);
  const vmUuid = key.slice(slash + 1);
  return slash > 0 && isId(poolId) && isUuid(vmUuid) ? { poolId, vmUuid } : undefined;
}

/** The page's watch message. */
export function encodeWatch(keys: readonly string[]): string {
  return JSON.stringify({ type: 'watch', vms: keys });
}

/** A JSON object's fields, or undefined when `text` is not a JSON object. */
function jsonObject(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a watch message from the page (untrusted): the keys, or undefined when malformed. */
export function parseWatch(text: string): string[] | undefined {
  const value = jsonObject(text);
  if (value === undefined) return undefined;
  const { type, vms } = value;
  if (type !== 'watch' || !Array.isArray(vms) || vms.length > MAX_WALL_VMS) return undefined;
  if (!vms.every((k) => parseWallKey(k) !== undefined)) return undefined;
  return [...new Set(vms as string[])];
}

/** Parses a status message from the backend; undefined when it is not one. */
export function parseStatus(text: string): WallStatus | undefined {
  const v = jsonObject(text);
  if (v === undefined) return undefined;
  const kinds: readonly unknown[] = ['in-use', 'not-running', 'offline', 'error'];
  if (v.type !== 'status' || typeof v.key !== 'string' || !kinds.includes(v.status) || typeof v.message !== 'string') return undefined;
  return { type: 'status', key: v.key, status: v.status as WallStatusKind, message: v.message, ...(typeof v.users === 'string' ? { users: v.users } : {}) };
}

/** The header of a binary thumbnail message (the RGBA bytes of the rows from `top` follow it). */
export function encodeFrameHeader(key: string, width: number, height: number, screenWidth: number, screenHeight: number, top = 0): Uint8Array {
  const keyBytes = new TextEncoder().encode(key);
  if (keyBytes.length > 255) throw new Error('wall key too long');
  const out = new Uint8Array(2 + keyBytes.length + FRAME_FIXED_BYTES);
  const view = new DataView(out.buffer);
  out[0] = FRAME_TAG;
  out[1] = keyBytes.length;
  out.set(keyBytes, 2);
  const at = 2 + keyBytes.length;
  view.setUint16(at, width);
  view.setUint16(at + 2, height);
  view.setUint16(at + 4, screenWidth);
  view.setUint16(at + 6, screenHeight);
  view.setUint16(at + 8, top);
  return out;
}

/** Decodes a binary thumbnail message; undefined when malformed. */
export function decodeFrame(data: ArrayBuffer): WallFrame | undefined {
  const bytes = new Uint8Array(data);
  if (bytes.length < 2 || bytes[0] !== FRAME_TAG) return undefined;
  const keyLength = bytes[1] ?? 0;
  const at = 2 + keyLength;
  if (bytes.length < at + FRAME_FIXED_BYTES) return undefined;
  const view = new DataView(data);
  const width = view.getUint16(at);
  const height = view.getUint16(at + 2);
  const top = view.getUint16(at + 8);
  const rgba = bytes.subarray(at + FRAME_FIXED_BYTES);
  const rowBytes = width * 4;
  if (width === 0 || height === 0 || rgba.length === 0 || rgba.length % rowBytes !== 0 || top + rgba.length / rowBytes > height) return undefined;
  return {
    key: new TextDecoder().decode(bytes.subarray(2, at)),
    width,
    height,
    screenWidth: view.getUint16(at + 4),
    screenHeight: view.getUint16(at + 6),
    top,
    rgba,
  };
}
