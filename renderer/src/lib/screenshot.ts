/**
 * Where a console screenshot (a PNG of the framebuffer) goes: a file — through the shell's save
 * dialog in Electron (`console:save-screenshot`), else as a browser download — or the clipboard.
 */
import { hasChannel, invokeOptional } from './api';

/** A file name for a VM's screenshot taken now: `<vm>-YYYYMMDD-HHMMSS.png`, safe on every OS. */
export function screenshotName(vmName: string, now = new Date()): string {
  const safe = vmName.replace(/[^\p{L}\p{N}._-]+/gu, '_').replace(/^[._]+/, '').slice(0, 80) || 'console';
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${safe}-${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}.png`;
}

/** Base64 of a blob's bytes. */
async function base64(blob: Blob): Promise<string> {
  const bytes = new Uint8Array(await blob.arrayBuffer());
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

/** Saves the PNG: the shell's save dialog in Electron, a download in a browser. */
export async function saveScreenshot(png: Blob, vmName: string): Promise<void> {
  const name = screenshotName(vmName);
  if (window.porthole !== undefined && hasChannel('console:save-screenshot')) {
    await invokeOptional('console:save-screenshot', { name, pngBase64: await base64(png) });
    return;
  }
  const url = URL.createObjectURL(png);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = name;
    link.click();
  } finally {
    // The download has its own copy once started.
    setTimeout(() => URL.revokeObjectURL(url), 60_000);
  }
}

/** Puts the PNG on the clipboard. */
export async function copyScreenshot(png: Blob): Promise<void> {
  await navigator.clipboard.write([new ClipboardItem({ 'image/png': png })]);
}
